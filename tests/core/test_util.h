// SPDX-License-Identifier: MIT
// Helpers for the core op tests: random inputs of any dtype in several memory layouts
// (contiguous, transposed, negative-step slices, broadcasts), double-precision reference
// values, and comparisons with per-dtype tolerances.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "lmx/core/autograd.h"
#include "lmx/core/ops.h"

namespace lmx::test {

inline const std::vector<Dtype> kAllDtypes = {
    Dtype::bool_, Dtype::uint8, Dtype::int8,    Dtype::uint16,   Dtype::int16,  Dtype::uint32,
    Dtype::int32, Dtype::int64, Dtype::float16, Dtype::bfloat16, Dtype::float32};
inline const std::vector<Dtype> kFloatDtypes = {Dtype::float16, Dtype::bfloat16, Dtype::float32};
inline const std::vector<Dtype> kIntDtypes = {Dtype::uint8, Dtype::int8,   Dtype::uint16,
                                              Dtype::int16, Dtype::uint32, Dtype::int32,
                                              Dtype::int64};

// The value `v` takes when stored in `dt` (rounded for 16-bit floats, wrapped for ints).
inline double round_to(double v, Dtype dt) {
  switch (dt) {
    case Dtype::bool_: return v != 0 ? 1 : 0;
    case Dtype::uint8: return double(uint8_t(int64_t(v)));
    case Dtype::int8: return double(int8_t(int64_t(v)));
    case Dtype::uint16: return double(uint16_t(int64_t(v)));
    case Dtype::int16: return double(int16_t(int64_t(v)));
    case Dtype::uint32: return double(uint32_t(int64_t(v)));
    case Dtype::int32: return double(int32_t(int64_t(v)));
    case Dtype::int64: return double(int64_t(v));
    case Dtype::float16: return double(float(float16(float(v))));
    case Dtype::bfloat16: return double(float(bfloat16(float(v))));
    case Dtype::float32: return double(float(v));
  }
  return v;
}

// A contiguous array of `dt` holding `v` (converted as round_to does).
inline Array make_array(const std::vector<double>& v, const Shape& shape, Dtype dt) {
  Array a = Array::empty(shape, dt);
  dispatch_dtype(dt, [&](auto t) {
    using T = decltype(t);
    T* p = a.data<T>();
    for (size_t i = 0; i < v.size(); ++i) {
      if constexpr (std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>)
        p[i] = T(float(v[i]));
      else if constexpr (std::is_same_v<T, bool>)
        p[i] = v[i] != 0;
      else if constexpr (std::is_floating_point_v<T>)
        p[i] = T(v[i]);
      else
        p[i] = T(int64_t(v[i]));
    }
  });
  return a;
}

// Random values representable in `dt`: floats uniform in [lo, hi]; integers uniform in
// [lo, hi] clipped to the dtype's range; bools half true.
inline std::vector<double> random_values(int64_t n, Dtype dt, std::mt19937& rng, double lo = -4,
                                         double hi = 4) {
  std::vector<double> v(size_t(std::max<int64_t>(n, 0)));
  std::uniform_real_distribution<double> u(lo, hi);
  for (auto& x : v) {
    if (dt == Dtype::bool_) {
      x = rng() & 1;
    } else if (is_floating(dt)) {
      x = round_to(u(rng), dt);
    } else {
      double l = is_signed(dt) ? lo : std::max(lo, 0.0);
      x = std::floor(l + double(rng() % uint32_t(std::max(1.0, hi - l + 1))));
      x = round_to(x, dt);
    }
  }
  return v;
}

enum class Layout { contiguous, transposed, reversed, broadcast };
inline const std::vector<Layout> kLayouts = {Layout::contiguous, Layout::transposed,
                                             Layout::reversed, Layout::broadcast};
inline const char* layout_name(Layout l) {
  static const char* n[] = {"contiguous", "transposed", "reversed", "broadcast"};
  return n[int(l)];
}

// An array of logical `shape` and its values (row-major, as doubles).
struct Sample {
  Array a;
  std::vector<double> v;
};

// Row-major index helpers.
inline std::vector<int64_t> unravel(int64_t i, const Shape& s) {
  std::vector<int64_t> idx(s.size());
  for (int d = int(s.size()) - 1; d >= 0; --d) {
    idx[d] = s[d] ? i % s[d] : 0;
    i = s[d] ? i / s[d] : 0;
  }
  return idx;
}
inline int64_t ravel(const std::vector<int64_t>& idx, const Shape& s) {
  int64_t i = 0;
  for (size_t d = 0; d < s.size(); ++d) i = i * s[d] + idx[d];
  return i;
}

// Values of `v` (shape `from`) broadcast to shape `to`.
inline std::vector<double> broadcast_values(const std::vector<double>& v, const Shape& from,
                                            const Shape& to) {
  std::vector<double> out(size_t(shape_size(to)));
  size_t lead = to.size() - from.size();
  for (int64_t i = 0; i < int64_t(out.size()); ++i) {
    auto idx = unravel(i, to);
    std::vector<int64_t> j(from.size());
    for (size_t d = 0; d < from.size(); ++d) j[d] = from[d] == 1 ? 0 : idx[lead + d];
    out[size_t(i)] = v[size_t(ravel(j, from))];
  }
  return out;
}

// A random array of `shape` laid out as `layout` (a view where the layout asks for one).
inline Sample make_sample(const Shape& shape, Dtype dt, Layout layout, std::mt19937& rng,
                          double lo = -4, double hi = 4) {
  int nd = int(shape.size());
  if (layout == Layout::transposed && nd >= 2) {
    Shape rev(shape.rbegin(), shape.rend());
    auto vr = random_values(shape_size(rev), dt, rng, lo, hi);
    Array base = make_array(vr, rev, dt);
    Array t = transpose(base);
    std::vector<double> v(vr.size());
    for (int64_t i = 0; i < int64_t(v.size()); ++i) {
      auto idx = unravel(i, shape);
      std::vector<int64_t> ri(idx.rbegin(), idx.rend());
      v[size_t(i)] = vr[size_t(ravel(ri, rev))];
    }
    return {t, v};
  }
  if (layout == Layout::reversed || (layout == Layout::transposed && nd < 2)) {
    // Every axis read backwards with step -2 from a buffer twice as large.
    Shape big = shape;
    for (auto& d : big) d *= 2;
    auto vb = random_values(shape_size(big), dt, rng, lo, hi);
    Array base = make_array(vb, big, dt);
    Shape start, stop, steps;
    for (auto d : big) {
      start.push_back(d - 1);
      stop.push_back(-d - 1);
      steps.push_back(-2);
    }
    Array s = slice(base, start, stop, steps);
    std::vector<double> v(size_t(shape_size(shape)));
    for (int64_t i = 0; i < int64_t(v.size()); ++i) {
      auto idx = unravel(i, shape);
      for (int d = 0; d < nd; ++d) idx[d] = big[d] - 1 - 2 * idx[d];
      v[size_t(i)] = vb[size_t(ravel(idx, big))];
    }
    return {s, v};
  }
  if (layout == Layout::broadcast && nd >= 1) {
    // Every other axis (from the first) has size 1 before broadcasting.
    Shape small = shape;
    for (int d = 0; d < nd; d += 2) small[d] = 1;
    auto vs = random_values(shape_size(small), dt, rng, lo, hi);
    Array b = broadcast_to(make_array(vs, small, dt), shape);
    return {b, broadcast_values(vs, small, shape)};
  }
  auto v = random_values(shape_size(shape), dt, rng, lo, hi);
  return {make_array(v, shape, dt), v};
}

// Relative tolerance of results computed in `dt` (one or two roundings of the dtype).
inline double tolerance(Dtype dt) {
  switch (dt) {
    case Dtype::float16: return 2e-3;
    case Dtype::bfloat16: return 1.6e-2;
    case Dtype::float32: return 2e-5;
    default: return 0;
  }
}

// Checks shape, dtype and every value of `got` against `want`; |g - w| <= atol + rtol |w|.
// NaNs must match NaNs.
inline void expect_close(const Array& got, const std::vector<double>& want, const Shape& shape,
                         Dtype dtype, double rtol, double atol, const std::string& what) {
  ASSERT_EQ(got.shape(), shape) << what;
  ASSERT_EQ(got.dtype(), dtype) << what << ": got " << dtype_name(got.dtype());
  auto g = got.to_vector<double>();
  ASSERT_EQ(g.size(), want.size()) << what;
  int bad = 0;
  for (size_t i = 0; i < g.size() && bad < 5; ++i) {
    bool ok = std::isnan(want[i]) ? std::isnan(g[i])
              : std::isinf(want[i]) ? g[i] == want[i]
                                    : std::fabs(g[i] - want[i]) <= atol + rtol * std::fabs(want[i]);
    if (!ok) {
      ++bad;
      ADD_FAILURE() << what << ": element " << i << " is " << g[i] << ", want " << want[i];
    }
  }
}
inline void expect_close(const Array& got, const std::vector<double>& want, const Shape& shape,
                         Dtype dtype, const std::string& what) {
  double t = tolerance(dtype);
  expect_close(got, want, shape, dtype, t, t, what);
}

inline std::string name(Dtype dt, Layout l) {
  return std::string(dtype_name(dt)) + "/" + layout_name(l);
}

// Gradient of sum(f(x) * w) (w fixed random weights) against central differences, in
// float32 with double-precision accumulation of the difference quotient.
inline void check_grad(const std::function<Array(const std::vector<Array>&)>& f,
                       std::vector<Array> inputs, const std::string& what, double eps = 1e-3,
                       double tol = 2e-2) {
  Array out0 = f(inputs);
  std::mt19937 rng(7);
  auto wv = random_values(out0.size(), Dtype::float32, rng, -1, 1);
  Array w = make_array(wv, out0.shape(), Dtype::float32);
  auto loss = [&](const std::vector<Array>& x) {
    return std::vector<Array>{sum(multiply(astype(f(x), Dtype::float32), w))};
  };
  std::vector<int> argnums;
  for (size_t i = 0; i < inputs.size(); ++i) argnums.push_back(int(i));
  auto grads = grad(loss, argnums)(inputs);
  ASSERT_EQ(grads.size(), inputs.size()) << what;
  for (size_t k = 0; k < inputs.size(); ++k) {
    auto x = contiguous(inputs[k]).to_vector<float>();
    ASSERT_EQ(grads[k].shape(), inputs[k].shape()) << what << " input " << k;
    auto g = grads[k].to_vector<double>();
    for (size_t i = 0; i < x.size(); ++i) {
      auto eval_at = [&](float xi) {
        auto xs = x;
        xs[i] = xi;
        std::vector<Array> in = inputs;
        in[k] = Array(xs.data(), inputs[k].shape(), Dtype::float32);
        return loss(in)[0].item<double>();
      };
      double num = (eval_at(x[i] + float(eps)) - eval_at(x[i] - float(eps))) / (2 * eps);
      EXPECT_NEAR(g[i], num, tol * (1 + std::fabs(num)))
          << what << ": d/dx" << k << "[" << i << "]";
    }
  }
}

}  // namespace lmx::test
