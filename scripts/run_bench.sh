#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every benchmark binary in BUILD/bin/*_bench and writes JSON to BUILD/bench/.
set -euo pipefail
build=${1:-build}
mkdir -p "$build/bench"
for b in "$build"/bin/*_bench; do
  [ -x "$b" ] || continue
  name=$(basename "$b")
  echo "== $name"
  "$b" --benchmark_format=console --benchmark_out="$build/bench/$name.json" --benchmark_out_format=json
done
