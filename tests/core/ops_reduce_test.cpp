// SPDX-License-Identifier: MIT
// Reductions, arg-reductions, softmax and logsumexp against double-precision references.
#include <set>

#include "lmx/core/error.h"
#include "tests/core/test_util.h"

namespace lmx::test {
namespace {

// Groups the elements of `v` (shape s) by their position outside `axes` (normalized).
// Returns the reduced shape (keepdims) and the groups, in output order.
std::vector<std::vector<double>> groups(const std::vector<double>& v, const Shape& s,
                                        const std::vector<int>& axes, Shape& kept) {
  std::set<int> ax(axes.begin(), axes.end());
  if (axes.empty())
    for (int d = 0; d < int(s.size()); ++d) ax.insert(d);
  kept = s;
  for (int d : ax) kept[d] = 1;
  std::vector<std::vector<double>> g(size_t(shape_size(kept)));
  for (int64_t i = 0; i < int64_t(v.size()); ++i) {
    auto idx = unravel(i, s);
    for (int d : ax) idx[d] = 0;
    g[size_t(ravel(idx, kept))].push_back(v[size_t(i)]);
  }
  return g;
}

Shape drop(const Shape& kept, const Shape& s, const std::vector<int>& axes) {
  Shape out;
  std::set<int> ax(axes.begin(), axes.end());
  for (int d = 0; d < int(s.size()); ++d)
    if (!(axes.empty() || ax.count(d))) out.push_back(kept[d]);
  return out;
}

Dtype sum_dtype(Dtype dt) {
  if (dt == Dtype::bool_ || dt == Dtype::int8 || dt == Dtype::int16) return Dtype::int32;
  if (dt == Dtype::uint8 || dt == Dtype::uint16) return Dtype::uint32;
  return dt;
}

TEST(Reduce, AllOpsAxesDtypesLayouts) {
  std::mt19937 rng(40);
  Shape s{3, 4, 5};
  const std::vector<std::vector<int>> axes_list = {{}, {0}, {1}, {2}, {0, 2}, {1, 2}, {0, 1, 2}};
  for (Dtype dt : kAllDtypes)
    for (Layout l : kLayouts)
      for (const auto& axes : axes_list)
        for (bool keep : {false, true}) {
          auto x = make_sample(s, dt, l, rng, -2, 2);
          Shape kept;
          auto g = groups(x.v, s, axes, kept);
          Shape out_shape = keep ? kept : drop(kept, s, axes);
          std::string w = name(dt, l) + " axes " + std::to_string(axes.size()) +
                          (axes.empty() ? "" : "@" + std::to_string(axes[0])) + (keep ? " keep" : "");
          std::vector<double> vs, vp, vmax, vmin, vall, vany, vmean, vvar;
          for (auto& grp : g) {
            double sm = 0, pr = 1, mx = -INFINITY, mn = INFINITY, m2 = 0;
            bool al = true, an = false;
            for (double v : grp) {
              sm += v;
              pr *= v;
              mx = std::max(mx, v);
              mn = std::min(mn, v);
              al = al && v != 0;
              an = an || v != 0;
            }
            double mean = sm / double(grp.size());
            for (double v : grp) m2 += (v - mean) * (v - mean);
            vs.push_back(sm);
            vp.push_back(pr);
            vmax.push_back(mx);
            vmin.push_back(mn);
            vall.push_back(al);
            vany.push_back(an);
            vmean.push_back(mean);
            vvar.push_back(m2 / double(grp.size()));
          }
          Dtype sd = sum_dtype(dt);
          for (auto* v : {&vs, &vp})
            for (auto& e : *v) e = round_to(e, sd);
          // Sums of 16-bit floats accumulate in float32 and round once.
          double t = tolerance(sd);
          expect_close(sum(x.a, axes, keep), vs, out_shape, sd, t, t * 8, "sum " + w);
          expect_close(prod(x.a, axes, keep), vp, out_shape, sd, t, t * 8, "prod " + w);
          expect_close(max(x.a, axes, keep), vmax, out_shape, dt, 0, 0, "max " + w);
          expect_close(min(x.a, axes, keep), vmin, out_shape, dt, 0, 0, "min " + w);
          expect_close(all(x.a, axes, keep), vall, out_shape, Dtype::bool_, 0, 0, "all " + w);
          expect_close(any(x.a, axes, keep), vany, out_shape, Dtype::bool_, 0, 0, "any " + w);
          Dtype fd = is_floating(dt) ? dt : Dtype::float32;
          double ft = tolerance(fd);
          expect_close(mean(x.a, axes, keep), vmean, out_shape, fd, ft * 2, ft * 8, "mean " + w);
          if (dt != Dtype::bool_)
            expect_close(var(x.a, axes, keep), vvar, out_shape, fd, ft * 4, ft * 16, "var " + w);
        }
}

TEST(Reduce, LogsumexpSoftmax) {
  std::mt19937 rng(41);
  Shape s{3, 4, 6};
  for (Dtype dt : {Dtype::float32, Dtype::float16, Dtype::bfloat16, Dtype::int32})
    for (Layout l : kLayouts)
      for (const std::vector<int>& axes :
           std::vector<std::vector<int>>{{2}, {1}, {0, 2}, {}}) {
        auto x = make_sample(s, dt, l, rng, -6, 6);
        Shape kept;
        auto g = groups(x.v, s, axes, kept);
        Dtype fd = is_floating(dt) ? dt : Dtype::float32;
        double t = tolerance(fd);
        std::vector<double> lse;
        for (auto& grp : g) {
          double m = -INFINITY, acc = 0;
          for (double v : grp) m = std::max(m, v);
          for (double v : grp) acc += std::exp(v - m);
          lse.push_back(m + std::log(acc));
        }
        std::string w = name(dt, l) + " axes " + std::to_string(axes.size());
        expect_close(logsumexp(x.a, axes, true), lse, kept, fd, t, t, "logsumexp " + w);
        // softmax over the same axes
        std::vector<double> sm(x.v.size());
        for (int64_t i = 0; i < int64_t(x.v.size()); ++i) {
          auto idx = unravel(i, s);
          for (int d = 0; d < 3; ++d)
            if (axes.empty() || std::find(axes.begin(), axes.end(), d) != axes.end()) idx[d] = 0;
          sm[size_t(i)] = std::exp(x.v[size_t(i)] - lse[size_t(ravel(idx, kept))]);
        }
        expect_close(softmax(x.a, axes), sm, s, fd, 2 * t, t, "softmax " + w);
        if (axes.size() == 1) {
          std::vector<double> ls;
          for (size_t i = 0; i < sm.size(); ++i) ls.push_back(std::log(sm[i]));
          expect_close(log_softmax(x.a, axes[0]), ls, s, fd, 2 * t, 4 * t, "log_softmax " + w);
        }
      }
  // -inf rows and large values stay finite where they should.
  Array x = Array({-INFINITY, -INFINITY, 1000.0f, 1000.0f}, {2, 2});
  auto lse = logsumexp(x, -1).to_vector<float>();
  EXPECT_EQ(lse[0], -INFINITY);
  EXPECT_NEAR(lse[1], 1000 + std::log(2.0), 1e-3);
  auto sm = softmax(x, -1).to_vector<float>();
  EXPECT_NEAR(sm[2], 0.5, 1e-6);
}

TEST(Reduce, ArgmaxArgmin) {
  std::mt19937 rng(42);
  Shape s{4, 5, 3};
  for (Dtype dt : kAllDtypes)
    for (Layout l : kLayouts)
      for (int axis : {0, 1, 2, -1}) {
        auto x = make_sample(s, dt, l, rng, -3, 3);  // ties: first index wins
        int ax = axis < 0 ? axis + 3 : axis;
        Shape kept;
        auto g = groups(x.v, s, {ax}, kept);
        std::vector<double> amax, amin;
        for (auto& grp : g) {
          amax.push_back(double(std::max_element(grp.begin(), grp.end()) - grp.begin()));
          amin.push_back(double(std::min_element(grp.begin(), grp.end()) - grp.begin()));
        }
        std::string w = name(dt, l) + " axis " + std::to_string(axis);
        expect_close(argmax(x.a, axis, true), amax, kept, Dtype::uint32, 0, 0, "argmax " + w);
        expect_close(argmin(x.a, axis), amin, drop(kept, s, {ax}), Dtype::uint32, 0, 0,
                     "argmin " + w);
      }
  EXPECT_EQ(argmax(Array({1.0f, NAN, 3.0f})).item<uint32_t>(), 1u);
  EXPECT_EQ(argmax(reshape(arange(6, Dtype::float32), {2, 3})).item<uint32_t>(), 5u);
}

TEST(Reduce, NaNEmptyAndErrors) {
  Array x = Array({NAN, 1.0f, 2.0f});
  EXPECT_TRUE(std::isnan(max(x).item<float>()));
  EXPECT_TRUE(std::isnan(min(x).item<float>()));
  EXPECT_TRUE(std::isnan(max(Array({1.0f, NAN})).item<float>()));
  EXPECT_EQ(sum(zeros({0, 3}), 0).to_vector<float>(), (std::vector<float>{0, 0, 0}));
  EXPECT_EQ(prod(zeros({2, 0}), 1).to_vector<float>(), (std::vector<float>{1, 1}));
  EXPECT_EQ(all(zeros({0}, Dtype::bool_)).item<bool>(), true);
  EXPECT_EQ(any(zeros({0}, Dtype::bool_)).item<bool>(), false);
  EXPECT_THROW(max(zeros({0, 3}), 0), ValueError);
  EXPECT_THROW(argmax(zeros({0, 3}), 0), ValueError);
  EXPECT_THROW(sum(zeros({2, 3}), 2), ValueError);
  EXPECT_THROW(sum(zeros({2, 3}), {0, 0}), ValueError);
  EXPECT_EQ(sum(Array(3.0f)).item<float>(), 3.0f);
  EXPECT_EQ(std(Array({1.0f, 3.0f}), {}, false, 1).item<float>(), std::sqrt(2.0f));
  // Long last axis (the vectorized path) in float32 and bf16.
  Array big = ones({3, 100003});
  EXPECT_EQ(sum(big, -1).to_vector<float>(), std::vector<float>(3, 100003.0f));
  EXPECT_NEAR(sum(astype(big, Dtype::bfloat16), -1).to_vector<float>()[0], 100003, 600);
  EXPECT_EQ(max(reshape(arange(100003, Dtype::float32), {1, -1}), -1).item<float>(), 100002.0f);
}

}  // namespace
}  // namespace lmx::test
