// SPDX-License-Identifier: MIT
// The fused ops (rms_norm, layer_norm, rope, scaled_dot_product_attention) and conv1d:
// each against its composite reference and a double-precision loop, on odd sizes,
// strided views and every float dtype; gradients against finite differences.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "lmx/backend/cpu/fast_attention_kernels.h"
#include "lmx/core/autograd.h"
#include "lmx/core/conv.h"
#include "lmx/core/error.h"
#include "lmx/core/fast.h"
#include "lmx/core/ops.h"

using namespace lmx;

namespace {

std::vector<float> randn(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(gen);
  return v;
}

Array rand_array(const Shape& s, uint32_t seed, Dtype dt = Dtype::float32, float scale = 1.0f) {
  return astype(Array(randn(shape_size(s), seed, scale), s), dt);
}

std::vector<double> values(const Array& a) {
  auto f = astype(a, Dtype::float32).to_vector<float>();
  return std::vector<double>(f.begin(), f.end());
}

// Max |a - ref| / (atol + rtol |ref|) must stay below 1.
void expect_close(const std::vector<double>& a, const std::vector<double>& ref, double atol,
                  double rtol, const std::string& what) {
  ASSERT_EQ(a.size(), ref.size()) << what;
  double worst = 0.0;
  size_t at = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double e = std::fabs(a[i] - ref[i]) / (atol + rtol * std::fabs(ref[i]));
    if (!(e <= worst)) {
      worst = e;
      at = i;
    }
  }
  EXPECT_LE(worst, 1.0) << what << ": element " << at << " is " << a[at] << ", expected "
                        << ref[at];
}
void expect_close(const Array& a, const Array& b, double atol, double rtol,
                  const std::string& what) {
  ASSERT_EQ(a.shape(), b.shape()) << what;
  expect_close(values(a), values(b), atol, rtol, what);
}

// Tolerances for results stored in `dt` (one rounding of the output, float32 math).
double tol(Dtype dt) { return dt == Dtype::float32 ? 2e-5 : dt == Dtype::float16 ? 2e-3 : 1.6e-2; }

const Dtype kFloats[] = {Dtype::float32, Dtype::bfloat16, Dtype::float16};

// --- double-precision references ---

std::vector<double> rms_norm_loop(const std::vector<double>& x, const std::vector<double>& w,
                                  int64_t n, double eps) {
  std::vector<double> y(x.size());
  for (size_t r = 0; r < x.size() / n; ++r) {
    double ss = 0;
    for (int64_t i = 0; i < n; ++i) ss += x[r * n + i] * x[r * n + i];
    double inv = 1.0 / std::sqrt(ss / n + eps);
    for (int64_t i = 0; i < n; ++i) y[r * n + i] = x[r * n + i] * inv * (w.empty() ? 1.0 : w[i]);
  }
  return y;
}

std::vector<double> layer_norm_loop(const std::vector<double>& x, const std::vector<double>& w,
                                    const std::vector<double>& b, int64_t n, double eps) {
  std::vector<double> y(x.size());
  for (size_t r = 0; r < x.size() / n; ++r) {
    double mu = 0, var = 0;
    for (int64_t i = 0; i < n; ++i) mu += x[r * n + i] / n;
    for (int64_t i = 0; i < n; ++i) var += (x[r * n + i] - mu) * (x[r * n + i] - mu) / n;
    for (int64_t i = 0; i < n; ++i)
      y[r * n + i] = (x[r * n + i] - mu) / std::sqrt(var + eps) * (w.empty() ? 1.0 : w[i]) +
                     (b.empty() ? 0.0 : b[i]);
  }
  return y;
}

