// SPDX-License-Identifier: MIT
// The portable attention tile: plain loops written to vectorize, cloned for AVX-512,
// AVX2 and the baseline.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "lmx/backend/cpu/fast_attention_kernels.h"
#include "lmx/backend/cpu/fast_common.h"

namespace lmx::cpu {

namespace {

constexpr int64_t kBlock = 64;  // keys per block
constexpr float kMasked = std::numeric_limits<float>::lowest();

inline float dot(const float* a, const float* b, int64_t n) {
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

inline float tanh_f32(float x) {
  float a = std::fabs(x);
  float t = 1.0f - 2.0f / (exp_f32(2.0f * a) + 1.0f);
  return x < 0.0f ? -t : t;
}

}  // namespace

template <typename T>
[[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]] void attention_tile(
    const AttentionProblem<T>& P, const AttentionTile& t, float* m, float* l, float* acc) {
  const int64_t nq = t.q1 - t.q0, R = P.rep * nq, Dk = P.Dk, Dv = P.Dv;
  const int64_t shift = P.Lk - P.Lq;  // query qi sits at key position qi + shift
  thread_local std::vector<float> qbuf, sbuf, kbuf, vbuf;
  qbuf.resize(R * Dk);
  sbuf.resize(R * kBlock);
  kbuf.resize(kBlock * Dk);
  vbuf.resize(kBlock * Dv);
  float *Q = qbuf.data(), *S = sbuf.data(), *K = kbuf.data(), *V = vbuf.data();

  for (int64_t i = 0; i < P.rep; ++i) {
    int64_t h = t.g * P.rep + i;
    for (int64_t qi = t.q0; qi < t.q1; ++qi) {
      int64_t r = i * nq + (qi - t.q0);
      const T* src = P.q + t.b * P.sq[0] + h * P.sq[1] + qi * P.sq[2];
#pragma omp simd
      for (int64_t d = 0; d < Dk; ++d) Q[r * Dk + d] = load_f32(src[d]) * P.scale;
      bool sink = t.sinks && P.sinks;
      m[r] = sink ? P.sinks[h] : -INFINITY;
      l[r] = sink ? 1.0f : 0.0f;
      std::fill(acc + r * Dv, acc + (r + 1) * Dv, 0.0f);
    }
  }
  // Keys any row of the tile may see.
  int64_t kb = t.k0, ke = t.k1;
  if (P.causal) ke = std::min(ke, t.q1 + shift);
  if (P.window > 0) kb = std::max(kb, t.q0 + shift - P.window + 1);

  const T* kbase = P.k + t.b * P.sk[0] + t.g * P.sk[1];
  const T* vbase = P.v + t.b * P.sv[0] + t.g * P.sv[1];
  for (int64_t j0 = kb; j0 < ke; j0 += kBlock) {
    const int64_t nb = std::min(ke - j0, kBlock);
    for (int64_t jj = 0; jj < nb; ++jj) {
      const T* kr = kbase + (j0 + jj) * P.sk[2];
#pragma omp simd
      for (int64_t d = 0; d < Dk; ++d) K[jj * Dk + d] = load_f32(kr[d]);
    }
    for (int64_t r = 0; r < R; ++r)
      for (int64_t jj = 0; jj < nb; ++jj) S[r * kBlock + jj] = dot(Q + r * Dk, K + jj * Dk, Dk);

    for (int64_t i = 0; i < P.rep; ++i) {
      int64_t h = t.g * P.rep + i;
      for (int64_t qi = t.q0; qi < t.q1; ++qi) {
        int64_t r = i * nq + (qi - t.q0);
        float* s = S + r * kBlock;
        if (P.softcap > 0.0f) {
          float cap = P.softcap, inv = 1.0f / P.softcap;
#pragma omp simd
          for (int64_t jj = 0; jj < nb; ++jj) s[jj] = cap * tanh_f32(s[jj] * inv);
        }
        int64_t pos = qi + shift;
        int64_t lo = P.window > 0 ? pos - P.window + 1 : j0;
        int64_t hi = P.causal ? pos + 1 : j0 + nb;
        if (j0 < lo || j0 + nb > hi)
          for (int64_t jj = 0; jj < nb; ++jj)
            if (j0 + jj < lo || j0 + jj >= hi) s[jj] = kMasked;
        if (P.mask) {
          int64_t mo = t.b * P.sm[0] + h * P.sm[1] + qi * P.sm[2] + j0 * P.sm[3], ms = P.sm[3];
          if (P.mask_bool) {
            const bool* mk = static_cast<const bool*>(P.mask) + mo;
            for (int64_t jj = 0; jj < nb; ++jj)
              if (!mk[jj * ms]) s[jj] = kMasked;
          } else {
            const float* mk = static_cast<const float*>(P.mask) + mo;
            for (int64_t jj = 0; jj < nb; ++jj) s[jj] += mk[jj * ms];
          }
        }
        // Online softmax: rescale what came before to the new running max.
        float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
        for (int64_t jj = 0; jj < nb; ++jj) mx = std::max(mx, s[jj]);
        float mnew = std::max(m[r], mx);
        if (mnew == -INFINITY) {  // all -inf so far: nothing to add
          std::fill(s, s + nb, 0.0f);
          continue;
        }
        float alpha = exp_f32(m[r] - mnew), sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int64_t jj = 0; jj < nb; ++jj) {
          s[jj] = exp_f32(s[jj] - mnew);
          sum += s[jj];
        }
        l[r] = l[r] * alpha + sum;
        m[r] = mnew;
        if (alpha != 1.0f) {
          float* a = acc + r * Dv;
#pragma omp simd
          for (int64_t d = 0; d < Dv; ++d) a[d] *= alpha;
        }
      }
    }

    for (int64_t jj = 0; jj < nb; ++jj) {
      const T* vr = vbase + (j0 + jj) * P.sv[2];
#pragma omp simd
      for (int64_t d = 0; d < Dv; ++d) V[jj * Dv + d] = load_f32(vr[d]);
    }
    for (int64_t r = 0; r < R; ++r) {
      float* a = acc + r * Dv;
      const float* p = S + r * kBlock;
      for (int64_t jj = 0; jj < nb; ++jj) {
        float pj = p[jj];
        const float* vr = V + jj * Dv;
#pragma omp simd
        for (int64_t d = 0; d < Dv; ++d) a[d] += pj * vr[d];
      }
    }
  }
}

template void attention_tile<float>(const AttentionProblem<float>&, const AttentionTile&, float*,
                                    float*, float*);
template void attention_tile<bfloat16>(const AttentionProblem<bfloat16>&, const AttentionTile&,
                                       float*, float*, float*);
template void attention_tile<float16>(const AttentionProblem<float16>&, const AttentionTile&,
                                      float*, float*, float*);

}  // namespace lmx::cpu
