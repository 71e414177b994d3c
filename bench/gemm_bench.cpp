// SPDX-License-Identifier: MIT
// Float GEMM: lmx::matmul beside a direct cblas_sgemm on the same shapes (GFLOP/s in the
// `flops` counter). bf16 inputs: lmx::matmul(bf16, bf16) beside converting to float32 and
// calling cblas_sgemm by hand (this OpenBLAS build has no sbgemm kernel).
#include <benchmark/benchmark.h>
#include <cblas.h>

#include "lmx/core/ops.h"

using namespace lmx;

namespace {

// (M, N, K): decode GEMV and prefill GEMMs at Llama-3.2-1B shapes, and a square one.
#define LMX_GEMM_SHAPES                                                                     \
  Args({1, 2048, 2048})->Args({1, 8192, 2048})->Args({128, 2048, 2048})                     \
      ->Args({512, 8192, 2048})->Args({512, 2048, 8192})->Args({1024, 1024, 1024})          \
      ->Args({77, 333, 129})

Array input(int64_t r, int64_t c, Dtype dt) {
  Array x = multiply(astype(arange(r * c, Dtype::int32), Dtype::float32), Array(1e-4f));
  return astype(reshape(sin(x), {r, c}), dt);
}

void set_flops(benchmark::State& st, int64_t m, int64_t n, int64_t k) {
  st.counters["flops"] = benchmark::Counter(double(st.iterations()) * 2.0 * double(m * n * k),
                                            benchmark::Counter::kIsRate);
}

void BM_lmx_matmul_f32(benchmark::State& st) {
  int64_t m = st.range(0), n = st.range(1), k = st.range(2);
  Array a = input(m, k, Dtype::float32), b = input(k, n, Dtype::float32);
  for (auto _ : st) benchmark::DoNotOptimize(matmul(a, b));
  set_flops(st, m, n, k);
}

void BM_cblas_sgemm(benchmark::State& st) {
  int64_t m = st.range(0), n = st.range(1), k = st.range(2);
  Array a = input(m, k, Dtype::float32), b = input(k, n, Dtype::float32);
  std::vector<float> c(size_t(m * n));
  for (auto _ : st) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m), int(n), int(k), 1.0f,
                a.data<float>(), int(k), b.data<float>(), int(n), 0.0f, c.data(), int(n));
    benchmark::DoNotOptimize(c.data());
  }
  set_flops(st, m, n, k);
}

// Weights stored (N, K) as in checkpoints: x @ w.T.
void BM_lmx_matmul_f32_wt(benchmark::State& st) {
  int64_t m = st.range(0), n = st.range(1), k = st.range(2);
  Array a = input(m, k, Dtype::float32), w = input(n, k, Dtype::float32);
  for (auto _ : st) benchmark::DoNotOptimize(matmul(a, transpose(w)));
  set_flops(st, m, n, k);
}

void BM_cblas_sgemm_wt(benchmark::State& st) {
  int64_t m = st.range(0), n = st.range(1), k = st.range(2);
  Array a = input(m, k, Dtype::float32), w = input(n, k, Dtype::float32);
  std::vector<float> c(size_t(m * n));
  for (auto _ : st) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(m), int(n), int(k), 1.0f,
                a.data<float>(), int(k), w.data<float>(), int(k), 0.0f, c.data(), int(n));
    benchmark::DoNotOptimize(c.data());
  }
  set_flops(st, m, n, k);
}

void BM_lmx_matmul_bf16_wt(benchmark::State& st) {
  int64_t m = st.range(0), n = st.range(1), k = st.range(2);
  Array a = input(m, k, Dtype::bfloat16), w = input(n, k, Dtype::bfloat16);
  for (auto _ : st) benchmark::DoNotOptimize(matmul(a, transpose(w)));
  set_flops(st, m, n, k);
}

// What a caller can do by hand: widen both operands, sgemm, round the result.
void BM_convert_sgemm_bf16_wt(benchmark::State& st) {
  int64_t m = st.range(0), n = st.range(1), k = st.range(2);
  Array a = input(m, k, Dtype::bfloat16), w = input(n, k, Dtype::bfloat16);
  std::vector<float> af(size_t(m * k)), wf(size_t(n * k)), c(size_t(m * n));
  std::vector<lmx::bfloat16> out(size_t(m * n));
  for (auto _ : st) {
    const lmx::bfloat16* pa = a.data<lmx::bfloat16>();
    const lmx::bfloat16* pw = w.data<lmx::bfloat16>();
    for (size_t i = 0; i < af.size(); ++i) af[i] = float(pa[i]);
    for (size_t i = 0; i < wf.size(); ++i) wf[i] = float(pw[i]);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(m), int(n), int(k), 1.0f, af.data(),
                int(k), wf.data(), int(k), 0.0f, c.data(), int(n));
    for (size_t i = 0; i < c.size(); ++i) out[i] = lmx::bfloat16(c[i]);
    benchmark::DoNotOptimize(out.data());
  }
  set_flops(st, m, n, k);
}

}  // namespace

BENCHMARK(BM_lmx_matmul_f32)->LMX_GEMM_SHAPES->UseRealTime();
BENCHMARK(BM_cblas_sgemm)->LMX_GEMM_SHAPES->UseRealTime();
BENCHMARK(BM_lmx_matmul_f32_wt)->LMX_GEMM_SHAPES->UseRealTime();
BENCHMARK(BM_cblas_sgemm_wt)->LMX_GEMM_SHAPES->UseRealTime();
BENCHMARK(BM_lmx_matmul_bf16_wt)->LMX_GEMM_SHAPES->UseRealTime();
BENCHMARK(BM_convert_sgemm_bf16_wt)->LMX_GEMM_SHAPES->UseRealTime();
BENCHMARK_MAIN();
