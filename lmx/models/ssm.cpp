// SPDX-License-Identifier: MIT
#include "lmx/models/ssm.h"

#include <algorithm>
#include <vector>

#include "lmx/core/error.h"
#include "lmx/core/ops.h"

namespace lmx::models {

namespace {

constexpr Dtype kF32 = Dtype::float32;

Array f32(const Array& a) { return a.dtype() == kF32 ? a : astype(a, kF32); }

// The carried state, or zeros of `shape` when there is none yet.
Array initial_state(const Array* state, const Shape& shape) {
  return state && state->valid() ? f32(*state) : zeros(shape, kF32);
}

// Step t of a (B, T, ...) array as (B, ...).
Array step(const Array& a, int64_t t) { return squeeze(slice(a, 1, t, t + 1), {1}); }

}  // namespace

Array causal_conv1d(const Array& x, const Array& weight, const Array& bias, Array* state) {
  int64_t B = x.shape(0), L = x.shape(1), C = x.shape(2), K = weight.shape(1);
  LMX_CHECK(weight.shape(0) == C && weight.shape(2) == 1, ValueError, "causal_conv1d",
            "weight {} does not fit {} channels", shape_str(weight.shape()), C);
  Array prev =
      state && state->valid() ? astype(*state, x.dtype()) : zeros({B, K - 1, C}, x.dtype());
  Array xp = concatenate({prev, x}, 1);  // (B, K-1+L, C)
  if (state) *state = contiguous(slice(xp, 1, L, L + K - 1));
  Array y = conv1d(xp, astype(weight, x.dtype()), 1, 0, 1, int(C));  // (B, L, C)
  return bias.valid() ? add(y, astype(bias, x.dtype())) : y;
}

DepthwiseConv1d::DepthwiseConv1d(int64_t channels, int64_t kernel_size, bool has_bias) {
  weight = zeros({channels, kernel_size, 1});
  register_parameter("weight", weight);
  if (has_bias) {
    bias = zeros({channels});
    register_parameter("bias", bias);
  }
}

void sanitize_conv1d(std::map<std::string, Array>& weights, const std::string& suffix) {
  for (auto& [name, w] : weights) {
    bool match = name.size() >= suffix.size() &&
                 name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    if (match && w.ndim() == 3 && w.shape(2) != 1) w = moveaxis(w, 2, 1);
  }
}

Array selective_scan(const SelectiveScanInputs& in, Array* state) {
  int64_t B = in.x.shape(0), L = in.x.shape(1), I = in.x.shape(2), N = in.A.shape(1);
  Array x = f32(in.x), dt = f32(in.dt), A = f32(in.A), Bm = f32(in.B), Cm = f32(in.C);
  Array h = initial_state(state, {B, I, N});
  // Chunks bound the (B, T, I, N) discretized terms; within one, a plain recurrence.
  constexpr int64_t kChunk = 64;
  std::vector<Array> ys;
  for (int64_t c0 = 0; c0 < L; c0 += kChunk) {
    int64_t T = std::min(kChunk, L - c0);
    Array dtc = slice(dt, 1, c0, c0 + T);               // (B, T, I)
    Array dA = exp(multiply(expand_dims(dtc, -1), A));  // (B, T, I, N)
    Array dBx = multiply(expand_dims(multiply(dtc, slice(x, 1, c0, c0 + T)), -1),
                         expand_dims(slice(Bm, 1, c0, c0 + T), 2));  // (B, T, I, N)
    std::vector<Array> hs;
    for (int64_t t = 0; t < T; ++t) {
      h = add(multiply(h, step(dA, t)), step(dBx, t));
      hs.push_back(h);
    }
    Array H = stack(hs, 1);                                // (B, T, I, N)
    Array Cc = expand_dims(slice(Cm, 1, c0, c0 + T), -1);  // (B, T, N, 1)
    ys.push_back(squeeze(matmul(H, Cc), {3}));             // (B, T, I)
  }
  if (state) *state = h;
  Array y = ys.size() == 1 ? ys[0] : concatenate(ys, 1);
  y = add(y, multiply(x, f32(in.D)));
  return astype(y, in.x.dtype());
}

Array ssd_scan(const SSDInputs& in, Array* state) {
  int64_t Bsz = in.x.shape(0), L = in.x.shape(1), H = in.x.shape(2), P = in.x.shape(3);
  int64_t G = in.B.shape(2), N = in.B.shape(3);
  LMX_CHECK(H % G == 0, ValueError, "ssd_scan", "{} heads do not split into {} groups", H, G);
  Array x = f32(in.x), dt = f32(in.dt);
  // Per-head B and C: (B, H, L, N), head h reading group h / (H / G).
  auto per_head = [&](const Array& a) {
    Array t = transpose(f32(a), {0, 2, 1, 3});  // (B, G, L, N)
    if (G == H) return t;
    t = broadcast_to(expand_dims(t, 2), {Bsz, G, H / G, L, N});
    return reshape(t, {Bsz, H, L, N});
  };
  Array Bh = per_head(in.B), Ch = per_head(in.C);
  Array a = transpose(multiply(dt, f32(in.A)), {0, 2, 1});                // (B, H, L): log decays
  Array dtx = transpose(multiply(x, expand_dims(dt, -1)), {0, 2, 1, 3});  // (B, H, L, P)
  Array h = initial_state(state, {Bsz, H, P, N});
  constexpr int64_t kChunk = 64;
  std::vector<Array> ys;
  for (int64_t c0 = 0; c0 < L; c0 += kChunk) {
    int64_t T = std::min(kChunk, L - c0);
    Array ac = slice(a, 2, c0, c0 + T);                                  // (B, H, T)
    Array Bc = slice(Bh, 2, c0, c0 + T), Cc = slice(Ch, 2, c0, c0 + T);  // (B, H, T, N)
    Array xc = slice(dtx, 2, c0, c0 + T);                                // (B, H, T, P)
    // seg[t, s] = a_{s+1} + ... + a_t for s < t (a cumulative sum of the masked rows, so
    // only decays, never growths, are exponentiated).
    Array rows = tril(broadcast_to(expand_dims(ac, -1), {Bsz, H, T, T}), -1);
    Array decay = tril(exp(cumsum(rows, 2)));                        // (B, H, T, T)
    Array scores = multiply(matmul(Cc, swapaxes(Bc, 2, 3)), decay);  // (B, H, T, T)
    Array y = matmul(scores, xc);                                    // (B, H, T, P)
    Array cum = cumsum(ac, 2);                                       // (B, H, T)
    Array total = slice(cum, 2, T - 1, T);                           // (B, H, 1)
    // The carried state's contribution, decayed to each position.
    y = add(y, multiply(expand_dims(exp(cum), -1), matmul(Cc, swapaxes(h, 2, 3))));
    // The state after the chunk: the old one decayed over it, plus each input decayed to its end.
    Array to_end = exp(subtract(total, cum));  // (B, H, T)
    Array contrib =
        matmul(swapaxes(multiply(xc, expand_dims(to_end, -1)), 2, 3), Bc);  // (B, H, P, N)
    h = add(multiply(h, expand_dims(exp(total), -1)), contrib);
    ys.push_back(y);
  }
  if (state) *state = h;
  Array y = ys.size() == 1 ? ys[0] : concatenate(ys, 2);  // (B, H, L, P)
  y = add(transpose(y, {0, 2, 1, 3}), multiply(x, expand_dims(f32(in.D), -1)));
  return astype(y, in.x.dtype());
}

Array gated_delta_rule(const GatedDeltaInputs& in, Array* state) {
  int64_t B = in.v.shape(0), L = in.v.shape(1), Hv = in.v.shape(2), Dv = in.v.shape(3);
  int64_t Hk = in.k.shape(2), Dk = in.k.shape(3);
  LMX_CHECK(Hv % Hk == 0, ValueError, "gated_delta_rule",
            "{} value heads do not split over {} key heads", Hv, Hk);
  // Per value head, time on axis 2: q, k (B, Hv, L, Dk), v (B, Hv, L, Dv), g, beta (B, Hv, L).
  auto heads = [&](const Array& a) {
    Array t = transpose(f32(a), {0, 2, 1, 3});
    return Hv == Hk ? t : repeat(t, Hv / Hk, 1);
  };
  Array q = heads(in.q), k = heads(in.k), v = transpose(f32(in.v), {0, 2, 1, 3});
  Array g = transpose(f32(in.g), {0, 2, 1}), beta = transpose(f32(in.beta), {0, 2, 1});
  Array S = initial_state(state, {B, Hv, Dv, Dk});
  // Chunks in the WY form: with G the cumulative log decay and S0 the state before the
  // chunk, S_t = e^{G_t} S0 + sum_{s<=t} e^{G_t - G_s} u_s k_s^T, where the u solve the unit
  // lower-triangular system u_t + sum_{s<t} beta_t e^{G_t - G_s} (k_t . k_s) u_s
  // = beta_t (v_t - e^{G_t} S0 k_t). Matmuls do the rest; one token is the plain step.
  constexpr int64_t kChunk = 64;
  std::vector<Array> ys;
  for (int64_t c0 = 0; c0 < L; c0 += kChunk) {
    int64_t T = std::min(kChunk, L - c0);
    Array qc = slice(q, 2, c0, c0 + T), kc = slice(k, 2, c0, c0 + T), vc = slice(v, 2, c0, c0 + T);
    Array gc = slice(g, 2, c0, c0 + T), bc = expand_dims(slice(beta, 2, c0, c0 + T), -1);
    Array rows = tril(broadcast_to(expand_dims(gc, -1), {B, Hv, T, T}), -1);
    Array decay = tril(exp(cumsum(rows, 2)));  // (B, Hv, T, T): e^{G_t - G_s}, s <= t
    Array G = cumsum(gc, 2);                   // (B, Hv, T)
    Array eG = expand_dims(exp(G), -1);        // (B, Hv, T, 1)
    // S0 k_t and S0 q_t in one pass over the state: (B, Hv, 2T, Dv).
    Array Skq = swapaxes(matmul(S, swapaxes(concatenate({kc, qc}, 2), 2, 3)), 2, 3);
    Array W = multiply(subtract(vc, multiply(eG, slice(Skq, 2, 0, T))), bc);  // (B, Hv, T, Dv)
    Array U = slice(W, 2, 0, 1);
    if (T > 1) {
      Array A = tril(multiply(multiply(matmul(kc, swapaxes(kc, 2, 3)), decay), bc), -1);
      for (int64_t t = 1; t < T; ++t) {                   // forward substitution, one row at a time
        Array a = slice(slice(A, 2, t, t + 1), 3, 0, t);  // (B, Hv, 1, t)
        U = concatenate({U, subtract(slice(W, 2, t, t + 1), matmul(a, U))}, 2);
      }
    }
    Array scores = tril(multiply(matmul(qc, swapaxes(kc, 2, 3)), decay));         // (B, Hv, T, T)
    ys.push_back(add(multiply(eG, slice(Skq, 2, T, 2 * T)), matmul(scores, U)));  // (B, Hv, T, Dv)
    Array total = slice(G, 2, T - 1, T);                                          // (B, Hv, 1)
    Array to_end = expand_dims(exp(subtract(total, G)), -1);                      // (B, Hv, T, 1)
    S = add(multiply(S, expand_dims(exp(total), -1)),
            matmul(swapaxes(multiply(U, to_end), 2, 3), kc));  // (B, Hv, Dv, Dk)
  }
  if (state) *state = S;
  Array y = ys.size() == 1 ? ys[0] : concatenate(ys, 2);
  return astype(transpose(y, {0, 2, 1, 3}), in.v.dtype());  // (B, L, Hv, Dv)
}

}  // namespace lmx::models