// x (B, N, L, D) row-major; offsets of size 1 or B; freqs empty for base.
std::vector<double> rope_loop(const std::vector<double>& x, Shape s, int dims, bool traditional,
                              double base, double scale, const std::vector<int>& offsets,
                              const std::vector<double>& freqs) {
  int64_t B = s[0], N = s[1], L = s[2], D = s[3], half = dims / 2;
  std::vector<double> y = x;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t l = 0; l < L; ++l) {
        const double* xr = &x[((b * N + n) * L + l) * D];
        double* yr = &y[((b * N + n) * L + l) * D];
        double pos = (l + offsets[offsets.size() > 1 ? b : 0]) * scale;
        for (int64_t i = 0; i < half; ++i) {
          double inv = freqs.empty() ? std::pow(base, -2.0 * i / dims) : 1.0 / freqs[i];
          double c = std::cos(pos * inv), sn = std::sin(pos * inv);
          int64_t i1 = traditional ? 2 * i : i, i2 = traditional ? 2 * i + 1 : i + half;
          yr[i1] = xr[i1] * c - xr[i2] * sn;
          yr[i2] = xr[i1] * sn + xr[i2] * c;
        }
      }
  return y;
}

struct SdpaCase {
  int64_t B, Hq, Hkv, Lq, Lk, Dk, Dv;
  bool causal = false;
  int window = 0;
  float softcap = 0;
  bool sinks = false;
  int mask = 0;  // 0 none, 1 bool, 2 additive
};

// Loops over (b, h, i): scores in double, masked ones dropped, softmax with the sink.
std::vector<double> sdpa_loop(const SdpaCase& c, const std::vector<double>& q,
                              const std::vector<double>& k, const std::vector<double>& v,
                              double scale, const std::vector<double>& mask,
                              const std::vector<double>& sinks) {
  std::vector<double> out(c.B * c.Hq * c.Lq * c.Dv);
  int64_t rep = c.Hq / c.Hkv;
  for (int64_t b = 0; b < c.B; ++b)
    for (int64_t h = 0; h < c.Hq; ++h)
      for (int64_t i = 0; i < c.Lq; ++i) {
        int64_t g = h / rep, pos = i + c.Lk - c.Lq;
        std::vector<double> s(c.Lk, -INFINITY);
        for (int64_t j = 0; j < c.Lk; ++j) {
          if (c.causal && j > pos) continue;
          if (c.window > 0 && j <= pos - c.window) continue;
          double mv = mask.empty() ? 0.0 : mask[((b * c.Hq + h) * c.Lq + i) * c.Lk + j];
          if (c.mask == 1 && mv == 0.0) continue;
          double d = 0;
          for (int64_t e = 0; e < c.Dk; ++e)
            d += q[((b * c.Hq + h) * c.Lq + i) * c.Dk + e] *
                 k[((b * c.Hkv + g) * c.Lk + j) * c.Dk + e];
          d *= scale;
          if (c.softcap > 0) d = c.softcap * std::tanh(d / c.softcap);
          if (c.mask == 2) d += mv;
          s[j] = d;
        }
        double mx = sinks.empty() ? -INFINITY : sinks[h];
        for (double x : s) mx = std::max(mx, x);
        double den = sinks.empty() ? 0.0 : std::exp(sinks[h] - mx);
        for (double& x : s) den += x = std::exp(x - mx);
        for (int64_t e = 0; e < c.Dv; ++e) {
          double a = 0;
          for (int64_t j = 0; j < c.Lk; ++j) a += s[j] * v[((b * c.Hkv + g) * c.Lk + j) * c.Dv + e];
          out[((b * c.Hq + h) * c.Lq + i) * c.Dv + e] = a / den;
        }
      }
  return out;
}

// Central finite differences of sum(f(x) * r) at a few coordinates of x vs the gradient.
void check_grad(const std::function<Array(const Array&)>& f, const Array& x, uint32_t seed,
                const std::string& what, double tolerance = 2e-2) {
  Array y = f(x);
  Array r = rand_array(y.shape(), seed);
  auto loss = [&](const Array& a) { return sum(multiply(f(a), r)); };
  auto vg =
      value_and_grad([&](const std::vector<Array>& in) { return std::vector<Array>{loss(in[0])}; });
  auto g = vg({x}).second[0].to_vector<float>();
  auto xv = x.to_vector<float>();
  std::mt19937 gen(seed);
  const float eps = 1e-2f;
  for (int t = 0; t < 12; ++t) {
    size_t i = gen() % xv.size();
    auto plus = xv, minus = xv;
    plus[i] += eps;
    minus[i] -= eps;
    double fp = loss(Array(plus, x.shape())).item<float>();
    double fm = loss(Array(minus, x.shape())).item<float>();
    double fd = (fp - fm) / (2 * eps);
    EXPECT_NEAR(g[i], fd, tolerance * (1 + std::fabs(fd))) << what << " at " << i;
  }
}

}  // namespace

