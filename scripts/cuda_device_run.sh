#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The CUDA recipe: build here (nvcc, no GPU needed), carry the binaries to a GPU machine,
# run the parity tests and greedy CPU-vs-CUDA generation there. See docs/cuda.md.
#
#   scripts/cuda_device_run.sh prepare   # here: build build-cuda, stage .device/cuda
#   scripts/cuda_device_run.sh run       # on the GPU machine, from the repository root;
#                                        # logs and a summary go to $OUT (default /tmp/lmx-cuda)
#   scripts/cuda_device_run.sh bench     # on the GPU machine: random-weight checkpoints in
#                                        # real shapes (bench/configs; SHAPES, KINDS), then
#                                        # lmx benchmark --device cuda beside torch's copy
#                                        # bandwidth and bf16 GEMM rate, into $OUT/bench.txt
#
# .device/ is git-ignored; carry .device/cuda with the call. Building here costs no GPU
# time and needs none of the -dev packages the GPU machine lacks (nlohmann-json, CLI11,
# cpp-httplib, GoogleTest, utf8proc): the GPU machine (Ubuntu 24.04, newer glibc and
# libstdc++) has CUDA, libgomp, OpenBLAS, PCRE2 and libcurl; fmt and utf8proc travel in
# .device/cuda/lib.
set -euo pipefail
cd "$(dirname "$0")/.."
STAGE=.device/cuda
BUILD=${BUILD:-build-cuda}
JOBS=${JOBS:-2}
FIXTURES=${FIXTURES:-../shared/fixtures/hf-tiny}
# Fixtures compared greedy CPU vs CUDA (small: a few hundred KiB each).
MODELS=${MODELS:-"llama llama-q4g64 llama-q8g32 llama-q3g32 llama_tied_f32-q5g32 qwen3 qwen3-q4g32
  qwen3-q6g64 mistral qwen2 phi3 gemma gemma2 olmo2 granite smollm3"}

prepare() {
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLMX_CUDA=ON -DLMX_BENCH=OFF
  cmake --build "$BUILD" -j "$JOBS" --target lmx_backend_tests lmx_cli
  rm -rf "$STAGE" && mkdir -p "$STAGE/bin" "$STAGE/lib" "$STAGE/fixtures"
  for b in lmx lmx_backend_tests; do strip -o "$STAGE/bin/$b" "$BUILD/bin/$b"; done
  # make_checkpoint (CPU-only; built in the default build) for `bench`.
  if [ -x build/bin/make_checkpoint ]; then
    strip -o "$STAGE/bin/make_checkpoint" build/bin/make_checkpoint
    mkdir -p "$STAGE/configs" && cp -r bench/configs/. "$STAGE/configs/"
  fi
  for l in libfmt.so.9 libutf8proc.so.2; do
    cp -L "$(ldconfig -p | awk -v l="$l" '$1 == l { print $NF; exit }')" "$STAGE/lib/$l"
  done
  # Compressed: the device tool carries at most 64 MiB with the working tree.
  xz -f -T "$JOBS" "$STAGE"/bin/*
  for m in $MODELS; do
    [ -d "$FIXTURES/$m" ] || continue
    mkdir -p "$STAGE/fixtures/$m"
    for f in "$FIXTURES/$m"/*; do
      case "$(basename "$f")" in reference*) ;; *) cp "$f" "$STAGE/fixtures/$m/" ;; esac
    done
  done
  du -sh "$STAGE"
}

# Unpacks the staged binaries (xz) into a scratch folder; prints its path.
unpack_bins() {
  local dir=${TMPDIR:-/tmp}/lmx-cuda-bin
  mkdir -p "$dir"
  for f in "$STAGE"/bin/*.xz; do
    local b
    b=$(basename "$f" .xz)
    [ "$dir/$b" -nt "$f" ] || { xz -dc "$f" >"$dir/$b" && chmod +x "$dir/$b"; }
  done
  echo "$dir"
}

cuda_lib_path() {
  local p=/usr/local/cuda/lib64
  local py
  py=$(python3 -c 'import nvidia.cublas, os; print(os.path.dirname(nvidia.cublas.__file__) + "/lib")' 2>/dev/null || true)
  [ -n "$py" ] && p="$p:$py"
  echo "$p"
}

run() {
  OUT=${OUT:-/tmp/lmx-cuda}
  mkdir -p "$OUT"
  export LD_LIBRARY_PATH="$PWD/$STAGE/lib:$(cuda_lib_path):${LD_LIBRARY_PATH:-}"
  local bin
  bin=$(unpack_bins)
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt" || true
  if ldd "$bin/lmx" "$bin/lmx_backend_tests" | grep "not found"; then
    echo "missing shared libraries (above); nothing run" >&2
    exit 1
  fi
  local t0=$SECONDS
  set +e
  "$bin/lmx_backend_tests" --gtest_filter='CudaParity*' --gtest_brief=1 >"$OUT/parity.log" 2>&1
  local parity_rc=$?
  set -e
  echo "parity: rc=$parity_rc in $((SECONDS - t0)) s"
  grep -E "^\[  (PASSED|FAILED|SKIPPED) \]|Failure|differ|Expected|Which is" "$OUT/parity.log" | head -60
  # Token ids every fixture's vocabulary has; 16 of them (short prompts keep the CPU on
  # its common GEMM path).
  local prompt=1,45,49,173,17,99,43,172,97,27,173,112,136,200,201,202
  printf "%-24s %-8s %s\n" model match "cpu tokens | cuda tokens (or error)" | tee "$OUT/greedy.txt"
  for dir in models/default/ "$STAGE"/fixtures/*/; do
    local m
    m=$(basename "$dir")
    local args=(generate --model "$dir" --prompt-tokens "$prompt" --max-tokens 32 --temp 0
                --ignore-eos --json)
    local cpu cuda
    # (The CPU side with x exact in its decode GEMV, as CUDA computes: LMX_EXACT_GEMV.)
    cpu=$(LMX_EXACT_GEMV=1 "$bin/lmx" "${args[@]}" --device cpu 2>&1 | tail -1 || true)
    cuda=$("$bin/lmx" "${args[@]}" --device cuda 2>&1 | tail -1 || true)
    python3 - "$m" "$cpu" "$cuda" <<'EOF' | tee -a "$OUT/greedy.txt"
import json, sys
name, cpu, cuda = sys.argv[1:4]
def parse(s):
    try:
        return json.loads(s)
    except Exception:
        return None
a, b = parse(cpu), parse(cuda)
if a is None or b is None:
    print(f"{name:<24} {'error':<8} cpu: {cpu[:120]} | cuda: {cuda[:160]}")
else:
    ta, tb = a["tokens"], b["tokens"]
    first = next((i for i, (x, y) in enumerate(zip(ta, tb)) if x != y), None)
    verdict = "same" if ta == tb else f"diff@{first}"
    speed = f"decode tok/s cpu {a['generation_tps']:.0f} cuda {b['generation_tps']:.0f}"
    print(f"{name:<24} {verdict:<8} {ta[:10]} | {tb[:10]} | {speed}")
EOF
  done
  echo "total $((SECONDS - t0)) s"
}

# The hardware's limits in the same run: device-to-device copy bandwidth (read + write
# bytes per second) and cuBLAS bf16 GEMM rate, through torch.
limits() {
  python3 - <<'EOF'
import torch, time
x = torch.empty(2 << 30, dtype=torch.uint8, device="cuda"); y = torch.empty_like(x)
for _ in range(3): y.copy_(x)
torch.cuda.synchronize(); t = time.perf_counter(); n = 20
for _ in range(n): y.copy_(x)
torch.cuda.synchronize(); dt = (time.perf_counter() - t) / n
print(f"copy: {2 * x.numel() / dt / 1e12:.2f} TB/s (read+write)")
a = torch.randn(8192, 8192, dtype=torch.bfloat16, device="cuda"); b = torch.randn_like(a)
for _ in range(3): a @ b
torch.cuda.synchronize(); t = time.perf_counter(); n = 20
for _ in range(n): a @ b
torch.cuda.synchronize(); dt = (time.perf_counter() - t) / n
print(f"bf16 GEMM 8192^3: {2 * 8192**3 / dt / 1e12:.0f} TFLOP/s")
EOF
}

bench() {
  OUT=${OUT:-/tmp/lmx-cuda}
  mkdir -p "$OUT"
  export LD_LIBRARY_PATH="$PWD/$STAGE/lib:$(cuda_lib_path):${LD_LIBRARY_PATH:-}"
  local bin work=${WORK:-/tmp/lmx-bench-models}
  bin=$(unpack_bins)
  local P=${P:-2048} G=${G:-128}
  mkdir -p "$work"
  limits 2>&1 | tee "$OUT/bench.txt"
  for shape in ${SHAPES:-Llama-3.2-1B Llama-3.1-8B}; do
    for kind in ${KINDS:-bf16 4bit}; do
      local dir=$work/$shape-$kind bits=0
      [ "$kind" = 4bit ] && bits=4
      [ "$kind" = 8bit ] && bits=8
      [ -f "$dir/config.json" ] || "$bin/make_checkpoint" --config "$STAGE/configs/$shape/config.json" \
        --out "$dir" --bits "$bits" --tokenizer models/default >/dev/null
      echo "== $shape $kind (p $P, g $G)" | tee -a "$OUT/bench.txt"
      "$bin/lmx" benchmark -m "$dir" -p "$P" -g "$G" -n 2 --device cuda 2>&1 | tail -3 |
        tee -a "$OUT/bench.txt"
      du -sb "$dir" | awk '{printf "checkpoint bytes: %d\n", $1}' | tee -a "$OUT/bench.txt"
    done
  done
}

case "${1:-}" in
  prepare) prepare ;;
  run) run ;;
  bench) bench ;;
  *) echo "usage: $0 prepare|run|bench" >&2; exit 2 ;;
esac
