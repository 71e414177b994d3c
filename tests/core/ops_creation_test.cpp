// SPDX-License-Identifier: MIT
// Creation ops, dtype conversion and host/borrowed buffers.
#include "lmx/core/error.h"
#include "tests/core/test_util.h"

namespace lmx::test {
namespace {

TEST(Creation, FullZerosOnes) {
  for (Dtype dt : kAllDtypes)
    for (Shape s : {Shape{}, Shape{3}, Shape{2, 0, 4}, Shape{2, 3, 5}}) {
      std::vector<double> z(size_t(shape_size(s)), 0), o(z.size(), 1), f(z.size(), round_to(3, dt));
      expect_close(zeros(s, dt), z, s, dt, 0, 0, "zeros");
      expect_close(ones(s, dt), o, s, dt, 0, 0, "ones");
      expect_close(full(s, 3.0, dt), f, s, dt, 0, 0, "full");
      expect_close(zeros_like(ones(s, dt)), z, s, dt, 0, 0, "zeros_like");
      expect_close(full_like(zeros(s, dt), 3.0), f, s, dt, 0, 0, "full_like");
    }
  // full broadcasts an array value.
  Array row = Array({1.0f, 2.0f, 3.0f});
  EXPECT_EQ(full({2, 3}, row, Dtype::int32).to_vector<int>(), (std::vector<int>{1, 2, 3, 1, 2, 3}));
  EXPECT_THROW(full({2, 2}, row, Dtype::float32), ShapeError);
  EXPECT_THROW(zeros({-1, 2}), ValueError);
}

TEST(Creation, ArangeLinspaceEye) {
  for (Dtype dt : kAllDtypes) {
    if (dt == Dtype::bool_) continue;
    Array a = arange(0, 10, 3, dt);
    expect_close(a, {0, 3, 6, 9}, {4}, dt, 0, 0, "arange");
  }
  expect_close(arange(5.0, 1.0, -1.5), {5, 3.5, 2}, {3}, Dtype::float32, 0, 0, "arange down");
  EXPECT_EQ(arange(3, 3, 1).shape(), (Shape{0}));
  EXPECT_EQ(arange(5, 1, 1).shape(), (Shape{0}));
  EXPECT_EQ(arange(7).dtype(), Dtype::int32);
  EXPECT_THROW(arange(0, 1, 0), ValueError);
  expect_close(linspace(0, 1, 5), {0, 0.25, 0.5, 0.75, 1}, {5}, Dtype::float32, 1e-6, 1e-7,
               "linspace");
  expect_close(linspace(2, 3, 1), {2}, {1}, Dtype::float32, 0, 0, "linspace 1");
  EXPECT_EQ(linspace(0, 1, 0).shape(), (Shape{0}));
  EXPECT_THROW(linspace(0, 1, -1), ValueError);
  expect_close(eye(2, 3, 1), {0, 1, 0, 0, 0, 1}, {2, 3}, Dtype::float32, 0, 0, "eye k=1");
  expect_close(eye(3, 2, -1, Dtype::int8), {0, 0, 1, 0, 0, 1}, {3, 2}, Dtype::int8, 0, 0, "eye");
  expect_close(identity(2, Dtype::bfloat16), {1, 0, 0, 1}, {2, 2}, Dtype::bfloat16, 0, 0, "id");
  expect_close(tri(2, 3, 0, Dtype::int32), {1, 0, 0, 1, 1, 0}, {2, 3}, Dtype::int32, 0, 0, "tri");
}

// astype between every pair of dtypes on every layout; float -> int truncates.
TEST(Creation, AstypeAllPairs) {
  std::mt19937 rng(20);
  for (Dtype src : kAllDtypes)
    for (Dtype dst : kAllDtypes)
      for (Layout l : kLayouts) {
        // Unsigned targets of float sources get non-negative values (negative is UB in C++).
        double lo = is_floating(src) && !is_signed(dst) ? 0 : -100;
        auto s = make_sample({3, 5}, src, l, rng, lo, 100);
        std::vector<double> want;
        for (double v : s.v) want.push_back(round_to(is_floating(src) && !is_floating(dst) &&
                                                             dst != Dtype::bool_
                                                         ? std::trunc(v)
                                                         : v,
                                                     dst));
        expect_close(astype(s.a, dst), want, {3, 5}, dst, 0, 0,
                     std::string("astype to ") + std::string(dtype_name(dst)) + " from " +
                         name(src, l));
      }
  // Rounding to nearest even in 16-bit floats.
  EXPECT_EQ(astype(Array(1.0f + 1.0f / 2048), Dtype::float16).item<float>(), 1.0f);
  EXPECT_EQ(astype(Array(1.0f + 3.0f / 2048), Dtype::float16).item<float>(), 1.0f + 2.0f / 1024);
  EXPECT_EQ(astype(Array(1.0f + 1.0f / 256), Dtype::bfloat16).item<float>(), 1.0f);
  EXPECT_EQ(astype(Array(70000.0f), Dtype::float16).item<float>(), INFINITY);
  EXPECT_TRUE(std::isnan(astype(Array(NAN), Dtype::bfloat16).item<float>()));
  EXPECT_EQ(astype(Array(1e-6f), Dtype::float16).item<float>(), float(float16(1e-6f)));
}

TEST(Creation, HostBuffersCopiesAndBorrow) {
  std::vector<int16_t> host = {1, -2, 3, -4, 5, -6};
  Array a(host, {2, 3});
  EXPECT_EQ(a.dtype(), Dtype::int16);
  host[0] = 100;  // copied, not aliased
  EXPECT_EQ(a.to_vector<int>()[0], 1);
  EXPECT_THROW(a.item<int>(), ValueError);
  auto owner = std::make_shared<std::vector<float>>(std::vector<float>{1, 2, 3, 4});
  Array b = Array::borrow(owner->data(), {2, 2}, Dtype::float32, owner);
  (*owner)[3] = 40;  // borrowed: aliased
  EXPECT_EQ(b.to_vector<float>()[3], 40.0f);
  Array c = copy(b);
  (*owner)[0] = -1;
  EXPECT_EQ(c.to_vector<float>()[0], 1.0f);
  EXPECT_NE(c.buffer(), b.buffer());
  EXPECT_EQ(contiguous(b).buffer(), b.buffer());
  Array t = transpose(b);
  EXPECT_EQ(t.buffer(), b.buffer());  // a view
  EXPECT_NE(contiguous(t).buffer(), b.buffer());
  EXPECT_EQ(contiguous(t).to_vector<float>(), (std::vector<float>{-1, 3, 2, 40}));
  EXPECT_EQ(Array(2.5f).item<double>(), 2.5);
  EXPECT_EQ(Array(7).item<int64_t>(), 7);
  EXPECT_EQ(Array(3.0, Dtype::uint8).dtype(), Dtype::uint8);
}

TEST(Creation, StopGradientIsIdentity) {
  Array x = Array({1.0f, 2.0f});
  EXPECT_EQ(stop_gradient(x).to_vector<float>(), x.to_vector<float>());
  auto g = grad([](const std::vector<Array>& in) {
    return std::vector<Array>{sum(multiply(in[0], stop_gradient(in[0])))};
  })({x});
  EXPECT_EQ(g[0].to_vector<float>(), (std::vector<float>{1, 2}));
}

}  // namespace
}  // namespace lmx::test