// ---------------- rms_norm / layer_norm ----------------

TEST(FastRmsNorm, MatchesCompositeAndLoop) {
  for (Dtype dt : kFloats) {
    for (int64_t n : {1, 7, 64, 333}) {
      for (bool with_w : {true, false}) {
        // A transposed (non-contiguous) view of x.
        Array x = transpose(rand_array({n, 5, 3}, 1 + n, dt), {1, 2, 0});  // (5, 3, n)
        Array w = with_w ? rand_array({n}, 2, dt) : Array();
        Array y = fast::rms_norm(x, w, 1e-5f);
        EXPECT_EQ(y.dtype(), dt);
        std::string what = fmt::format("rms_norm {} n={} w={}", dtype_name(dt), n, with_w);
        expect_close(y, fast::rms_norm_reference(x, w, 1e-5f), tol(dt), tol(dt), what);
        auto ref = rms_norm_loop(values(contiguous(x)), with_w ? values(w) : std::vector<double>{},
                                 n, 1e-5);
        expect_close(values(y), ref, tol(dt), tol(dt), what + " vs loop");
      }
    }
  }
}

TEST(FastRmsNorm, Errors) {
  Array x = zeros({2, 2048});
  try {
    fast::rms_norm(x, zeros({4096}), 1e-5f);
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "[rms_norm] weight has 4096 elements, input has 2048 features");
  }
  EXPECT_THROW(fast::rms_norm(zeros({3}, Dtype::int32), Array(), 1e-5f), DtypeError);
  EXPECT_THROW(fast::layer_norm(x, Array(), zeros({3}), 1e-5f), ShapeError);
}

TEST(FastRmsNorm, Gradient) {
  Array w = rand_array({13}, 4);
  check_grad([&](const Array& x) { return fast::rms_norm(x, w, 1e-5f); }, rand_array({3, 13}, 3), 5,
             "rms_norm dx");
  Array x = rand_array({3, 13}, 6);
  check_grad([&](const Array& w2) { return fast::rms_norm(x, w2, 1e-5f); }, w, 7, "rms_norm dw");
}

TEST(FastLayerNorm, MatchesCompositeAndLoop) {
  for (Dtype dt : kFloats) {
    for (int64_t n : {1, 9, 130}) {
      for (int opt = 0; opt < 4; ++opt) {
        Array x = transpose(rand_array({n, 4}, 10 + n, dt, 2.0f));  // (4, n)
        x = add(x, Array(1.5f));
        Array w = opt & 1 ? rand_array({n}, 11, dt) : Array();
        Array b = opt & 2 ? rand_array({n}, 12, dt) : Array();
        Array y = fast::layer_norm(x, w, b, 1e-5f);
        std::string what = fmt::format("layer_norm {} n={} opt={}", dtype_name(dt), n, opt);
        expect_close(y, fast::layer_norm_reference(x, w, b, 1e-5f), tol(dt), tol(dt), what);
        auto ref = layer_norm_loop(values(x), w.valid() ? values(w) : std::vector<double>{},
                                   b.valid() ? values(b) : std::vector<double>{}, n, 1e-5);
        expect_close(values(y), ref, 4 * tol(dt), tol(dt), what + " vs loop");
      }
    }
  }
}

TEST(FastLayerNorm, Gradient) {
  Array w = rand_array({11}, 4), b = rand_array({11}, 5);
  check_grad([&](const Array& x) { return fast::layer_norm(x, w, b, 1e-5f); },
             rand_array({3, 11}, 3), 6, "layer_norm dx");
  Array x = rand_array({3, 11}, 7);
  check_grad([&](const Array& w2) { return fast::layer_norm(x, w2, b, 1e-5f); }, w, 8,
             "layer_norm dw");
  check_grad([&](const Array& b2) { return fast::layer_norm(x, w, b2, 1e-5f); }, b, 9,
             "layer_norm db");
}

