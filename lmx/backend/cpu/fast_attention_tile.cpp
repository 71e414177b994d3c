// SPDX-License-Identifier: MIT
// The portable attention tile: plain loops written to vectorize, cloned for AVX2 and the
// baseline. CPUs with AVX-512 take the intrinsics version (fast_attention_avx512.cpp).
#include <vector>

#include "lmx/backend/cpu/fast_attention_rows.h"

namespace lmx::cpu {

namespace {

constexpr int64_t kBlock = 64;  // keys per block

[[gnu::always_inline]] inline float dot(const float* a, const float* b, int64_t n) {
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

template <typename T>
[[gnu::always_inline]] inline void tile_impl(const AttentionProblem<T>& P, const AttentionTile& t,
                                             float* m, float* l, float* acc) {
  const int64_t nq = t.q1 - t.q0, R = P.rep * nq, Dk = P.Dk, Dv = P.Dv;
  thread_local std::vector<float> qbuf, sbuf, kbuf, vbuf;
  qbuf.resize(R * Dk);
  sbuf.resize(R * kBlock);
  kbuf.resize(kBlock * Dk);
  vbuf.resize(kBlock * Dv);
  float *Q = qbuf.data(), *S = sbuf.data(), *K = kbuf.data(), *V = vbuf.data();
  load_queries(P, t, Q, Dk, m, l, acc);
  int64_t kb, ke;
  tile_key_range(P, t, kb, ke);
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
    for (int64_t i = 0; i < P.rep; ++i)
      for (int64_t qi = t.q0; qi < t.q1; ++qi) {
        int64_t r = i * nq + (qi - t.q0);
        mask_scores(P, t.b, t.g * P.rep + i, qi, j0, nb, S + r * kBlock);
        online_update(S + r * kBlock, nb, m[r], l[r], acc + r * Dv, Dv);
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

// One clone set per dtype (explicit instantiations of a cloned template get no clones).
[[gnu::target_clones("arch=x86-64-v3", "default")]] void tile_f32(const AttentionProblem<float>& P,
                                                                  const AttentionTile& t, float* m,
                                                                  float* l, float* acc) {
  tile_impl(P, t, m, l, acc);
}
[[gnu::target_clones("arch=x86-64-v3", "default")]] void tile_bf16(
    const AttentionProblem<bfloat16>& P, const AttentionTile& t, float* m, float* l, float* acc) {
  tile_impl(P, t, m, l, acc);
}
[[gnu::target_clones("arch=x86-64-v3", "default")]] void tile_f16(
    const AttentionProblem<float16>& P, const AttentionTile& t, float* m, float* l, float* acc) {
  tile_impl(P, t, m, l, acc);
}

}  // namespace

template <typename T>
void attention_tile(const AttentionProblem<T>& P, const AttentionTile& t, float* m, float* l,
                    float* acc) {
  if (has_avx512() && P.Dk > 0 && P.Dk <= 256) return attention_tile_avx512(P, t, m, l, acc);
  if constexpr (std::is_same_v<T, float>)
    tile_f32(P, t, m, l, acc);
  else if constexpr (std::is_same_v<T, bfloat16>)
    tile_bf16(P, t, m, l, acc);
  else
    tile_f16(P, t, m, l, acc);
}

template void attention_tile<float>(const AttentionProblem<float>&, const AttentionTile&, float*,
                                    float*, float*);
template void attention_tile<bfloat16>(const AttentionProblem<bfloat16>&, const AttentionTile&,
                                       float*, float*, float*);
template void attention_tile<float16>(const AttentionProblem<float16>&, const AttentionTile&,
                                      float*, float*, float*);

}  // namespace lmx::cpu
