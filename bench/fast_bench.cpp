// SPDX-License-Identifier: MIT
// Fused-op benchmarks: rms_norm, rope, and attention decode over a 4k-token KV cache at
// Llama-3.2-1B (32 q / 8 kv heads, D 64) and Llama-3.1-8B (32 / 8, D 128) shapes in
// bf16, beside the composite references and a memory read-bandwidth probe of the same
// machine. Run with --benchmark_format=json for machine-readable output.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "bench/bandwidth.h"
#include "lmx/core/fast.h"
#include "lmx/core/ops.h"

using namespace lmx;

namespace {

Array random_array(const Shape& s, Dtype dt, uint32_t seed = 1) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> d;
  std::vector<float> v(shape_size(s));
  for (auto& x : v) x = d(gen);
  return astype(Array(v, s), dt);
}

void set_bytes(benchmark::State& st, double bytes) {
  st.counters["GB/s"] =
      benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// The read-bandwidth probe (bench/bandwidth.h): what the kernels compete against.
void BM_MemoryRead(benchmark::State& st) {
  static const bench::ReadProbe probe;
  uint64_t total = 0;
  for (auto _ : st) total += probe.read_pass();
  benchmark::DoNotOptimize(total);
  set_bytes(st, double(probe.bytes()));
}
BENCHMARK(BM_MemoryRead)->Unit(benchmark::kMillisecond)->UseRealTime();

// rms_norm of (rows, features) bf16.
void BM_RmsNorm(benchmark::State& st) {
  int64_t rows = st.range(0), n = st.range(1);
  Array x = random_array({rows, n}, Dtype::bfloat16), w = random_array({n}, Dtype::bfloat16, 2);
  for (auto _ : st) benchmark::DoNotOptimize(fast::rms_norm(x, w, 1e-5f));
  set_bytes(st, double(rows) * n * 2 * 2);
}
BENCHMARK(BM_RmsNorm)
    ->ArgsProduct({{1, 512}, {2048, 4096}})
    ->ArgNames({"rows", "features"})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

void BM_RmsNormReference(benchmark::State& st) {
  int64_t rows = st.range(0), n = st.range(1);
  Array x = random_array({rows, n}, Dtype::bfloat16), w = random_array({n}, Dtype::bfloat16, 2);
  for (auto _ : st) benchmark::DoNotOptimize(fast::rms_norm_reference(x, w, 1e-5f));
  set_bytes(st, double(rows) * n * 2 * 2);
}
BENCHMARK(BM_RmsNormReference)
    ->ArgsProduct({{512}, {4096}})
    ->ArgNames({"rows", "features"})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// rope of q (1, 32, L, 128) bf16, the layout after the q projection's transpose.
void BM_Rope(benchmark::State& st) {
  int64_t L = st.range(0);
  Array x = transpose(random_array({1, L, 32, 128}, Dtype::bfloat16), {0, 2, 1, 3});
  for (auto _ : st) benchmark::DoNotOptimize(fast::rope(x, 128, false, 500000.0f, 1.0f, 4096));
  set_bytes(st, double(L) * 32 * 128 * 2 * 2);
}
BENCHMARK(BM_Rope)->Arg(1)->Arg(512)->ArgName("L")->Unit(benchmark::kMicrosecond)->UseRealTime();

// Decode: one query per head against Lk cached tokens; GB/s counts the K and V read.
void attention_decode(benchmark::State& st, bool reference) {
  int64_t D = st.range(0), Lk = st.range(1), Hq = 32, Hkv = 8;
  Array q = random_array({1, Hq, 1, D}, Dtype::bfloat16);
  Array k = random_array({1, Hkv, Lk, D}, Dtype::bfloat16, 2);
  Array v = random_array({1, Hkv, Lk, D}, Dtype::bfloat16, 3);
  float scale = 1.0f / std::sqrt(float(D));
  for (auto _ : st) {
    if (reference)
      benchmark::DoNotOptimize(fast::scaled_dot_product_attention_reference(q, k, v, scale));
    else
      benchmark::DoNotOptimize(fast::scaled_dot_product_attention(q, k, v, scale));
  }
  set_bytes(st, double(2 * Hkv * Lk * D * 2));
}
void BM_AttentionDecode(benchmark::State& st) { attention_decode(st, false); }
void BM_AttentionDecodeReference(benchmark::State& st) { attention_decode(st, true); }
// Lk 256 keeps the cache in L2: the kernel's compute speed without the memory.
BENCHMARK(BM_AttentionDecode)
    ->ArgsProduct({{64, 128}, {256, 4096}})
    ->ArgNames({"D", "Lk"})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(BM_AttentionDecodeReference)
    ->ArgsProduct({{64, 128}, {4096}})
    ->ArgNames({"D", "Lk"})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// Causal prefill of L tokens at the 1B shape; reports GFLOP/s of the two products.
void BM_AttentionPrefill(benchmark::State& st) {
  int64_t L = st.range(0), D = 64, Hq = 32, Hkv = 8;
  Array q = random_array({1, Hq, L, D}, Dtype::bfloat16);
  Array k = random_array({1, Hkv, L, D}, Dtype::bfloat16, 2);
  Array v = random_array({1, Hkv, L, D}, Dtype::bfloat16, 3);
  for (auto _ : st)
    benchmark::DoNotOptimize(fast::scaled_dot_product_attention(q, k, v, 0.125f, "causal"));
  st.counters["GFLOP/s"] = benchmark::Counter(double(Hq) * L * L * D * 2 * 1e-9,
                                              benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_AttentionPrefill)
    ->Arg(512)
    ->ArgName("L")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