// ---------------- rope ----------------

TEST(FastRope, MatchesCompositeAndLoop) {
  struct Case {
    Shape s;
    int dims;
    bool trad;
    float scale;
    std::vector<int> offsets;
    bool freqs;
  };
  std::vector<Case> cases = {
      {{2, 3, 5, 16}, 16, false, 1.0f, {0}, false},
      {{2, 3, 5, 16}, 16, true, 1.0f, {7}, false},
      {{1, 2, 9, 24}, 10, false, 0.5f, {3}, false},       // partial rotary
      {{1, 2, 9, 24}, 10, true, 1.0f, {100}, false},      // partial, traditional
      {{3, 1, 4, 8}, 8, false, 1.0f, {0, 5, 11}, false},  // per-batch offsets
      {{2, 2, 6, 12}, 12, false, 1.0f, {4}, true},        // explicit freqs
      {{2, 2, 6, 12}, 8, true, 2.0f, {1, 2}, true},
  };
  for (Dtype dt : kFloats) {
    for (size_t ci = 0; ci < cases.size(); ++ci) {
      const Case& c = cases[ci];
      // x as a transposed view: stored (B, L, N, D), used as (B, N, L, D).
      Array x = transpose(rand_array({c.s[0], c.s[2], c.s[1], c.s[3]}, 20 + ci, dt), {0, 2, 1, 3});
      Array offset = c.offsets.size() == 1 ? Array(c.offsets[0])
                                           : Array(c.offsets, {int64_t(c.offsets.size())});
      std::vector<float> fv;
      for (int i = 0; i < c.dims / 2; ++i) fv.push_back(1.0f + 3.0f * i * i);
      Array freqs = c.freqs ? Array(fv, {int64_t(fv.size())}) : Array();
      std::optional<float> base;
      if (!c.freqs) base = 10000.0f;
      Array y = fast::rope(x, c.dims, c.trad, base, c.scale, offset, freqs);
      std::string what = fmt::format("rope {} case {}", dtype_name(dt), ci);
      EXPECT_EQ(y.shape(), x.shape());
      expect_close(y, fast::rope_reference(x, c.dims, c.trad, base, c.scale, offset, freqs),
                   tol(dt), tol(dt), what);
      std::vector<double> fd(fv.begin(), fv.end());
      auto ref = rope_loop(values(contiguous(x)), c.s, c.dims, c.trad, 10000.0, c.scale, c.offsets,
                           c.freqs ? fd : std::vector<double>{});
      expect_close(values(y), ref, 2 * tol(dt), tol(dt), what + " vs loop");
    }
  }
  // 3-D input and an int offset.
  Array x3 = rand_array({2, 7, 8}, 30);
  expect_close(fast::rope(x3, 8, false, 10000.0f, 1.0f, 3),
               fast::rope_reference(x3, 8, false, 10000.0f, 1.0f, Array(3)), 1e-5, 1e-5, "3-D");
}

TEST(FastRope, GradientAndErrors) {
  check_grad([](const Array& x) { return fast::rope(x, 6, false, 10000.0f, 1.0f, 2); },
             rand_array({1, 2, 3, 8}, 40), 41, "rope dx");
  check_grad([](const Array& x) { return fast::rope(x, 8, true, 500.0f, 1.0f, 1); },
             rand_array({1, 2, 3, 8}, 42), 43, "rope traditional dx");
  Array x = zeros({1, 2, 3, 8});
  EXPECT_THROW(fast::rope(x, 7, false, 10000.0f, 1.0f, 0), ValueError);
  EXPECT_THROW(fast::rope(x, 10, false, 10000.0f, 1.0f, 0), ValueError);
  EXPECT_THROW(fast::rope(x, 8, false, std::nullopt, 1.0f, 0), ValueError);
  EXPECT_THROW(fast::rope(x, 8, false, 1e4f, 1.0f, Array({1, 2, 3}, {3})), ShapeError);
  EXPECT_THROW(fast::rope(x, 8, false, std::nullopt, 1.0f, 0, zeros({3})), ShapeError);
}

