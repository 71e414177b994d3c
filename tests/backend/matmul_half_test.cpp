// SPDX-License-Identifier: MIT
// 16-bit weight matmuls (x @ W.T with W bf16/f16 read in place: the streaming small-M
// kernel, the AMX bf16 GEMM and the widen-and-sgemm GEMM) against a double reference.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>

#include "lmx/backend/cpu/matmul_half.h"
#include "lmx/core/ops.h"

using namespace lmx;

namespace {

Array random_matrix(Shape shape, Dtype dt, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(size_t(shape_size(shape)));
  for (auto& x : v) x = u(rng);
  return astype(Array(v, shape), dt);
}

// max |got - want| / (1 + |want|) over the (..., M, N) result, with want from doubles.
double max_rel_error(const Array& x, const Array& w, const Array& got) {
  auto xs = astype(x, Dtype::float32).to_vector<float>();
  auto ws = astype(contiguous(w), Dtype::float32).to_vector<float>();
  auto gs = astype(got, Dtype::float32).to_vector<float>();
  int64_t K = x.shape(-1), N = w.shape(0);
  int64_t rows = int64_t(xs.size()) / K;
  double worst = 0;
  for (int64_t m = 0; m < rows; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k) s += double(xs[size_t(m * K + k)]) * ws[size_t(n * K + k)];
      worst = std::max(worst, std::abs(gs[size_t(m * N + n)] - s) / (1.0 + std::abs(s)));
    }
  return worst;
}

struct Case {
  int64_t M, N, K;
};

}  // namespace

class HalfMatmul : public ::testing::TestWithParam<Dtype> {};

TEST_P(HalfMatmul, MatchesReferenceAcrossShapes) {
  Dtype dt = GetParam();
  for (Case c : {Case{1, 1, 16}, Case{1, 7, 40}, Case{1, 64, 64}, Case{2, 33, 100}, Case{3, 17, 128},
                 Case{4, 65, 96}, Case{5, 9, 31}, Case{8, 40, 64}, Case{9, 33, 64}, Case{17, 50, 96},
                 Case{33, 70, 160}, Case{64, 64, 64}, Case{100, 37, 72}, Case{130, 96, 256}}) {
    Array x = random_matrix({c.M, c.K}, dt, uint32_t(c.M * 131 + c.K));
    Array w = random_matrix({c.N, c.K}, dt, uint32_t(c.N * 7 + c.K));
    Array y = matmul(x, transpose(w));
    ASSERT_EQ(y.dtype(), dt);
    ASSERT_EQ(y.shape(), (Shape{c.M, c.N}));
    // bf16/f16 output rounding (and bf16 rounding of x on the AMX path): ~1e-2 relative.
    EXPECT_LT(max_rel_error(x, w, y), dt == Dtype::bfloat16 ? 3e-2 : 5e-3)
        << "M=" << c.M << " N=" << c.N << " K=" << c.K;
  }
}

TEST_P(HalfMatmul, BatchedInputsAndStridedWeights) {
  Dtype dt = GetParam();
  // x (2, 5, K) against one weight: the batch folds into M.
  Array x = random_matrix({2, 5, 64}, dt, 1);
  Array w = random_matrix({24, 64}, dt, 2);
  Array y = matmul(x, transpose(w));
  ASSERT_EQ(y.shape(), (Shape{2, 5, 24}));
  EXPECT_LT(max_rel_error(x, w, y), 3e-2);
  // A weight that is a column slice of a wider matrix: rows at a stride > K.
  Array wide = random_matrix({24, 96}, dt, 3);
  Array ws = slice(wide, 1, 0, 64);
  Array x2 = random_matrix({3, 64}, dt, 4);
  EXPECT_LT(max_rel_error(x2, ws, matmul(x2, transpose(ws))), 3e-2);
  Array x3 = random_matrix({40, 64}, dt, 5);
  EXPECT_LT(max_rel_error(x3, ws, matmul(x3, transpose(ws))), 3e-2);
  // Batched weights (one per batch entry).
  Array wb = random_matrix({2, 24, 64}, dt, 6);
  Array yb = matmul(x, transpose(wb, {0, 2, 1}));
  for (int b = 0; b < 2; ++b) {
    Array xb = squeeze(slice(x, 0, b, b + 1), {0});
    Array wbb = squeeze(slice(wb, 0, b, b + 1), {0});
    EXPECT_LT(max_rel_error(xb, wbb, squeeze(slice(yb, 0, b, b + 1), {0})), 3e-2);
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, HalfMatmul, ::testing::Values(Dtype::bfloat16, Dtype::float16),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

TEST(HalfMatmul, AmxAgreesWithTheFloatGemm) {
  if (!cpu::amx_bf16_available()) GTEST_SKIP() << "no AMX bf16 on this machine";
  int64_t M = 77, N = 100, K = 192;
  Array x = random_matrix({M, K}, Dtype::bfloat16, 11);
  Array w = random_matrix({N, K}, Dtype::bfloat16, 12);
  std::vector<float> y(size_t(M * N), -1.0f);
  cpu::HalfMatmulArgs a;
  a.x = x.raw_data();
  a.xdtype = Dtype::bfloat16;
  a.ldx = K;
  a.w = w.data<uint16_t>();
  a.wdtype = Dtype::bfloat16;
  a.ldw = K;
  a.y = y.data();
  a.ydtype = Dtype::float32;
  a.ldy = N;
  a.M = M;
  a.N = N;
  a.K = K;
  ASSERT_TRUE(cpu::half_matmul_amx(a));
  Array got(y, Shape{M, N});
  // x and W are exact in bf16 and AMX accumulates in float32.
  EXPECT_LT(max_rel_error(x, w, got), 1e-4);
}
