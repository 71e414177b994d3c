// SPDX-License-Identifier: MIT
// Scans and sorting against double-precision references.
#include <algorithm>
#include <numeric>

#include "lmx/core/error.h"
#include "tests/core/test_util.h"

namespace lmx::test {
namespace {

// The identity of an empty integer cummax (lowest) or cummin (max).
double int_limit(Dtype dt, bool lowest) {
  return dispatch_dtype(dt, [&](auto t) {
    using T = decltype(t);
    if constexpr (std::is_arithmetic_v<T>)
      return double(lowest ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max());
    return 0.0;
  });
}

// Reference scan of `v` (shape s) along `axis`.
std::vector<double> ref_scan(const std::vector<double>& v, const Shape& s, int axis, int op,
                             bool reverse, bool inclusive, Dtype out) {
  std::vector<double> r(v.size());
  for (int64_t i = 0; i < int64_t(v.size()); ++i) {
    auto idx = unravel(i, s);
    double acc = op == 0 ? 0 : op == 1 ? 1 : op == 2 ? -INFINITY : INFINITY;
    int64_t n = s[axis], pos = idx[axis];
    for (int64_t k = 0; k < n; ++k) {
      bool in = reverse ? (inclusive ? k >= pos : k > pos) : (inclusive ? k <= pos : k < pos);
      if (!in) continue;
      idx[axis] = k;
      double x = v[size_t(ravel(idx, s))];
      acc = op == 0 ? acc + x : op == 1 ? acc * x : op == 2 ? std::max(acc, x) : std::min(acc, x);
    }
    if (std::isinf(acc) && !is_floating(out)) {
      // The integer identity itself: rounding it through double would convert 2^63 back
      // to int64, which is undefined (it differed between -O2 and -O3).
      r[size_t(i)] = int_limit(out, op == 2);
      continue;
    }
    r[size_t(i)] = is_floating(out) ? acc : round_to(acc, out);
  }
  return r;
}

TEST(Scan, AllOpsDtypesLayouts) {
  std::mt19937 rng(1);
  Shape shape{3, 5, 4};
  using Fn = Array (*)(const Array&, int, bool, bool);
  Fn fns[] = {cumsum, cumprod, cummax, cummin};
  for (Dtype dt : kAllDtypes)
    for (Layout l : kLayouts)
      for (int op = 0; op < 4; ++op)
        for (int axis : {0, 1, -1})
          for (bool rev : {false, true})
            for (bool inc : {true, false}) {
              // Small magnitudes keep products exact-ish in 16-bit floats.
              auto s = make_sample(shape, dt, l, rng, op == 1 ? -1.5 : -4, op == 1 ? 1.5 : 4);
              Array r = fns[op](s.a, axis, rev, inc);
              Dtype out = dt == Dtype::bool_ && op < 2 ? Dtype::int32 : dt;
              auto want = ref_scan(s.v, shape, axis < 0 ? axis + 3 : axis, op, rev, inc, out);
              // 16-bit floats accumulate in float32 and round each output once.
              double t = tolerance(out);
              expect_close(r, want, shape, out, t, t * 4,
                           name(dt, l) + " op " + std::to_string(op) + " axis " +
                               std::to_string(axis) + (rev ? " rev" : "") + (inc ? "" : " excl"));
            }
}

TEST(Scan, EdgeCases) {
  Array e = zeros({0, 3});
  EXPECT_EQ(cumsum(e, 0).shape(), (Shape{0, 3}));
  EXPECT_EQ(cumsum(zeros({2, 0}), 1).shape(), (Shape{2, 0}));
  EXPECT_THROW(cumsum(Array(1.0f), 0), ValueError);
  EXPECT_THROW(cumsum(ones({2}), 1), ValueError);
  try {
    cumprod(ones({2}), 3);
  } catch (const ValueError& err) {
    EXPECT_NE(std::string(err.what()).find("[cumprod]"), std::string::npos);
  }
  // NaN sticks in cummax.
  Array x = Array({1.0f, NAN, 0.5f, 3.0f});
  auto r = cummax(x, 0).to_vector<float>();
  EXPECT_EQ(r[0], 1.0f);
  EXPECT_TRUE(std::isnan(r[1]) && std::isnan(r[3]));
  // A long last axis (the parallel path) and a long middle axis.
  Array big = ones({3, 5000});
  EXPECT_EQ(cumsum(big, 1).to_vector<float>()[4999], 5000.0f);
  EXPECT_EQ(cumsum(ones({2, 700, 3000}), 1).to_vector<float>().back(), 700.0f);
}

TEST(Scan, Grad) {
  std::mt19937 rng(2);
  auto x = make_array(random_values(12, Dtype::float32, rng, 0.5, 1.5), {3, 4}, Dtype::float32);
  for (int axis : {0, 1})
    for (bool rev : {false, true})
      for (bool inc : {true, false}) {
        std::string w = std::to_string(axis) + (rev ? " rev" : "") + (inc ? "" : " excl");
        check_grad([&](const std::vector<Array>& in) { return cumsum(in[0], axis, rev, inc); },
                   {x}, "cumsum " + w);
        check_grad([&](const std::vector<Array>& in) { return cumprod(in[0], axis, rev, inc); },
                   {x}, "cumprod " + w);
      }
}

// Reference stable argsort along `axis`.
std::vector<double> ref_argsort(const std::vector<double>& v, const Shape& s, int axis) {
  std::vector<double> r(v.size());
  int64_t n = s[axis];
  for (int64_t i = 0; i < int64_t(v.size()); ++i) {
    auto idx = unravel(i, s);
    if (idx[axis] != 0) continue;
    std::vector<double> row(n);
    for (int64_t k = 0; k < n; ++k) {
      idx[axis] = k;
      row[k] = v[size_t(ravel(idx, s))];
    }
    std::vector<int64_t> p(n);
    std::iota(p.begin(), p.end(), 0);
    std::stable_sort(p.begin(), p.end(), [&](int64_t a, int64_t b) {
      return row[a] < row[b] || (std::isnan(row[b]) && !std::isnan(row[a]));
    });
    for (int64_t k = 0; k < n; ++k) {
      idx[axis] = k;
      r[size_t(ravel(idx, s))] = double(p[k]);
    }
  }
  return r;
}

TEST(Sort, SortArgsortAllDtypesLayouts) {
  std::mt19937 rng(3);
  Shape shape{4, 7, 3};
  for (Dtype dt : kAllDtypes)
    for (Layout l : kLayouts)
      for (int axis : {0, 1, 2}) {
        // Few distinct values, so ties exercise stability.
        auto s = make_sample(shape, dt, l, rng, -3, 3);
        auto idx = ref_argsort(s.v, shape, axis);
        std::vector<double> vals(idx.size());
        for (int64_t i = 0; i < int64_t(idx.size()); ++i) {
          auto at = unravel(i, shape);
          at[axis] = int64_t(idx[size_t(i)]);
          vals[size_t(i)] = s.v[size_t(ravel(at, shape))];
        }
        std::string w = name(dt, l) + " axis " + std::to_string(axis);
        expect_close(argsort(s.a, axis), idx, shape, Dtype::uint32, 0, 0, "argsort " + w);
        expect_close(sort(s.a, axis), vals, shape, dt, 0, 0, "sort " + w);
      }
}

TEST(Sort, NaNsLastAndEmpty) {
  Array x = Array({3.0f, NAN, -1.0f, 2.0f});
  auto v = sort(x, 0).to_vector<float>();
  EXPECT_EQ(v[0], -1.0f);
  EXPECT_EQ(v[2], 3.0f);
  EXPECT_TRUE(std::isnan(v[3]));
  EXPECT_EQ(argsort(x).to_vector<uint32_t>(), (std::vector<uint32_t>{2, 3, 0, 1}));
  EXPECT_EQ(sort(zeros({0, 4}), 1).shape(), (Shape{0, 4}));
  EXPECT_EQ(sort(zeros({3, 0}), 1).shape(), (Shape{3, 0}));
  EXPECT_THROW(sort(Array(1.0f)), ValueError);
}

TEST(Sort, PartitionAndTopk) {
  std::mt19937 rng(4);
  Shape shape{5, 9};
  for (Dtype dt : kAllDtypes)
    for (Layout l : kLayouts)
      for (int axis : {0, 1})
        for (int kth : {0, 2, -1}) {
          auto s = make_sample(shape, dt, l, rng, -20, 20);
          std::string w = name(dt, l) + " axis " + std::to_string(axis) + " kth " +
                          std::to_string(kth);
          Array p = partition(s.a, kth, axis);
          Array pi = argpartition(s.a, kth, axis);
          ASSERT_EQ(p.dtype(), dt);
          ASSERT_EQ(pi.dtype(), Dtype::uint32);
          auto pv = p.to_vector<double>();
          auto iv = pi.to_vector<double>();
          auto sorted = sort(s.a, axis).to_vector<double>();
          int64_t n = shape[axis], k = kth < 0 ? kth + n : kth;
          for (int64_t o = 0; o < shape[1 - axis]; ++o) {
            auto at = [&](int64_t i) { return axis == 0 ? i * shape[1] + o : o * shape[1] + i; };
            double pivot = pv[size_t(at(k))];
            EXPECT_EQ(pivot, sorted[size_t(at(k))]) << w;
            std::vector<bool> seen(n, false);
            for (int64_t i = 0; i < n; ++i) {
              if (i < k) {
                EXPECT_LE(pv[size_t(at(i))], pivot) << w;
              }
              if (i > k) {
                EXPECT_GE(pv[size_t(at(i))], pivot) << w;
              }
              // argpartition indexes the partitioned values
              int64_t src = int64_t(iv[size_t(at(i))]);
              ASSERT_LT(src, n) << w;
              seen[src] = true;
              EXPECT_EQ(s.v[size_t(at(src))], pv[size_t(at(i))]) << w;
            }
            EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](bool b) { return b; })) << w;
          }
        }
  // topk: the k largest (as a multiset) along the axis.
  Array x = Array({5.0f, 1.0f, 9.0f, 3.0f, 7.0f, 9.0f});
  auto t = topk(x, 3).to_vector<float>();
  std::sort(t.begin(), t.end());
  EXPECT_EQ(t, (std::vector<float>{7, 9, 9}));
  EXPECT_EQ(topk(x, 6).shape(), (Shape{6}));
  EXPECT_EQ(topk(x, 0).shape(), (Shape{0}));
  EXPECT_EQ(topk(reshape(x, {2, 3}), 2, 0).shape(), (Shape{2, 3}));
  EXPECT_THROW(topk(x, 7), ValueError);
  EXPECT_THROW(partition(x, 6), ValueError);
  EXPECT_THROW(argpartition(x, -7), ValueError);
}

TEST(Sort, Grad) {
  std::mt19937 rng(5);
  // Distinct values: sorting is differentiable away from ties.
  std::vector<double> v(12);
  std::iota(v.begin(), v.end(), 0.0);
  std::shuffle(v.begin(), v.end(), rng);
  for (auto& x : v) x = x * 0.37 - 2;
  Array x = make_array(v, {3, 4}, Dtype::float32);
  for (int axis : {0, 1}) {
    check_grad([&](const std::vector<Array>& in) { return sort(in[0], axis); }, {x},
               "sort " + std::to_string(axis));
    check_grad([&](const std::vector<Array>& in) { return partition(in[0], 1, axis); }, {x},
               "partition " + std::to_string(axis));
    check_grad([&](const std::vector<Array>& in) { return topk(in[0], 2, axis); }, {x},
               "topk " + std::to_string(axis));
  }
}

}  // namespace
}  // namespace lmx::test