// ---------------- attention ----------------

namespace {

void run_sdpa_case(const SdpaCase& c, Dtype dt, uint32_t seed) {
  std::string what = fmt::format(
      "sdpa {} B={} Hq={} Hkv={} Lq={} Lk={} Dk={} Dv={} causal={} window={} softcap={} "
      "sinks={} mask={}",
      dtype_name(dt), c.B, c.Hq, c.Hkv, c.Lq, c.Lk, c.Dk, c.Dv, c.causal, c.window, c.softcap,
      c.sinks, c.mask);
  // q stored (B, Lq, Hq, D) and transposed; k, v windows of a longer cache.
  Array q = transpose(rand_array({c.B, c.Lq, c.Hq, c.Dk}, seed, dt), {0, 2, 1, 3});
  Array kc = rand_array({c.B, c.Hkv, c.Lk + 5, c.Dk}, seed + 1, dt);
  Array vc = rand_array({c.B, c.Hkv, c.Lk + 5, c.Dv}, seed + 2, dt);
  Array k = slice(kc, 2, 2, 2 + c.Lk), v = slice(vc, 2, 2, 2 + c.Lk);
  fast::AttentionMask mask;
  mask.causal = c.causal;
  std::vector<double> mfull;
  if (c.mask == 1) {
    // Random keep mask broadcast over heads, keeping the diagonal so no row is empty.
    std::mt19937 gen(seed + 3);
    std::vector<uint8_t> m(c.B * c.Lq * c.Lk);
    for (int64_t b = 0; b < c.B; ++b)
      for (int64_t i = 0; i < c.Lq; ++i)
        for (int64_t j = 0; j < c.Lk; ++j)
          m[(b * c.Lq + i) * c.Lk + j] = j == i + c.Lk - c.Lq || gen() % 3 != 0;
    mask.array = astype(Array(m, {c.B, 1, c.Lq, c.Lk}), Dtype::bool_);
  } else if (c.mask == 2) {
    mask.array = rand_array({c.Lq, c.Lk}, seed + 3, Dtype::float32, 2.0f);
  }
  if (mask.array.valid()) mfull = values(broadcast_to(mask.array, {c.B, c.Hq, c.Lq, c.Lk}));
  fast::AttentionOptions o{.sliding_window = c.window, .softcap = c.softcap};
  if (c.sinks) o.sinks = rand_array({c.Hq}, seed + 4);
  float scale = 1.0f / std::sqrt(float(c.Dk));
  Array y = fast::scaled_dot_product_attention(q, k, v, scale, mask, o);
  ASSERT_EQ(y.shape(), (Shape{c.B, c.Hq, c.Lq, c.Dv})) << what;
  EXPECT_EQ(y.dtype(), dt);
  Array yr = fast::scaled_dot_product_attention_reference(q, k, v, scale, mask, o);
  expect_close(y, yr, tol(dt), tol(dt), what);
  auto ref = sdpa_loop(c, values(contiguous(q)), values(contiguous(k)), values(contiguous(v)),
                       scale, mfull, c.sinks ? values(o.sinks) : std::vector<double>{});
  expect_close(values(y), ref, 2 * tol(dt), 2 * tol(dt), what + " vs loop");
}

}  // namespace

