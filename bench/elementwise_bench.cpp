// SPDX-License-Identifier: MIT
// Elementwise and last-axis reduction throughput beside a memory-bandwidth probe (a plain
// triad and a read-only sum) run in the same process. Counters: bytes_per_second counts
// every byte read and written.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench/bandwidth.h"
#include "lmx/backend/cpu/threading.h"
#include "lmx/core/ops.h"

using namespace lmx;

namespace {

Array input(int64_t n, Dtype dt, float lo = -2, float hi = 2) {
  return astype(add(multiply(astype(arange(n, Dtype::float32), Dtype::float32),
                             Array((hi - lo) / float(n))),
                    Array(lo)),
                dt);
}

// a[i] = b[i] + s * c[i] over float32, on lmx's threads like the kernels.
void BM_triad(benchmark::State& st) {
  int64_t n = st.range(0);
  std::vector<float> a(n), b(n, 1.0f), c(n, 2.0f);
  for (auto _ : st) {
    cpu::parallel_for(n, 4, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) a[i] = b[i] + 3.0f * c[i];
    });
    benchmark::DoNotOptimize(a.data());
  }
  st.SetBytesProcessed(st.iterations() * n * 12);
}

// The read-bandwidth probe (bench/bandwidth.h) over a 1 GiB buffer.
void BM_read(benchmark::State& st) {
  static const bench::ReadProbe probe;
  uint64_t s = 0;
  for (auto _ : st) s += probe.read_pass();
  benchmark::DoNotOptimize(s);
  st.SetBytesProcessed(st.iterations() * probe.bytes());
}

template <Dtype kDt>
void BM_add(benchmark::State& st) {
  int64_t n = st.range(0);
  Array a = input(n, kDt), b = input(n, kDt, 1, 3);
  for (auto _ : st) benchmark::DoNotOptimize(add(a, b));
  st.SetBytesProcessed(st.iterations() * n * 3 * int64_t(size_of(kDt)));
}

template <Dtype kDt>
void BM_multiply(benchmark::State& st) {
  int64_t n = st.range(0);
  Array a = input(n, kDt), b = input(n, kDt, 1, 3);
  for (auto _ : st) benchmark::DoNotOptimize(multiply(a, b));
  st.SetBytesProcessed(st.iterations() * n * 3 * int64_t(size_of(kDt)));
}

template <Dtype kDt>
void BM_exp(benchmark::State& st) {
  int64_t n = st.range(0);
  Array a = input(n, kDt);
  for (auto _ : st) benchmark::DoNotOptimize(exp(a));
  st.SetBytesProcessed(st.iterations() * n * 2 * int64_t(size_of(kDt)));
}

template <Dtype kDt>
void BM_sigmoid(benchmark::State& st) {
  int64_t n = st.range(0);
  Array a = input(n, kDt);
  for (auto _ : st) benchmark::DoNotOptimize(sigmoid(a));
  st.SetBytesProcessed(st.iterations() * n * 2 * int64_t(size_of(kDt)));
}

// silu = x * sigmoid(x): two passes (reads x twice, one temporary).
template <Dtype kDt>
void BM_silu(benchmark::State& st) {
  int64_t n = st.range(0);
  Array a = input(n, kDt);
  for (auto _ : st) benchmark::DoNotOptimize(silu(a));
  st.SetBytesProcessed(st.iterations() * n * 2 * int64_t(size_of(kDt)));
}

// Rows of 4096 (a hidden size) reduced over the last axis.
template <Dtype kDt>
void BM_sum_last(benchmark::State& st) {
  int64_t n = st.range(0);
  Array a = reshape(input(n, kDt), {-1, 4096});
  for (auto _ : st) benchmark::DoNotOptimize(sum(a, -1));
  st.SetBytesProcessed(st.iterations() * n * int64_t(size_of(kDt)));
}

template <Dtype kDt>
void BM_max_last(benchmark::State& st) {
  int64_t n = st.range(0);
  Array a = reshape(input(n, kDt), {-1, 4096});
  for (auto _ : st) benchmark::DoNotOptimize(max(a, -1));
  st.SetBytesProcessed(st.iterations() * n * int64_t(size_of(kDt)));
}

template <Dtype kDt>
void BM_softmax_last(benchmark::State& st) {
  int64_t n = st.range(0);
  Array a = reshape(input(n, kDt), {-1, 4096});
  for (auto _ : st) benchmark::DoNotOptimize(softmax(a, -1));
  st.SetBytesProcessed(st.iterations() * n * 2 * int64_t(size_of(kDt)));
}

constexpr int64_t kSmall = 1 << 16, kLarge = 1 << 24;

}  // namespace

BENCHMARK(BM_triad)->Arg(kLarge)->UseRealTime();
BENCHMARK(BM_read)->UseRealTime();
BENCHMARK(BM_add<Dtype::float32>)->Arg(kSmall)->Arg(kLarge)->UseRealTime();
BENCHMARK(BM_add<Dtype::bfloat16>)->Arg(kSmall)->Arg(kLarge)->UseRealTime();
BENCHMARK(BM_multiply<Dtype::float32>)->Arg(kLarge)->UseRealTime();
BENCHMARK(BM_multiply<Dtype::bfloat16>)->Arg(kLarge)->UseRealTime();
BENCHMARK(BM_exp<Dtype::float32>)->Arg(kSmall)->Arg(kLarge)->UseRealTime();
BENCHMARK(BM_exp<Dtype::bfloat16>)->Arg(kLarge)->UseRealTime();
BENCHMARK(BM_sigmoid<Dtype::float32>)->Arg(kLarge)->UseRealTime();
BENCHMARK(BM_sigmoid<Dtype::bfloat16>)->Arg(kLarge)->UseRealTime();
BENCHMARK(BM_silu<Dtype::float32>)->Arg(kLarge)->UseRealTime();
BENCHMARK(BM_silu<Dtype::bfloat16>)->Arg(kLarge)->UseRealTime();
BENCHMARK(BM_sum_last<Dtype::float32>)->Arg(kLarge)->UseRealTime();
BENCHMARK(BM_sum_last<Dtype::bfloat16>)->Arg(kLarge)->UseRealTime();
BENCHMARK(BM_max_last<Dtype::float32>)->Arg(kLarge)->UseRealTime();
BENCHMARK(BM_softmax_last<Dtype::float32>)->Arg(kLarge)->UseRealTime();
BENCHMARK(BM_softmax_last<Dtype::bfloat16>)->Arg(kLarge)->UseRealTime();
BENCHMARK_MAIN();
