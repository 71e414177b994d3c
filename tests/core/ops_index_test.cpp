// SPDX-License-Identifier: MIT
// take, gather, scatter, slice updates, triangles and in-place assignment.
#include "lmx/core/error.h"
#include "tests/core/test_util.h"

namespace lmx::test {
namespace {

TEST(Index, TakeAllDtypesLayouts) {
  std::mt19937 rng(50);
  Shape s{4, 5, 3};
  for (Dtype dt : kAllDtypes)
    for (Dtype it : {Dtype::int32, Dtype::uint32, Dtype::int64, Dtype::int16})
      for (Layout l : kLayouts)
        for (int axis : {0, 1, 2}) {
          auto x = make_sample(s, dt, l, rng);
          int64_t n = s[axis];
          // Indices of shape (2, 3), negative ones for signed index types.
          std::vector<double> iv;
          for (int i = 0; i < 6; ++i) {
            int64_t k = int64_t(rng() % uint32_t(n));
            if (is_signed(it) && (rng() & 1)) k -= n;
            iv.push_back(double(k));
          }
          Array idx = make_array(iv, {2, 3}, it);
          Shape os;
          for (int d = 0; d < axis; ++d) os.push_back(s[d]);
          os.push_back(2);
          os.push_back(3);
          for (int d = axis + 1; d < 3; ++d) os.push_back(s[d]);
          std::vector<double> want(size_t(shape_size(os)));
          for (int64_t i = 0; i < int64_t(want.size()); ++i) {
            auto o = unravel(i, os);
            std::vector<int64_t> src;
            for (int d = 0; d < axis; ++d) src.push_back(o[d]);
            int64_t k = int64_t(iv[size_t(o[axis] * 3 + o[axis + 1])]);
            src.push_back(k < 0 ? k + n : k);
            for (int d = axis + 1; d < 3; ++d) src.push_back(o[d + 1]);
            want[size_t(i)] = x.v[size_t(ravel(src, s))];
          }
          expect_close(take(x.a, idx, axis), want, os, dt, 0, 0,
                       "take " + name(dt, l) + " axis " + std::to_string(axis));
        }
  Array a = reshape(arange(6, Dtype::float32), {2, 3});
  EXPECT_EQ(take(a, Array({5, 0, -1})).to_vector<float>(), (std::vector<float>{5, 0, 5}));
  EXPECT_EQ(take(a, Array(1), 1).shape(), (Shape{2}));
  EXPECT_THROW(take(a, Array({3}), 0), ValueError);
  EXPECT_THROW(take(a, Array({0.5f}), 0), DtypeError);
  try {
    take(a, Array({7}), 1);
    ADD_FAILURE();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("[gather]"), std::string::npos);
  }
}

TEST(Index, TakePutAlongAxis) {
  std::mt19937 rng(51);
  for (Layout l : kLayouts)
    for (int axis : {0, 1}) {
      auto x = make_sample({4, 5}, Dtype::float32, l, rng);
      Shape is = axis == 0 ? Shape{2, 5} : Shape{4, 2};
      std::vector<double> iv;
      for (int64_t i = 0; i < shape_size(is); ++i) iv.push_back(double(rng() % (axis ? 5 : 4)));
      Array idx = make_array(iv, is, Dtype::int32);
      std::vector<double> want;
      for (int64_t i = 0; i < shape_size(is); ++i) {
        auto o = unravel(i, is);
        o[axis] = int64_t(iv[size_t(i)]);
        want.push_back(x.v[size_t(ravel(o, {4, 5}))]);
      }
      expect_close(take_along_axis(x.a, idx, axis), want, is, Dtype::float32, 0, 0,
                   std::string("take_along_axis ") + layout_name(l));
      // put_along_axis with distinct indices per line: argsort gives a permutation.
      Array perm = argsort(x.a, axis);
      Array back = put_along_axis(zeros({4, 5}), perm, sort(x.a, axis), axis);
      expect_close(back, x.v, {4, 5}, Dtype::float32, 0, 0, "put_along_axis");
    }
  // Broadcast indices.
  Array a = reshape(arange(6, Dtype::float32), {2, 3});
  EXPECT_EQ(take_along_axis(a, Array({2, 0}, {1, 2}), 1).to_vector<float>(),
            (std::vector<float>{2, 0, 5, 3}));
  EXPECT_THROW(take_along_axis(a, Array({1}), 1), ShapeError);
}

TEST(Index, GatherScatter) {
  std::mt19937 rng(52);
  for (Dtype dt : kAllDtypes)
    for (Layout l : kLayouts) {
      auto x = make_sample({5, 4, 3}, dt, l, rng);
      // Two index arrays over axes 0 and 2, shape (3,), blocks of (1, 2, 1) from column 0.
      std::vector<double> i0{4, 0, 2}, i2{1, 2, 0};
      Array g = gather(x.a, {make_array(i0, {3}, Dtype::int32), make_array(i2, {3}, Dtype::int64)},
                       {0, 2}, {1, 2, 1});
      std::vector<double> want;
      for (int p = 0; p < 3; ++p)
        for (int j = 0; j < 2; ++j) want.push_back(x.v[size_t(ravel({int64_t(i0[p]), j, int64_t(i2[p])}, {5, 4, 3}))]);
      expect_close(g, want, {3, 1, 2, 1}, dt, 0, 0, "gather " + name(dt, l));
      if (dt == Dtype::bool_) continue;
      // scatter_add with a repeated index accumulates; scatter overwrites.
      std::vector<double> r{1, 3, 1};
      auto u = make_sample({3, 1, 4, 3}, dt, kLayouts[(int(l) + 1) % 4], rng, 0, 3);
      Array ri = make_array(r, {3}, Dtype::int32);
      Array sa = scatter_add(x.a, {ri}, u.a, {0});
      std::vector<double> wa = x.v;
      for (int p = 0; p < 3; ++p)
        for (int k = 0; k < 12; ++k) wa[size_t(int64_t(r[p]) * 12 + k)] += u.v[size_t(p * 12 + k)];
      for (auto& v : wa) v = round_to(v, dt);
      double t = tolerance(dt);
      expect_close(sa, wa, {5, 4, 3}, dt, t, t, "scatter_add " + name(dt, l));
      std::vector<double> ws = x.v;
      for (int p : {0, 1})  // no repeats: index 1 then 3
        for (int k = 0; k < 12; ++k) ws[size_t(int64_t(r[p]) * 12 + k)] = u.v[size_t(p * 12 + k)];
      Array ss = scatter(x.a, {make_array({1, 3}, {2}, Dtype::int32)},
                         slice(u.a, {0, 0, 0, 0}, {2, 1, 4, 3}), {0});
      expect_close(ss, ws, {5, 4, 3}, dt, 0, 0, "scatter " + name(dt, l));
    }
  EXPECT_THROW(gather(zeros({3}), {Array({0})}, {0}, {4}), ValueError);
  EXPECT_THROW(gather(zeros({3}), {Array({0})}, {0, 0}, {1}), ValueError);
  EXPECT_THROW(scatter(zeros({3}), {Array({5})}, zeros({1, 1}), {0}), ValueError);
  EXPECT_THROW(scatter(zeros({3}), {Array({0})}, zeros({1}), {0}), ShapeError);
}

TEST(Index, SliceUpdateAssignTriangles) {
  std::mt19937 rng(53);
  for (Dtype dt : {Dtype::float32, Dtype::int8, Dtype::bfloat16, Dtype::bool_})
    for (Layout l : kLayouts) {
      auto x = make_sample({4, 6}, dt, l, rng);
      auto u = make_sample({2, 3}, dt, kLayouts[(int(l) + 2) % 4], rng);
      Array r = slice_update(x.a, u.a, {1, 0}, {4, 6}, {2, 2});
      std::vector<double> want = x.v;
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j) want[size_t((1 + 2 * i) * 6 + 2 * j)] = u.v[size_t(i * 3 + j)];
      expect_close(r, want, {4, 6}, dt, 0, 0, "slice_update " + name(dt, l));
      // The input is unchanged (values are immutable).
      expect_close(x.a, x.v, {4, 6}, dt, 0, 0, "slice_update input");
      for (int k : {-1, 0, 2}) {
        std::vector<double> lo, up;
        for (int i = 0; i < 4; ++i)
          for (int j = 0; j < 6; ++j) {
            lo.push_back(j <= i + k ? x.v[size_t(i * 6 + j)] : 0);
            up.push_back(j >= i + k ? x.v[size_t(i * 6 + j)] : 0);
          }
        expect_close(tril(x.a, k), lo, {4, 6}, dt, 0, 0, "tril " + name(dt, l));
        expect_close(triu(x.a, k), up, {4, 6}, dt, 0, 0, "triu " + name(dt, l));
      }
    }
  // Broadcast update and scalar.
  EXPECT_EQ(slice_update(zeros({2, 3}), Array(5.0f), {0, 1}, {2, 3}).to_vector<float>(),
            (std::vector<float>{0, 5, 5, 0, 5, 5}));
  EXPECT_THROW(slice_update(zeros({2, 3}), ones({3}), {0, 0}, {2, 2}), ShapeError);
  EXPECT_THROW(tril(zeros({3})), ShapeError);
  // assign writes into the destination's memory (a view of a cache).
  Array cache = zeros({3, 4});
  Array row = slice(cache, {1, 0}, {2, 4});
  assign(row, Array({1.0f, 2.0f, 3.0f, 4.0f}));
  EXPECT_EQ(cache.to_vector<float>()[5], 2.0f);
  assign(slice(cache, {0, 3}, {3, 4}), astype(Array(9), Dtype::int32));
  EXPECT_EQ(cache.to_vector<float>()[11], 9.0f);
}

}  // namespace
}  // namespace lmx::test