TEST(FastAttention, MatchesCompositeAndLoop) {
  std::vector<SdpaCase> cases = {
      {1, 2, 2, 3, 3, 8, 8},                               // plain MHA
      {2, 6, 2, 5, 37, 24, 24, true},                      // GQA 3, causal, Lq < Lk
      {1, 8, 1, 70, 70, 16, 16, true},                     // MQA, prefill past one block
      {2, 4, 2, 9, 130, 12, 20, false, 0, 0, false, 1},    // bool mask, Dv != Dk
      {1, 4, 4, 7, 33, 8, 8, false, 0, 0, false, 2},       // additive mask
      {1, 4, 2, 40, 100, 16, 16, true, 8},                 // sliding window
      {1, 2, 1, 6, 50, 16, 16, true, 0, 5.0f},             // softcap
      {2, 4, 2, 4, 29, 16, 16, true, 0, 0, true},          // sinks
      {1, 6, 2, 11, 90, 16, 8, true, 16, 30.0f, true, 1},  // everything
      {1, 4, 1, 1, 1500, 32, 32},                          // decode with split keys
      {1, 8, 2, 1, 2100, 16, 16, true, 300, 0, true},      // decode, window, sinks
  };
  for (Dtype dt : kFloats)
    for (size_t i = 0; i < cases.size(); ++i) run_sdpa_case(cases[i], dt, 100 + 10 * i);
}

TEST(FastAttention, PortableKernelMatches) {
  // The same cases through the portable kernel (the AVX-512 one is the default here).
  bool was = cpu::avx512_enabled();
  cpu::avx512_enabled() = false;
  std::vector<SdpaCase> cases = {
      {2, 6, 2, 5, 37, 24, 20, true, 0, 0, true, 1},
      {1, 4, 1, 1, 1500, 32, 32, false, 64, 10.0f},
  };
  for (Dtype dt : kFloats)
    for (size_t i = 0; i < cases.size(); ++i) run_sdpa_case(cases[i], dt, 300 + 10 * i);
  cpu::avx512_enabled() = was;
}

TEST(FastAttention, CausalWithMoreQueriesThanKeys) {
  // Queries before the first key see nothing; the result matches the composite.
  Array q = rand_array({1, 2, 5, 8}, 1), k = rand_array({1, 2, 3, 8}, 2),
        v = rand_array({1, 2, 3, 8}, 3);
  expect_close(fast::scaled_dot_product_attention(q, k, v, 0.3f, "causal"),
               fast::scaled_dot_product_attention_reference(q, k, v, 0.3f, "causal"), 1e-5, 1e-5,
               "Lq > Lk");
  // Empty key head dim: every score is 0, so the output averages v.
  Array y = fast::scaled_dot_product_attention(zeros({1, 2, 3, 0}), zeros({1, 2, 4, 0}),
                                               ones({1, 2, 4, 5}), 1.0f);
  EXPECT_EQ(y.shape(), (Shape{1, 2, 3, 5}));
  expect_close(y, ones({1, 2, 3, 5}), 1e-6, 1e-6, "Dk = 0");
}

TEST(FastAttention, Gradient) {
  Array k = rand_array({1, 2, 6, 8}, 51), v = rand_array({1, 2, 6, 8}, 52);
  Array q = rand_array({1, 4, 3, 8}, 50);
  fast::AttentionOptions o{.softcap = 4.0f, .sinks = rand_array({4}, 53)};
  check_grad(
      [&](const Array& x) {
        return fast::scaled_dot_product_attention(x, k, v, 0.35f, "causal", o);
      },
      q, 54, "sdpa dq");
  check_grad(
      [&](const Array& x) {
        return fast::scaled_dot_product_attention(q, x, v, 0.35f, "causal", o);
      },
      k, 55, "sdpa dk");
  check_grad(
      [&](const Array& x) {
        return fast::scaled_dot_product_attention(q, k, x, 0.35f, "causal", o);
      },
      v, 56, "sdpa dv");
  check_grad(
      [&](const Array& s) {
        fast::AttentionOptions o2{.sinks = s};
        return fast::scaled_dot_product_attention(q, k, v, 0.35f, {}, o2);
      },
      o.sinks, 57, "sdpa dsinks");
}

