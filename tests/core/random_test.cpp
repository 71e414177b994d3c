// SPDX-License-Identifier: MIT
// Random numbers: known Threefry values, reproducibility, and distribution moments.
#include "lmx/core/random.h"

#include "lmx/core/error.h"
#include "tests/core/test_util.h"

namespace lmx::test {
namespace {

TEST(Random, KeyAndSplitMatchJax) {
  EXPECT_EQ(random::key(0).to_vector<uint32_t>(), (std::vector<uint32_t>{0, 0}));
  EXPECT_EQ(random::key((uint64_t(7) << 32) | 9).to_vector<uint32_t>(),
            (std::vector<uint32_t>{7, 9}));
  // jax.random.split(jax.random.PRNGKey(0)) with the classic Threefry layout.
  auto [k1, k2] = random::split(random::key(0));
  EXPECT_EQ(k1.to_vector<uint32_t>(), (std::vector<uint32_t>{4146024105u, 967050713u}));
  EXPECT_EQ(k2.to_vector<uint32_t>(), (std::vector<uint32_t>{2718843009u, 1272950319u}));
  Array ks = random::split(random::key(0), 10);
  EXPECT_EQ(ks.shape(), (Shape{10, 2}));
  EXPECT_EQ(ks.dtype(), Dtype::uint32);
}

TEST(Random, SameKeySameBits) {
  Array k = random::key(42);
  for (Shape s : {Shape{}, Shape{1}, Shape{3}, Shape{4, 5}, Shape{7, 3}, Shape{0}})
    for (int w : {1, 2, 4}) {
      Array a = random::bits(s, w, k), b = random::bits(s, w, k);
      EXPECT_EQ(a.shape(), s);
      EXPECT_EQ(a.to_vector<int64_t>(), b.to_vector<int64_t>());
    }
  // Narrow widths are the bytes of the 32-bit stream: bits(4 x u8) = bytes of bits(1 x u32).
  auto w4 = random::bits({1}, 4, k).item<uint32_t>();
  auto w1 = random::bits({4}, 1, k).to_vector<uint32_t>();
  EXPECT_EQ(w1[0] | (w1[1] << 8) | (w1[2] << 16) | (w1[3] << 24), w4);
  EXPECT_NE(random::bits({8}, 4, random::key(1)).to_vector<uint32_t>(),
            random::bits({8}, 4, random::key(2)).to_vector<uint32_t>());
}

TEST(Random, GlobalSeedReproducible) {
  random::seed(3);
  auto a = random::uniform({5}).to_vector<float>();
  auto b = random::uniform({5}).to_vector<float>();
  random::seed(3);
  EXPECT_EQ(random::uniform({5}).to_vector<float>(), a);
  EXPECT_EQ(random::uniform({5}).to_vector<float>(), b);
  EXPECT_NE(a, b);
}

TEST(Random, UniformRangeAndMoments) {
  Array k = random::key(0);
  for (Dtype dt : kFloatDtypes) {
    Array u = random::uniform(Array(-1.0f), Array(5.0f), {20000}, dt, k);
    EXPECT_EQ(u.dtype(), dt);
    auto v = u.to_vector<double>();
    double m = 0;
    for (double x : v) {
      ASSERT_GE(x, -1.0);
      ASSERT_LT(x, 5.0);
      m += x;
    }
    EXPECT_NEAR(m / double(v.size()), 2.0, 0.05) << dtype_name(dt);
  }
  // Broadcast bounds.
  Array lo = reshape(Array({0.0f, 10.0f, 20.0f}), {3, 1});
  auto v = random::uniform(lo, add(lo, Array(1.0f)), {3, 4}, Dtype::float32, k).to_vector<float>();
  for (int i = 0; i < 12; ++i) EXPECT_TRUE(v[i] >= 10 * (i / 4) && v[i] < 10 * (i / 4) + 1);
  EXPECT_THROW(random::uniform({2}, Dtype::int32, k), DtypeError);
  EXPECT_THROW(random::uniform(zeros({3}), ones({3}), {2}, Dtype::float32, k), ShapeError);
}

TEST(Random, NormalMoments) {
  Array k = random::key(1);
  auto v = random::normal({50000}, Dtype::float32, {}, {}, k).to_vector<double>();
  double m = 0, m2 = 0, m4 = 0;
  for (double x : v) {
    ASSERT_TRUE(std::isfinite(x));
    m += x;
  }
  m /= double(v.size());
  for (double x : v) {
    m2 += (x - m) * (x - m);
    m4 += std::pow(x - m, 4);
  }
  m2 /= double(v.size());
  m4 /= double(v.size());
  EXPECT_NEAR(m, 0, 0.02);
  EXPECT_NEAR(m2, 1, 0.03);
  EXPECT_NEAR(m4 / (m2 * m2), 3, 0.15);  // kurtosis
  // loc/scale is the same draw shifted and scaled.
  auto a = random::normal({6}, Dtype::float32, Array(1.0f), Array(2.0f), k).to_vector<float>();
  auto b = random::normal({6}, Dtype::float32, {}, {}, k).to_vector<float>();
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(a[i], 2 * b[i] + 1, 1e-5);
  for (Dtype dt : {Dtype::float16, Dtype::bfloat16}) {
    auto h = random::normal({10000}, dt, {}, {}, k).to_vector<float>();
    for (float x : h) ASSERT_TRUE(std::isfinite(x));
  }
}

TEST(Random, TruncatedNormal) {
  Array k = random::key(2);
  Array lo = reshape(Array({-2.0f, 0.0f}), {1, 2});
  Array hi = reshape(Array({0.0f, 1.0f, 2.0f}), {3, 1});
  Array t = random::truncated_normal(lo, hi, {3, 2}, Dtype::float32, k);
  EXPECT_TRUE(all(logical_and(less_equal(lo, t), less_equal(t, hi))).item<bool>());
  auto v = random::truncated_normal(Array(-1.0f), Array(1.0f), {20000}, Dtype::float32, k)
               .to_vector<double>();
  double m = 0;
  for (double x : v) {
    ASSERT_TRUE(x >= -1 && x <= 1);
    m += x;
  }
  EXPECT_NEAR(m / double(v.size()), 0, 0.02);
}

TEST(Random, RandintBernoulliGumbelCategorical) {
  Array k = random::key(3);
  for (Dtype dt : {Dtype::int32, Dtype::int64, Dtype::uint8, Dtype::int16}) {
    Array r = random::randint(Array(3), Array(15), {5000}, dt, k);
    EXPECT_EQ(r.dtype(), dt);
    auto v = r.to_vector<int64_t>();
    std::vector<int> hist(12, 0);
    for (auto x : v) {
      ASSERT_TRUE(x >= 3 && x < 15) << x;
      ++hist[size_t(x - 3)];
    }
    for (int h : hist) EXPECT_GT(h, 300) << dtype_name(dt);
  }
  EXPECT_EQ(random::randint(Array(10), Array(-10), {100}, Dtype::int32, k).to_vector<int>(),
            std::vector<int>(100, 10));
  EXPECT_THROW(random::randint(Array(0), Array(5), {3}, Dtype::float32, k), DtypeError);
  // bernoulli
  auto b = random::bernoulli(Array(0.3f), {20000}, k).to_vector<double>();
  double m = 0;
  for (double x : b) m += x;
  EXPECT_NEAR(m / 20000, 0.3, 0.015);
  EXPECT_EQ(random::bernoulli(Array({2.0f, -2.0f}), k).to_vector<bool>(),
            (std::vector<bool>{true, false}));
  EXPECT_EQ(random::bernoulli(Array(0.5f), {4}, k).dtype(), Dtype::bool_);
  EXPECT_THROW(random::bernoulli(Array({0.1f, 0.2f, 0.3f}), {2}, k), ShapeError);
  EXPECT_THROW(random::bernoulli(Array(0), {2}, k), DtypeError);
  // gumbel: mean is the Euler-Mascheroni constant
  auto g = random::gumbel({50000}, Dtype::float32, k).to_vector<double>();
  m = 0;
  for (double x : g) m += x;
  EXPECT_NEAR(m / double(g.size()), 0.5772, 0.02);
  // categorical: frequencies follow softmax(logits)
  Array logits = log(Array({0.1f, 0.2f, 0.7f}));
  Array c = random::categorical(logits, -1, 20000, k);
  EXPECT_EQ(c.shape(), (Shape{20000}));
  EXPECT_EQ(c.dtype(), Dtype::uint32);
  std::vector<double> f(3, 0);
  for (auto x : c.to_vector<uint32_t>()) f[x] += 1.0 / 20000;
  EXPECT_NEAR(f[0], 0.1, 0.015);
  EXPECT_NEAR(f[1], 0.2, 0.015);
  EXPECT_NEAR(f[2], 0.7, 0.015);
  Array batch = reshape(Array({0.0f, -1e9f, -1e9f, -1e9f, -1e9f, 0.0f}), {2, 3});
  EXPECT_EQ(random::categorical(batch, -1, k).to_vector<uint32_t>(),
            (std::vector<uint32_t>{0, 2}));
  EXPECT_EQ(random::categorical(batch, 1, Shape{4, 2}, k).shape(), (Shape{4, 2}));
  EXPECT_EQ(random::categorical(batch, 0, k).shape(), (Shape{3}));
  EXPECT_THROW(random::categorical(batch, 2, k), ValueError);
}

TEST(Random, KeyErrors) {
  EXPECT_THROW(random::bits({2}, 3, random::key(0)), ValueError);
  EXPECT_THROW(random::bits({2}, 4, zeros({2})), ValueError);
  EXPECT_THROW(random::bits({2}, 4, zeros({3}, Dtype::uint32)), ValueError);
}

}  // namespace
}  // namespace lmx::test
