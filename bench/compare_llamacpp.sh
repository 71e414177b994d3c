#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lmx benchmark beside llama-bench on the same shapes, interleaved in one run, with the load
# average around each (the development machine is shared: compare only numbers of one run).
#
#   bench/compare_llamacpp.sh LMX LLAMA_BENCH MODELS [P G]
#
# MODELS holds lmx checkpoints made by make_checkpoint (bench/configs; e.g.
# Qwen2.5-0.5B-{bf16,4bit,8bit}) and gguf/<short>-{f16,q4_0,q8_0}.gguf of the same shapes
# (a random-weight F16 GGUF written with ggml's gguf API from the same config.json, then
# llama-quantize to Q4_0 and Q8_0). Pairs compared: bf16/F16, 4-bit g64/Q4_0, 8-bit g64/Q8_0.
# Prints one line per pair: lmx and llama.cpp prompt and generation tokens/s.
set -euo pipefail
lmx=$1 lb=$2 models=$3 P=${4:-512} G=${5:-128}
declare -A short=([Qwen2.5-0.5B]=qwen05 [Llama-3.2-1B]=llama1b [Llama-3.1-8B]=llama8b [Qwen3-0.6B]=qwen3_06b)
printf '%-24s %10s %10s %10s %10s  %s\n' model lmx_pp llama_pp lmx_tg llama_tg load
for base in "${!short[@]}"; do
  for kind in "4bit q4_0" "bf16 f16" "8bit q8_0"; do
    set -- $kind
    ck="$models/$base-$1" gg="$models/gguf/${short[$base]}-$2.gguf"
    [[ -d $ck && -f $gg ]] || continue
    l=$("$lmx" benchmark -m "$ck" -p "$P" -g "$G" -n 1 --json)
    r=$("$lb" -m "$gg" -p "$P" -n "$G" -t "$(nproc)" -r 1 -o json)
    python3 - "$base-$1" "$l" "$r" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import json, sys
name, l, r, load = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
pp = next(x["avg_ts"] for x in r if x["n_prompt"]); tg = next(x["avg_ts"] for x in r if x["n_gen"])
print(f'{name:24s} {l["prompt_tps"]:10.1f} {pp:10.1f} {l["generation_tps"]:10.1f} {tg:10.1f}  {load}')
PY
  done
done