TEST(FastAttention, Errors) {
  Array q = zeros({1, 6, 2, 8}), k = zeros({1, 4, 3, 8}), v = zeros({1, 4, 3, 8});
  EXPECT_THROW(fast::scaled_dot_product_attention(q, k, v, 1.0f), ShapeError);  // 6 % 4
  EXPECT_THROW(fast::scaled_dot_product_attention(zeros({1, 4, 2, 7}), k, v, 1.0f), ShapeError);
  EXPECT_THROW(fast::scaled_dot_product_attention(zeros({4, 2, 8}), k, v, 1.0f), ShapeError);
  EXPECT_THROW(fast::scaled_dot_product_attention(zeros({1, 4, 2, 8}), k, v, 1.0f, "banana"),
               ValueError);
  EXPECT_THROW(fast::scaled_dot_product_attention(zeros({1, 4, 2, 8}), k, v, 1.0f, zeros({2, 4})),
               ShapeError);
  fast::AttentionOptions o{.sinks = zeros({3})};
  EXPECT_THROW(fast::scaled_dot_product_attention(zeros({1, 4, 2, 8}), k, v, 1.0f, {}, o),
               ShapeError);
}

// ---------------- conv1d ----------------

TEST(Conv1d, MatchesReferenceAndLoop) {
  struct Case {
    int64_t N, L, C_in, C_out, K;
    int stride, padding, dilation, groups;
  };
  std::vector<Case> cases = {
      {1, 9, 3, 5, 3, 1, 0, 1, 1},  {2, 17, 6, 4, 4, 2, 3, 1, 2},
      {2, 12, 8, 8, 4, 1, 3, 1, 8},  // depthwise, causal-style padding (Mamba)
      {1, 20, 4, 8, 3, 1, 2, 2, 4},  // depthwise with multiplier 2, dilation
      {3, 5, 7, 7, 1, 1, 0, 1, 7},
  };
  for (Dtype dt : kFloats) {
    for (size_t ci = 0; ci < cases.size(); ++ci) {
      const Case& c = cases[ci];
      Array x = transpose(rand_array({c.N, c.C_in, c.L}, 60 + ci, dt), {0, 2, 1});  // (N, L, C)
      Array w = rand_array({c.C_out, c.K, c.C_in / c.groups}, 61 + ci, dt);
      Array y = conv1d(x, w, c.stride, c.padding, c.dilation, c.groups);
      std::string what = fmt::format("conv1d {} case {}", dtype_name(dt), ci);
      expect_close(y, conv1d_reference(x, w, c.stride, c.padding, c.dilation, c.groups), tol(dt),
                   tol(dt), what);
      int64_t Lo = y.shape(1), cin = c.C_in / c.groups, cout = c.C_out / c.groups;
      auto xv = values(contiguous(x)), wv = values(w);
      std::vector<double> ref(c.N * Lo * c.C_out, 0.0);
      for (int64_t n = 0; n < c.N; ++n)
        for (int64_t l = 0; l < Lo; ++l)
          for (int64_t o = 0; o < c.C_out; ++o)
            for (int64_t k = 0; k < c.K; ++k) {
              int64_t li = l * c.stride - c.padding + k * c.dilation;
              if (li < 0 || li >= c.L) continue;
              for (int64_t i = 0; i < cin; ++i)
                ref[(n * Lo + l) * c.C_out + o] +=
                    xv[(n * c.L + li) * c.C_in + (o / cout) * cin + i] *
                    wv[(o * c.K + k) * cin + i];
            }
      expect_close(values(y), ref, 2 * tol(dt), 2 * tol(dt), what + " vs loop");
    }
  }
}

TEST(Conv1d, GradientAndErrors) {
  Array w = rand_array({6, 3, 1}, 70);
  check_grad([&](const Array& x) { return conv1d(x, w, 1, 2, 1, 6); }, rand_array({2, 7, 6}, 71),
             72, "conv1d depthwise dx");
  Array x = rand_array({2, 7, 4}, 73);
  check_grad([&](const Array& w2) { return conv1d(x, w2, 2, 1, 1, 2); }, rand_array({4, 3, 2}, 74),
             75, "conv1d grouped dw");
  EXPECT_THROW(conv1d(zeros({1, 5, 4}), zeros({4, 3, 3})), ShapeError);
  EXPECT_THROW(conv1d(zeros({1, 5, 4}), zeros({3, 3, 2}), 1, 0, 1, 2), ValueError);
  EXPECT_THROW(conv1d(zeros({1, 2, 4}), zeros({4, 3, 4})), ShapeError);
}
