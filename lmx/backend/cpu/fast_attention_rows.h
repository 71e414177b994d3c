// SPDX-License-Identifier: MIT
// Per-row steps of the attention tile shared by its portable and AVX-512 versions:
// masking a block of scores and the online-softmax update. Always inlined, so each
// caller compiles them for its own instruction set.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

#include "lmx/backend/cpu/fast_attention_kernels.h"
#include "lmx/backend/cpu/fast_common.h"

namespace lmx::cpu {

// What a masked score becomes: the lowest float, as the composite uses, so that a row
// whose every key is masked still averages like the composite does.
inline constexpr float kMaskedScore = std::numeric_limits<float>::lowest();

[[gnu::always_inline]] inline float tanh_f32(float x) {
  float a = std::fabs(x);
  float t = 1.0f - 2.0f / (exp_f32(2.0f * a) + 1.0f);
  return x < 0.0f ? -t : t;
}

// Softcap, causal/window and explicit masks for scores s[0, nb) of keys j0.. of query qi
// in head h.
template <typename T>
[[gnu::always_inline]] inline void mask_scores(const AttentionProblem<T>& P, int64_t b, int64_t h,
                                               int64_t qi, int64_t j0, int64_t nb, float* s) {
  if (P.softcap > 0.0f) {
    float cap = P.softcap, inv = 1.0f / P.softcap;
#pragma omp simd
    for (int64_t jj = 0; jj < nb; ++jj) s[jj] = cap * tanh_f32(s[jj] * inv);
  }
  int64_t pos = qi + P.Lk - P.Lq;
  int64_t lo = P.window > 0 ? pos - P.window + 1 : j0;
  int64_t hi = P.causal ? pos + 1 : j0 + nb;
  if (j0 < lo || j0 + nb > hi)
    for (int64_t jj = 0; jj < nb; ++jj)
      if (j0 + jj < lo || j0 + jj >= hi) s[jj] = kMaskedScore;
  if (P.mask) {
    int64_t mo = b * P.sm[0] + h * P.sm[1] + qi * P.sm[2] + j0 * P.sm[3], ms = P.sm[3];
    if (P.mask_bool) {
      const bool* mk = static_cast<const bool*>(P.mask) + mo;
      for (int64_t jj = 0; jj < nb; ++jj)
        if (!mk[jj * ms]) s[jj] = kMaskedScore;
    } else {
      const float* mk = static_cast<const float*>(P.mask) + mo;
      for (int64_t jj = 0; jj < nb; ++jj) s[jj] += mk[jj * ms];
    }
  }
}

// Online softmax: folds scores s[0, nb) into the row's running max m, denominator l and
// accumulator acc (Dv), turning s into the weights of the block's values.
[[gnu::always_inline]] inline void online_update(float* s, int64_t nb, float& m, float& l,
                                                 float* acc, int64_t Dv) {
  float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
  for (int64_t jj = 0; jj < nb; ++jj) mx = std::max(mx, s[jj]);
  float mnew = std::max(m, mx);
  if (mnew == -INFINITY) {  // every score so far is -inf (an additive mask): no weight
    std::fill(s, s + nb, 0.0f);
    return;
  }
  float alpha = exp_f32(m - mnew), sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t jj = 0; jj < nb; ++jj) {
    s[jj] = exp_f32(s[jj] - mnew);
    sum += s[jj];
  }
  l = l * alpha + sum;
  m = mnew;
  if (alpha != 1.0f) {
#pragma omp simd
    for (int64_t d = 0; d < Dv; ++d) acc[d] *= alpha;
  }
}

// Loads the tile's queries, scaled, into Q (R, ldq) and resets m, l, acc.
template <typename T>
[[gnu::always_inline]] inline void load_queries(const AttentionProblem<T>& P,
                                                const AttentionTile& t, float* Q, int64_t ldq,
                                                float* m, float* l, float* acc) {
  int64_t nq = t.q1 - t.q0;
  for (int64_t i = 0; i < P.rep; ++i) {
    int64_t h = t.g * P.rep + i;
    for (int64_t qi = t.q0; qi < t.q1; ++qi) {
      int64_t r = i * nq + (qi - t.q0);
      const T* src = P.q + t.b * P.sq[0] + h * P.sq[1] + qi * P.sq[2];
      float* dst = Q + r * ldq;
#pragma omp simd
      for (int64_t d = 0; d < P.Dk; ++d) dst[d] = load_f32(src[d]) * P.scale;
      std::fill(dst + P.Dk, dst + ldq, 0.0f);
      bool sink = t.sinks && P.sinks;
      m[r] = sink ? P.sinks[h] : -INFINITY;
      l[r] = sink ? 1.0f : 0.0f;
      std::fill(acc + r * P.Dv, acc + (r + 1) * P.Dv, 0.0f);
    }
  }
}

// The keys [kb, ke) that any row of the tile may see.
template <typename T>
inline void tile_key_range(const AttentionProblem<T>& P, const AttentionTile& t, int64_t& kb,
                           int64_t& ke) {
  int64_t shift = P.Lk - P.Lq;
  kb = t.k0;
  ke = t.k1;
  if (P.causal) ke = std::min(ke, t.q1 + shift);
  if (P.window > 0) kb = std::max(kb, t.q0 + shift - P.window + 1);
}

}  // namespace lmx::cpu
