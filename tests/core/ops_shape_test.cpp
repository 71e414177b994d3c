// SPDX-License-Identifier: MIT
// Views and shape ops: values against index-arithmetic references, and which results share
// the input's buffer.
#include "lmx/core/error.h"
#include "tests/core/test_util.h"

namespace lmx::test {
namespace {

// Reference of a[start:stop:step] along every axis (Python semantics).
std::vector<double> ref_slice(const std::vector<double>& v, const Shape& s, const Shape& start,
                              const Shape& stop, const Shape& step, Shape& out_shape) {
  std::vector<std::vector<int64_t>> picks(s.size());
  for (size_t d = 0; d < s.size(); ++d) {
    int64_t n = s[d], b = start[d], e = stop[d], st = step[d];
    if (st > 0) {
      b = b < 0 ? std::max<int64_t>(b + n, 0) : std::min(b, n);
      e = e < 0 ? std::max<int64_t>(e + n, 0) : std::min(e, n);
      for (int64_t i = b; i < e; i += st) picks[d].push_back(i);
    } else {
      b = b < 0 ? std::max<int64_t>(b + n, -1) : std::min(b, n - 1);
      e = e < 0 ? std::max<int64_t>(e + n, -1) : std::min(e, n - 1);
      for (int64_t i = b; i > e; i += st) picks[d].push_back(i);
    }
  }
  out_shape.clear();
  for (auto& p : picks) out_shape.push_back(int64_t(p.size()));
  std::vector<double> out(size_t(shape_size(out_shape)));
  for (int64_t i = 0; i < int64_t(out.size()); ++i) {
    auto idx = unravel(i, out_shape);
    for (size_t d = 0; d < s.size(); ++d) idx[d] = picks[d][size_t(idx[d])];
    out[size_t(i)] = v[size_t(ravel(idx, s))];
  }
  return out;
}

TEST(Shape, SliceAllLayoutsAndSteps) {
  std::mt19937 rng(30);
  Shape s{5, 6, 7};
  struct Case {
    Shape start, stop, step;
  };
  const Case cases[] = {
      {{0, 0, 0}, {5, 6, 7}, {1, 1, 1}},     {{1, 2, 3}, {4, 5, 6}, {1, 2, 3}},
      {{-1, -1, -1}, {-6, -7, -8}, {-1, -2, -3}}, {{4, 0, 6}, {0, 6, 0}, {-2, 5, -4}},
      {{10, -20, 2}, {20, 20, 2}, {1, 1, 1}},  {{3, 3, 3}, {1, 1, 1}, {1, 1, 1}},
      {{-100, 100, 0}, {100, -100, 7}, {2, -1, 2}},
  };
  for (Dtype dt : {Dtype::float32, Dtype::int8, Dtype::bfloat16, Dtype::int64})
    for (Layout l : kLayouts)
      for (const auto& c : cases) {
        auto x = make_sample(s, dt, l, rng);
        Shape os;
        auto want = ref_slice(x.v, s, c.start, c.stop, c.step, os);
        Array r = slice(x.a, c.start, c.stop, c.step);
        expect_close(r, want, os, dt, 0, 0, "slice " + name(dt, l));
        EXPECT_EQ(r.buffer(), x.a.buffer());
        // slice_update writes the same window.
        Array upd = full(os, 7.0, dt);
        Array su = slice_update(x.a, upd, c.start, c.stop, c.step);
        auto got = su.to_vector<double>();
        auto marker = slice(su, c.start, c.stop, c.step).to_vector<double>();
        for (double m : marker) EXPECT_EQ(m, round_to(7, dt));
        // Everything outside the window is unchanged.
        int64_t changed = 0;
        for (size_t i = 0; i < got.size(); ++i) changed += got[i] != x.v[i];
        EXPECT_LE(changed, shape_size(os));
      }
  EXPECT_THROW(slice(ones({3}), Shape{0}, Shape{3}, Shape{0}), ValueError);
  EXPECT_THROW(slice(ones({3}), Shape{0, 0}, Shape{3, 3}), ValueError);
}

TEST(Shape, ReshapeFlattenTranspose) {
  std::mt19937 rng(31);
  for (Dtype dt : {Dtype::float32, Dtype::uint16, Dtype::float16, Dtype::bool_})
    for (Layout l : kLayouts) {
      auto x = make_sample({2, 3, 4}, dt, l, rng);
      // reshape keeps row-major order of the logical values.
      for (Shape ns : {Shape{24}, Shape{4, 6}, Shape{2, -1, 2}, Shape{1, 2, 1, 12}}) {
        Array r = reshape(x.a, ns);
        Shape want_shape = ns;
        for (auto& d : want_shape)
          if (d == -1) d = 6;
        expect_close(r, x.v, want_shape, dt, 0, 0, "reshape " + name(dt, l));
      }
      expect_close(flatten(x.a), x.v, {24}, dt, 0, 0, "flatten");
      expect_close(flatten(x.a, 1, 2), x.v, {2, 12}, dt, 0, 0, "flatten 1..2");
      expect_close(unflatten(x.a, 2, {2, 2}), x.v, {2, 3, 2, 2}, dt, 0, 0, "unflatten");
      expect_close(squeeze(expand_dims(x.a, {0, 3})), x.v, {2, 3, 4}, dt, 0, 0, "expand");
      EXPECT_EQ(expand_dims(x.a, -1).shape(), (Shape{2, 3, 4, 1}));
      // transpose (1, 2, 0)
      Array t = transpose(x.a, {1, 2, 0});
      std::vector<double> want(24);
      for (int64_t i = 0; i < 24; ++i) {
        auto idx = unravel(i, {3, 4, 2});
        want[size_t(i)] = x.v[size_t(ravel({idx[2], idx[0], idx[1]}, {2, 3, 4}))];
      }
      expect_close(t, want, {3, 4, 2}, dt, 0, 0, "transpose " + name(dt, l));
      EXPECT_EQ(t.buffer(), x.a.buffer());
      expect_close(moveaxis(x.a, 0, -1), want, {3, 4, 2}, dt, 0, 0, "moveaxis");
      EXPECT_EQ(swapaxes(x.a, 0, 2).shape(), (Shape{4, 3, 2}));
      EXPECT_EQ(transpose(x.a).shape(), (Shape{4, 3, 2}));
    }
  // A reshape of contiguous data or of mergeable strides is a view; others copy.
  Array a = arange(24, Dtype::float32);
  EXPECT_EQ(reshape(a, {4, 6}).buffer(), a.buffer());
  Array t = transpose(reshape(a, {4, 6}));
  EXPECT_EQ(reshape(t, {6, 2, 2}).buffer(), a.buffer());
  EXPECT_NE(reshape(t, {24}).buffer(), a.buffer());
  EXPECT_THROW(reshape(a, {5, -1}), ShapeError);
  EXPECT_THROW(reshape(a, {-1, -1}), ShapeError);
  EXPECT_THROW(reshape(a, {7}), ShapeError);
  EXPECT_THROW(transpose(zeros({2, 3}), {0, 0}), ValueError);
  EXPECT_THROW(transpose(zeros({2, 3}), {0}), ValueError);
  EXPECT_THROW(squeeze(zeros({2, 3}), {0}), ShapeError);
  EXPECT_THROW(expand_dims(zeros({2}), 3), ValueError);
  EXPECT_EQ(reshape(zeros({0, 3}), {3, 0, 5}).shape(), (Shape{3, 0, 5}));
  EXPECT_EQ(flatten(Array(1.0f)).shape(), (Shape{1}));
}

TEST(Shape, BroadcastAndAsStrided) {
  std::mt19937 rng(32);
  auto x = make_sample({3, 1}, Dtype::int32, Layout::contiguous, rng);
  Array b = broadcast_to(x.a, {2, 3, 4});
  expect_close(b, broadcast_values(x.v, {3, 1}, {2, 3, 4}), {2, 3, 4}, Dtype::int32, 0, 0, "bc");
  EXPECT_EQ(b.buffer(), x.a.buffer());
  EXPECT_EQ(broadcast_shapes({5, 1, 3}, {4, 1}), (Shape{5, 4, 3}));
  EXPECT_THROW(broadcast_shapes({2, 3}, {4, 3}), ShapeError);
  EXPECT_THROW(broadcast_to(zeros({3}), {2, 4}), ShapeError);
  auto arrs = broadcast_arrays({zeros({2, 1}), ones({3}), Array(1.0f)});
  for (auto& a : arrs) EXPECT_EQ(a.shape(), (Shape{2, 3}));
  // Sliding windows.
  Array a = arange(10, Dtype::float32);
  Array w = as_strided(a, {4, 3}, {2, 1}, 1);
  expect_close(w, {1, 2, 3, 3, 4, 5, 5, 6, 7, 7, 8, 9}, {4, 3}, Dtype::float32, 0, 0, "strided");
  EXPECT_THROW(as_strided(a, {4, 3}, {3, 1}, 0), ValueError);
  EXPECT_THROW(as_strided(a, {2}, {-1}, 0), ValueError);
}

TEST(Shape, ConcatStackSplitPadRepeatTile) {
  std::mt19937 rng(33);
  for (Layout l : kLayouts) {
    auto a = make_sample({2, 3}, Dtype::float32, l, rng);
    auto b = make_sample({2, 2}, Dtype::int8, kLayouts[(int(l) + 1) % 4], rng);
    Array c = concatenate({a.a, b.a}, 1);
    std::vector<double> want;
    for (int i = 0; i < 2; ++i) {
      for (int j = 0; j < 3; ++j) want.push_back(a.v[size_t(i * 3 + j)]);
      for (int j = 0; j < 2; ++j) want.push_back(b.v[size_t(i * 2 + j)]);
    }
    expect_close(c, want, {2, 5}, Dtype::float32, 0, 0, std::string("concat ") + layout_name(l));
    auto parts = split(c, Shape{3}, 1);
    ASSERT_EQ(parts.size(), 2u);
    expect_close(parts[0], a.v, {2, 3}, Dtype::float32, 0, 0, "split 0");
    auto eq = split(a.a, 3, 1);
    ASSERT_EQ(eq.size(), 3u);
    expect_close(eq[1], {a.v[1], a.v[4]}, {2, 1}, Dtype::float32, 0, 0, "split equal");
    Array st = stack({a.a, a.a}, 1);
    EXPECT_EQ(st.shape(), (Shape{2, 2, 3}));
    expect_close(slice(st, 1, 1, 2), a.v, {2, 1, 3}, Dtype::float32, 0, 0, "stack");
    // pad
    Array p = pad(a.a, {{1, 0}, {0, 2}}, Array(9.0f));
    std::vector<double> pw = {9, 9, 9, 9, 9};
    for (int i = 0; i < 2; ++i) {
      for (int j = 0; j < 3; ++j) pw.push_back(a.v[size_t(i * 3 + j)]);
      pw.push_back(9);
      pw.push_back(9);
    }
    expect_close(p, pw, {3, 5}, Dtype::float32, 0, 0, "pad");
    // repeat / tile
    std::vector<double> rw;
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j)
        for (int r = 0; r < 2; ++r) rw.push_back(a.v[size_t(i * 3 + j)]);
    expect_close(repeat(a.a, 2, 1), rw, {2, 6}, Dtype::float32, 0, 0, "repeat");
    std::vector<double> tw;
    for (int ti = 0; ti < 2; ++ti)
      for (int i = 0; i < 2; ++i)
        for (int tj = 0; tj < 2; ++tj)
          for (int j = 0; j < 3; ++j) tw.push_back(a.v[size_t(i * 3 + j)]);
    expect_close(tile(a.a, {2, 2}), tw, {4, 6}, Dtype::float32, 0, 0, "tile");
  }
  EXPECT_EQ(concatenate({zeros({0, 3}), ones({2, 3})}, 0).shape(), (Shape{2, 3}));
  EXPECT_THROW(concatenate({zeros({2, 3}), ones({2, 2})}, 0), ShapeError);
  EXPECT_THROW(concatenate({}, 0), ValueError);
  EXPECT_THROW(stack({zeros({2}), zeros({3})}), ShapeError);
  EXPECT_THROW(split(zeros({5}), 2), ValueError);
  EXPECT_THROW(pad(zeros({2}), {{-1, 0}}), ValueError);
  EXPECT_EQ(tile(zeros({3}), {2, 1}).shape(), (Shape{2, 3}));
  EXPECT_EQ(repeat(zeros({2, 3}), 0, 0).shape(), (Shape{0, 3}));
}

}  // namespace
}  // namespace lmx::test
