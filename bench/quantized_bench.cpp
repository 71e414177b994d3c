// SPDX-License-Identifier: MIT
// Quantized matmul, 4-bit group 64 (MLX's default), at Llama-3.2-1B (hidden 2048,
// intermediate 8192) and Llama-3.1-8B (4096, 14336) layer shapes, beside a memory read
// bandwidth probe of the same machine, so that GEMV's fraction of it is measurable.
// Counters: `GB/s` = packed weights + scales + biases read per second; `flops` = 2*M*N*K/s.
// GEMV rotates through copies of the weights totalling ~600 MB so that they come from
// DRAM, not from the (large, shared) L3.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <cstring>
#include <vector>

#include "bench/bandwidth.h"
#include "lmx/backend/cpu/threading.h"
#include "lmx/core/ops.h"
#include "lmx/core/quantized.h"

using namespace lmx;

namespace {

constexpr int kGroup = 64, kBits = 4;
constexpr int64_t kPoolBytes = int64_t(600) << 20;

struct QWeight {
  Array wq, scales, biases;
  int64_t bytes() const { return int64_t(wq.nbytes() + scales.nbytes() + biases.nbytes()); }
};

Array input(int64_t r, int64_t c, Dtype dt, float freq) {
  Array x = multiply(astype(arange(r * c, Dtype::int32), Dtype::float32), Array(freq));
  return astype(reshape(multiply(sin(x), Array(0.05f)), {r, c}), dt);
}

QWeight make_weight(int64_t n, int64_t k) {
  auto [wq, s, b] = quantize(input(n, k, Dtype::bfloat16, 1.37e-3f), kGroup, kBits);
  return {wq, s, b};
}

// Copies of one weight filling about kPoolBytes (at least 2).
std::vector<QWeight> weight_pool(int64_t n, int64_t k) {
  QWeight w = make_weight(n, k);
  std::vector<QWeight> pool{w};
  while (int64_t(pool.size()) * w.bytes() < kPoolBytes || pool.size() < 2)
    pool.push_back({copy(w.wq), copy(w.scales), copy(w.biases)});
  return pool;
}

void set_counters(benchmark::State& st, int64_t m, int64_t n, int64_t k, int64_t wbytes) {
  double it = double(st.iterations());
  st.counters["GB/s"] = benchmark::Counter(it * double(wbytes) / 1e9, benchmark::Counter::kIsRate);
  st.counters["flops"] =
      benchmark::Counter(it * 2.0 * double(m * n * k), benchmark::Counter::kIsRate);
}

// Decode: M rows of x (1 = one token) against weights read from DRAM.
void BM_qgemv(benchmark::State& st, Dtype dt) {
  int64_t n = st.range(0), k = st.range(1), m = st.range(2);
  auto pool = weight_pool(n, k);
  Array x = input(m, k, dt, 7.1e-3f);
  size_t i = 0;
  for (auto _ : st) {
    const QWeight& w = pool[i++ % pool.size()];
    benchmark::DoNotOptimize(quantized_matmul(x, w.wq, w.scales, w.biases, true, kGroup, kBits));
  }
  set_counters(st, m, n, k, pool[0].bytes());
}

// The same product with one weight that stays in the caches (about 1 MiB per core): the
// kernel's compute speed without the memory.
void BM_qgemv_cached(benchmark::State& st) {
  int64_t n = st.range(0), k = st.range(1), m = st.range(2);
  QWeight w = make_weight(n, k);
  Array x = input(m, k, Dtype::bfloat16, 7.1e-3f);
  for (auto _ : st)
    benchmark::DoNotOptimize(quantized_matmul(x, w.wq, w.scales, w.biases, true, kGroup, kBits));
  set_counters(st, m, n, k, w.bytes());
}

// Prefill: M rows of x; compute-bound, one weight.
void BM_qgemm(benchmark::State& st) {
  int64_t n = st.range(0), k = st.range(1), m = st.range(2);
  QWeight w = make_weight(n, k);
  Array x = input(m, k, Dtype::bfloat16, 7.1e-3f);
  for (auto _ : st)
    benchmark::DoNotOptimize(quantized_matmul(x, w.wq, w.scales, w.biases, true, kGroup, kBits));
  set_counters(st, m, n, k, w.bytes());
}

// The float GEMM the prefill path is built on, at the same shape (x @ W^T, float32).
void BM_sgemm_reference(benchmark::State& st) {
  int64_t n = st.range(0), k = st.range(1), m = st.range(2);
  Array x = input(m, k, Dtype::float32, 7.1e-3f), w = input(n, k, Dtype::float32, 1.37e-3f);
  std::vector<float> y(size_t(m * n));
  for (auto _ : st) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(m), int(n), int(k), 1.0f,
                x.data<float>(), int(k), w.data<float>(), int(k), 0.0f, y.data(), int(n));
    benchmark::DoNotOptimize(y.data());
  }
  set_counters(st, m, n, k, 0);
}

// Memory read bandwidth: every thread streams its share of a 1 GiB buffer.
void BM_read_bandwidth(benchmark::State& st) {
  static const bench::ReadProbe probe;
  uint64_t total = 0;
  for (auto _ : st) total += probe.read_pass();
  benchmark::DoNotOptimize(total);
  st.counters["GB/s"] = benchmark::Counter(double(st.iterations()) * double(probe.bytes()) / 1e9,
                                           benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_read_bandwidth)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_qgemv, bf16, Dtype::bfloat16)
    ->ArgNames({"N", "K", "M"})
    ->Args({8192, 2048, 1})
    ->Args({2048, 8192, 1})
    ->Args({2048, 2048, 1})
    ->Args({14336, 4096, 1})
    ->Args({4096, 14336, 1})
    ->Args({4096, 4096, 1})
    ->Args({8192, 2048, 4})
    ->Args({14336, 4096, 4})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_qgemv, f32, Dtype::float32)
    ->ArgNames({"N", "K", "M"})
    ->Args({8192, 2048, 1})
    ->Args({14336, 4096, 1})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(BM_qgemv_cached)
    ->ArgNames({"N", "K", "M"})
    ->Args({2048, 2048, 1})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(BM_qgemm)
    ->ArgNames({"N", "K", "M"})
    ->Args({8192, 2048, 128})
    ->Args({8192, 2048, 512})
    ->Args({2048, 8192, 512})
    ->Args({14336, 4096, 512})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_sgemm_reference)
    ->ArgNames({"N", "K", "M"})
    ->Args({8192, 2048, 512})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_read_bandwidth)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
