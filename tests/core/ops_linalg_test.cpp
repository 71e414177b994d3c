// SPDX-License-Identifier: MIT
// matmul (batched, broadcast, transposed views, 16-bit inputs), addmm, outer, inner.
#include "lmx/core/error.h"
#include "tests/core/test_util.h"

namespace lmx::test {
namespace {

// Reference batched matmul of row-major a (B..., M, K) and b (B..., K, N) after broadcast.
std::vector<double> ref_matmul(const std::vector<double>& a, const Shape& sa,
                               const std::vector<double>& b, const Shape& sb, Shape& so) {
  Shape ba(sa.begin(), sa.end() - 2), bb(sb.begin(), sb.end() - 2);
  Shape batch = broadcast_shapes(ba, bb);
  int64_t M = sa[sa.size() - 2], K = sa.back(), N = sb.back();
  Shape fa = batch, fb = batch;
  fa.insert(fa.end(), {M, K});
  fb.insert(fb.end(), {K, N});
  auto A = broadcast_values(a, sa, fa), B = broadcast_values(b, sb, fb);
  so = batch;
  so.insert(so.end(), {M, N});
  std::vector<double> c(size_t(shape_size(so)), 0);
  int64_t nb = shape_size(batch);
  for (int64_t p = 0; p < nb; ++p)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double acc = 0;
        for (int64_t k = 0; k < K; ++k) acc += A[size_t(p * M * K + i * K + k)] * B[size_t(p * K * N + k * N + j)];
        c[size_t(p * M * N + i * N + j)] = acc;
      }
  return c;
}

TEST(Linalg, MatmulShapesLayoutsDtypes) {
  std::mt19937 rng(60);
  struct Case {
    Shape a, b;
  };
  const Case cases[] = {
      {{1, 1}, {1, 1}},       {{3, 5}, {5, 7}},          {{1, 17}, {17, 9}},  // GEMV
      {{13, 1}, {1, 11}},     {{2, 3, 4}, {4, 5}},       {{2, 1, 3, 4}, {5, 4, 2}},
      {{4, 0}, {0, 3}},       {{0, 4}, {4, 3}},          {{33, 65}, {65, 31}},
  };
  for (Dtype dt : kFloatDtypes)
    for (const auto& c : cases)
      for (Layout la : kLayouts)
        for (Layout lb : {Layout::contiguous, Layout::transposed}) {
          auto a = make_sample(c.a, dt, la, rng, -1, 1);
          auto b = make_sample(c.b, dt, lb, rng, -1, 1);
          Shape so;
          auto want = ref_matmul(a.v, c.a, b.v, c.b, so);
          for (auto& v : want) v = round_to(v, dt);
          double t = tolerance(dt);
          expect_close(matmul(a.a, b.a), want, so, dt, t, t * 2 * std::sqrt(double(c.a.back()) + 1),
                       "matmul " + name(dt, la) + " " + shape_str(c.a) + " @ " + shape_str(c.b) +
                           " b " + layout_name(lb));
        }
  // 1-D operands.
  Array v = Array({1.0f, 2.0f, 3.0f});
  Array m = reshape(arange(6, Dtype::float32), {3, 2});
  EXPECT_EQ(matmul(v, m).to_vector<float>(), (std::vector<float>{16, 22}));
  EXPECT_EQ(matmul(transpose(m), v).to_vector<float>(), (std::vector<float>{16, 22}));
  EXPECT_EQ(matmul(v, v).shape(), Shape{});
  EXPECT_EQ(matmul(v, v).item<float>(), 14.0f);
  // Mixed precision promotes.
  EXPECT_EQ(matmul(astype(m, Dtype::bfloat16), ones({2, 2})).dtype(), Dtype::float32);
  EXPECT_EQ(matmul(astype(m, Dtype::bfloat16), ones({2}, Dtype::bfloat16)).dtype(),
            Dtype::bfloat16);
}

TEST(Linalg, AddmmOuterInner) {
  Array a = reshape(arange(6, Dtype::float32), {2, 3});
  Array b = reshape(arange(6, Dtype::float32), {3, 2});
  Array c = ones({2, 2});
  EXPECT_EQ(addmm(c, a, b, 2.0f, 0.5f).to_vector<float>(),
            (std::vector<float>{20.5, 26.5, 56.5, 80.5}));
  EXPECT_EQ(addmm(c, a, b, 1.0f, 0.0f).to_vector<float>(), (std::vector<float>{10, 13, 28, 40}));
  EXPECT_EQ(outer(Array({1.0f, 2.0f}), Array({3.0f, 4.0f, 5.0f})).to_vector<float>(),
            (std::vector<float>{3, 4, 5, 6, 8, 10}));
  EXPECT_EQ(inner(Array({1.0f, 2.0f}), Array({3.0f, 4.0f})).item<float>(), 11.0f);
  EXPECT_EQ(inner(a, a).to_vector<float>(), (std::vector<float>{5, 14, 14, 50}));
}

TEST(Linalg, Errors) {
  EXPECT_THROW(matmul(ones({2, 3}), ones({2, 3})), ShapeError);
  EXPECT_THROW(matmul(ones({2, 3}, Dtype::int32), ones({3, 2}, Dtype::int32)), DtypeError);
  EXPECT_THROW(matmul(Array(1.0f), ones({1})), ShapeError);
  EXPECT_THROW(matmul(ones({2, 2, 3}), ones({3, 3, 2})), ShapeError);
  try {
    matmul(ones({2, 3}), ones({4, 5}));
  } catch (const ShapeError& e) {
    std::string m = e.what();
    EXPECT_EQ(m.rfind("[matmul]", 0), 0u);
    EXPECT_NE(m.find("(2, 3)"), std::string::npos);
  }
}

}  // namespace
}  // namespace lmx::test
