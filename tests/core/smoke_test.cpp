// SPDX-License-Identifier: MIT
// A first end-to-end check of the core: create, view, compute, reduce, differentiate.
#include <gtest/gtest.h>

#include "lmx/core/autograd.h"
#include "lmx/core/ops.h"

using namespace lmx;

TEST(Smoke, ElementwiseAndViews) {
  Array a = arange(6, Dtype::float32);
  Array m = reshape(a, {2, 3});
  Array t = transpose(m);
  EXPECT_EQ(t.shape(), (Shape{3, 2}));
  EXPECT_FALSE(t.is_contiguous());
  auto v = contiguous(t).to_vector<float>();
  EXPECT_EQ(v, (std::vector<float>{0, 3, 1, 4, 2, 5}));
  Array s = add(m, Array(1.0f));
  EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  Array b = multiply(m, reshape(Array({1.0f, 2.0f, 3.0f}), {1, 3}));
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{0, 2, 6, 3, 8, 15}));
  EXPECT_EQ(sum(m, 1).to_vector<float>(), (std::vector<float>{3, 12}));
  EXPECT_EQ(sum(m, 0).to_vector<float>(), (std::vector<float>{3, 5, 7}));
  EXPECT_EQ(argmax(m, 1).to_vector<uint32_t>(), (std::vector<uint32_t>{2, 2}));
  Array sl = slice(m, {0, 2}, {2, -4}, {1, -1});
  EXPECT_EQ(sl.to_vector<float>(), (std::vector<float>{2, 1, 0, 5, 4, 3}));
  Array mm = matmul(m, t);
  EXPECT_EQ(mm.to_vector<float>(), (std::vector<float>{5, 14, 14, 50}));
  Array bf = astype(m, Dtype::bfloat16);
  EXPECT_EQ(multiply(bf, Array(2.0f)).dtype(), Dtype::bfloat16);
  EXPECT_EQ(take(m, Array({1, 0}), 0).to_vector<float>(),
            (std::vector<float>{3, 4, 5, 0, 1, 2}));
}

TEST(Smoke, Grad) {
  auto f = [](const Array& x) { return sum(multiply(x, x)); };
  Array x = Array({1.0f, 2.0f, 3.0f});
  Array g = grad(std::function<Array(const Array&)>(f))(x);
  EXPECT_EQ(g.to_vector<float>(), (std::vector<float>{2, 4, 6}));
}
