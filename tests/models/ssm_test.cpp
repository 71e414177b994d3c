// SPDX-License-Identifier: MIT
// The chunked scans of models/ssm.h against their plain recurrences, across chunk
// boundaries and with the state carried between calls.
#include <gtest/gtest.h>

#include <cmath>

#include "lmx/core/ops.h"
#include "lmx/core/random.h"
#include "lmx/models/ssm.h"

using namespace lmx;
using namespace lmx::models;

namespace {

Array at(const Array& a, int64_t t) { return squeeze(slice(a, 1, t, t + 1), {1}); }

double max_diff(const Array& a, const Array& b) {
  auto x = a.to_vector<float>(), y = b.to_vector<float>();
  EXPECT_EQ(x.size(), y.size());
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, double(std::fabs(x[i] - y[i])));
  return m;
}

Array unit_rows(const Array& x) { return multiply(x, rsqrt(sum(square(x), -1, true))); }

// h_t = exp(dt_t A) h + dt_t x_t B_t^T, y_t = h_t C_t + D x_t, one token at a time.
Array ssd_reference(const SSDInputs& in, Array* state) {
  int64_t B = in.x.shape(0), L = in.x.shape(1), H = in.x.shape(2), P = in.x.shape(3);
  int64_t G = in.B.shape(2), N = in.B.shape(3);
  Array h = state->valid() ? *state : zeros({B, H, P, N});
  std::vector<Array> ys;
  for (int64_t t = 0; t < L; ++t) {
    Array dt = at(in.dt, t);                                                       // (B, H)
    Array Bt = repeat(at(in.B, t), H / G, 1), Ct = repeat(at(in.C, t), H / G, 1);  // (B, H, N)
    Array xt = at(in.x, t);                                                        // (B, H, P)
    h = add(multiply(h, expand_dims(exp(multiply(dt, in.A)), {2, 3})),
            multiply(expand_dims(multiply(xt, expand_dims(dt, -1)), -1), expand_dims(Bt, 2)));
    Array y = squeeze(matmul(h, expand_dims(Ct, -1)), {3});
    ys.push_back(add(y, multiply(xt, expand_dims(in.D, -1))));
  }
  *state = h;
  return stack(ys, 1);
}

// S = exp(g_t) S; S += beta_t (v_t - S k_t) k_t^T; y_t = S q_t, one token at a time.
Array gated_delta_reference(const GatedDeltaInputs& in, Array* state) {
  int64_t B = in.v.shape(0), L = in.v.shape(1), Hv = in.v.shape(2), Dv = in.v.shape(3);
  int64_t Hk = in.k.shape(2), Dk = in.k.shape(3);
  Array q = repeat(in.q, Hv / Hk, 2), k = repeat(in.k, Hv / Hk, 2);
  Array S = state->valid() ? *state : zeros({B, Hv, Dv, Dk});
  std::vector<Array> ys;
  for (int64_t t = 0; t < L; ++t) {
    Array kt = at(k, t);
    S = multiply(S, expand_dims(exp(at(in.g, t)), {2, 3}));
    Array delta = multiply(subtract(expand_dims(at(in.v, t), -1), matmul(S, expand_dims(kt, -1))),
                           expand_dims(at(in.beta, t), {2, 3}));
    S = add(S, multiply(delta, expand_dims(kt, 2)));
    ys.push_back(squeeze(matmul(S, expand_dims(at(q, t), -1)), {3}));
  }
  *state = S;
  return stack(ys, 1);
}

template <class In, class F>
In window(const In& in, int64_t a, int64_t b, F fields) {
  In out = in;
  for (Array In::*f : fields) out.*f = slice(in.*f, 1, a, b);
  return out;
}

}  // namespace

TEST(Ssm, SsdScanMatchesTheRecurrence) {
  int64_t B = 2, L = 150, H = 4, P = 3, G = 2, N = 5;
  SSDInputs in{.x = random::normal({B, L, H, P}),
               .dt = multiply(random::uniform({B, L, H}), Array(0.5f)),
               .A = negative(random::uniform({H})),
               .B = random::normal({B, L, G, N}),
               .C = random::normal({B, L, G, N}),
               .D = random::normal({H})};
  auto fields = {&SSDInputs::x, &SSDInputs::dt, &SSDInputs::B, &SSDInputs::C};
  Array ref_state, state;
  Array want = ssd_reference(in, &ref_state);
  // 70 tokens, one, then the rest: chunk edges and carried state.
  Array y1 = ssd_scan(window(in, 0, 70, fields), &state);
  Array y2 = ssd_scan(window(in, 70, 71, fields), &state);
  Array y3 = ssd_scan(window(in, 71, L, fields), &state);
  EXPECT_LT(max_diff(concatenate({y1, y2, y3}, 1), want), 1e-4);
  EXPECT_LT(max_diff(state, ref_state), 1e-4);
  EXPECT_LT(max_diff(ssd_scan(in, nullptr), want), 1e-4);
}

TEST(Ssm, GatedDeltaRuleMatchesTheRecurrence) {
  int64_t B = 2, L = 150, Hk = 2, Hv = 4, Dk = 8, Dv = 6;
  GatedDeltaInputs in{.q = multiply(unit_rows(random::normal({B, L, Hk, Dk})), Array(0.35f)),
                      .k = unit_rows(random::normal({B, L, Hk, Dk})),
                      .v = random::normal({B, L, Hv, Dv}),
                      .g = multiply(random::uniform({B, L, Hv}), Array(-0.5f)),
                      .beta = random::uniform({B, L, Hv})};
  auto fields = {&GatedDeltaInputs::q, &GatedDeltaInputs::k, &GatedDeltaInputs::v,
                 &GatedDeltaInputs::g, &GatedDeltaInputs::beta};
  Array ref_state, state;
  Array want = gated_delta_reference(in, &ref_state);
  Array y1 = gated_delta_rule(window(in, 0, 70, fields), &state);
  Array y2 = gated_delta_rule(window(in, 70, 71, fields), &state);
  Array y3 = gated_delta_rule(window(in, 71, L, fields), &state);
  EXPECT_LT(max_diff(concatenate({y1, y2, y3}, 1), want), 1e-4);
  EXPECT_LT(max_diff(state, ref_state), 1e-4);
  EXPECT_LT(max_diff(gated_delta_rule(in, nullptr), want), 1e-4);
}

TEST(Ssm, CausalConvCarriesItsWindow) {
  int64_t B = 2, L = 9, C = 5, K = 4;
  Array x = random::normal({B, L, C}), w = random::normal({C, K, 1}), bias = random::normal({C});
  Array want = causal_conv1d(x, w, bias, nullptr);
  Array state;
  Array a = causal_conv1d(slice(x, 1, 0, 2), w, bias, &state);  // shorter than the window
  Array b = causal_conv1d(slice(x, 1, 2, 3), w, bias, &state);
  Array c = causal_conv1d(slice(x, 1, 3, L), w, bias, &state);
  EXPECT_LT(max_diff(concatenate({a, b, c}, 1), want), 1e-5);
  EXPECT_EQ(state.shape(), (Shape{B, K - 1, C}));
}
