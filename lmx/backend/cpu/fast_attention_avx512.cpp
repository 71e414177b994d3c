// SPDX-License-Identifier: MIT
// The attention tile with AVX-512 intrinsics. Scores: each key row is loaded (and widened
// to float32) into registers once and multiplied with every query row of the tile, so a
// decode step reads each K row once for all query heads of its kv head. Values: the block
// is widened once into an L1-resident scratch and accumulated four rows at a time.
// Compiled for AVX-512 with a target attribute and only called where the CPU has it.
#include <immintrin.h>

#include <array>
#include <cstdlib>
#include <utility>
#include <vector>

#include "lmx/backend/cpu/fast_attention_rows.h"

namespace lmx::cpu {

bool& avx512_enabled() {
  static bool on = std::getenv("LMX_NO_AVX512") == nullptr;
  return on;
}

bool has_avx512() {
  static const bool cpu = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  return cpu && avx512_enabled();
}

namespace {

constexpr int64_t kBlock = 32;  // keys per block
constexpr int kMaxChunks = 16;  // head dims up to 256 (16 x 16 floats)

// 16 elements (those in `k`) widened to float32.
template <typename T>
[[gnu::target("avx512f,avx512bw,avx512vl,avx512dq,f16c"), gnu::always_inline]] inline __m512 load16(
    const T* p, __mmask16 k) {
  if constexpr (std::is_same_v<T, float>) {
    return _mm512_maskz_loadu_ps(k, p);
  } else if constexpr (std::is_same_v<T, bfloat16>) {
    __m256i h = _mm256_maskz_loadu_epi16(k, p);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  } else {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(k, p));
  }
}

inline __mmask16 tail_mask(int64_t n) {
  return n % 16 ? __mmask16((1u << (n % 16)) - 1) : __mmask16(0xffff);
}

// The four horizontal sums {sum(a0), sum(a1), sum(a2), sum(a3)}, sharing the shuffles.
[[gnu::target("avx512f,avx512bw,avx512vl,avx512dq"), gnu::always_inline]] inline __m128 reduce4(
    __m512 a0, __m512 a1, __m512 a2, __m512 a3) {
  // Per 128-bit lane: x = [a0 a1 a0 a1] partials, y the same for a2, a3.
  __m512 x = _mm512_add_ps(_mm512_unpacklo_ps(a0, a1), _mm512_unpackhi_ps(a0, a1));
  __m512 y = _mm512_add_ps(_mm512_unpacklo_ps(a2, a3), _mm512_unpackhi_ps(a2, a3));
  // Per lane: [a0 a1 a2 a3] partials; then add the four lanes.
  __m512 z = _mm512_add_ps(_mm512_shuffle_ps(x, y, 0x44), _mm512_shuffle_ps(x, y, 0xee));
  __m256 h = _mm256_add_ps(_mm512_castps512_ps256(z), _mm512_extractf32x8_ps(z, 1));
  return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

// S[r * kBlock + jj] = Q[r] . K[jj] for R query rows (ldq floats, zero padded) and nb
// keys at kr (row stride ks); NC = ceil(Dk / 16) chunks held in registers.
template <typename T, int NC>
[[gnu::target("avx512f,avx512bw,avx512vl,avx512dq,f16c")]] void scores_block(const float* Q,
                                                                             int64_t R, int64_t ldq,
                                                                             const T* kr,
                                                                             int64_t ks, int64_t nb,
                                                                             int64_t Dk, float* S) {
  const __mmask16 tail = tail_mask(Dk);
  for (int64_t jj = 0; jj < nb; ++jj, kr += ks) {
    __m512 kv[NC];
    for (int c = 0; c < NC; ++c) kv[c] = load16(kr + 16 * c, c == NC - 1 ? tail : 0xffff);
    int64_t r = 0;
    for (; r + 4 <= R; r += 4) {
      const float* q = Q + r * ldq;
      __m512 a0 = _mm512_mul_ps(kv[0], _mm512_loadu_ps(q));
      __m512 a1 = _mm512_mul_ps(kv[0], _mm512_loadu_ps(q + ldq));
      __m512 a2 = _mm512_mul_ps(kv[0], _mm512_loadu_ps(q + 2 * ldq));
      __m512 a3 = _mm512_mul_ps(kv[0], _mm512_loadu_ps(q + 3 * ldq));
      for (int c = 1; c < NC; ++c) {
        a0 = _mm512_fmadd_ps(kv[c], _mm512_loadu_ps(q + 16 * c), a0);
        a1 = _mm512_fmadd_ps(kv[c], _mm512_loadu_ps(q + ldq + 16 * c), a1);
        a2 = _mm512_fmadd_ps(kv[c], _mm512_loadu_ps(q + 2 * ldq + 16 * c), a2);
        a3 = _mm512_fmadd_ps(kv[c], _mm512_loadu_ps(q + 3 * ldq + 16 * c), a3);
      }
      alignas(16) float s4[4];
      _mm_store_ps(s4, reduce4(a0, a1, a2, a3));
      S[r * kBlock + jj] = s4[0];
      S[(r + 1) * kBlock + jj] = s4[1];
      S[(r + 2) * kBlock + jj] = s4[2];
      S[(r + 3) * kBlock + jj] = s4[3];
    }
    for (; r < R; ++r) {
      const float* q = Q + r * ldq;
      __m512 a = _mm512_mul_ps(kv[0], _mm512_loadu_ps(q));
      for (int c = 1; c < NC; ++c) a = _mm512_fmadd_ps(kv[c], _mm512_loadu_ps(q + 16 * c), a);
      S[r * kBlock + jj] = _mm512_reduce_add_ps(a);
    }
  }
}

template <typename T>
using ScoresFn = void (*)(const float*, int64_t, int64_t, const T*, int64_t, int64_t, int64_t,
                          float*);

template <typename T, int... N>
constexpr std::array<ScoresFn<T>, sizeof...(N)> scores_table(std::integer_sequence<int, N...>) {
  return {&scores_block<T, N + 1>...};
}

// acc[r] (Dv) += sum_jj p[r][jj] V[jj] for RN rows at once, one 16-float chunk at a time.
template <int RN>
[[gnu::target("avx512f,avx512bw,avx512vl,avx512dq")]] void accumulate_rows(
    float* acc, int64_t Dv, const float* P, const float* Vf, int64_t ldv, int64_t nb) {
  const int64_t nc = (Dv + 15) / 16;
  for (int64_t c = 0; c < nc; ++c) {
    __mmask16 k = c == nc - 1 ? tail_mask(Dv) : __mmask16(0xffff);
    __m512 a[RN];
    for (int i = 0; i < RN; ++i) a[i] = _mm512_maskz_loadu_ps(k, acc + i * Dv + 16 * c);
    const float* v = Vf + 16 * c;
    for (int64_t jj = 0; jj < nb; ++jj, v += ldv) {
      __m512 vv = _mm512_loadu_ps(v);
      for (int i = 0; i < RN; ++i)
        a[i] = _mm512_fmadd_ps(_mm512_set1_ps(P[i * kBlock + jj]), vv, a[i]);
    }
    for (int i = 0; i < RN; ++i) _mm512_mask_storeu_ps(acc + i * Dv + 16 * c, k, a[i]);
  }
}

template <typename T>
[[gnu::target("avx512f,avx512bw,avx512vl,avx512dq,f16c")]] void tile(const AttentionProblem<T>& P,
                                                                     const AttentionTile& t,
                                                                     float* m, float* l,
                                                                     float* acc) {
  static constexpr auto table = scores_table<T>(std::make_integer_sequence<int, kMaxChunks>{});
  const int64_t nq = t.q1 - t.q0, R = P.rep * nq, Dv = P.Dv;
  const int64_t nck = (P.Dk + 15) / 16, ldq = nck * 16;
  const int64_t ncv = (Dv + 15) / 16, ldv = ncv * 16;
  thread_local std::vector<float> qbuf, sbuf, vbuf;
  qbuf.resize(R * ldq);
  sbuf.resize(R * kBlock);
  vbuf.resize(kBlock * ldv);
  float *Q = qbuf.data(), *S = sbuf.data(), *Vf = vbuf.data();
  load_queries(P, t, Q, ldq, m, l, acc);
  int64_t kb, ke;
  tile_key_range(P, t, kb, ke);
  const T* kbase = P.k + t.b * P.sk[0] + t.g * P.sk[1];
  const T* vbase = P.v + t.b * P.sv[0] + t.g * P.sv[1];
  const ScoresFn<T> scores = table[nck - 1];
  const __mmask16 vtail = tail_mask(Dv);
  for (int64_t j0 = kb; j0 < ke; j0 += kBlock) {
    const int64_t nb = std::min(ke - j0, kBlock);
    scores(Q, R, ldq, kbase + j0 * P.sk[2], P.sk[2], nb, P.Dk, S);
    for (int64_t i = 0; i < P.rep; ++i)
      for (int64_t qi = t.q0; qi < t.q1; ++qi) {
        int64_t r = i * nq + (qi - t.q0);
        mask_scores(P, t.b, t.g * P.rep + i, qi, j0, nb, S + r * kBlock);
        online_update(S + r * kBlock, nb, m[r], l[r], acc + r * Dv, Dv);
      }
    for (int64_t jj = 0; jj < nb; ++jj) {
      const T* vr = vbase + (j0 + jj) * P.sv[2];
      for (int64_t c = 0; c < ncv; ++c)
        _mm512_storeu_ps(Vf + jj * ldv + 16 * c,
                         load16(vr + 16 * c, c == ncv - 1 ? vtail : 0xffff));
    }
    int64_t r = 0;
    for (; r + 4 <= R; r += 4) accumulate_rows<4>(acc + r * Dv, Dv, S + r * kBlock, Vf, ldv, nb);
    for (; r < R; ++r) accumulate_rows<1>(acc + r * Dv, Dv, S + r * kBlock, Vf, ldv, nb);
  }
}

}  // namespace

template <typename T>
void attention_tile_avx512(const AttentionProblem<T>& P, const AttentionTile& t, float* m, float* l,
                           float* acc) {
  tile(P, t, m, l, acc);
}

template void attention_tile_avx512<float>(const AttentionProblem<float>&, const AttentionTile&,
                                           float*, float*, float*);
template void attention_tile_avx512<bfloat16>(const AttentionProblem<bfloat16>&,
                                              const AttentionTile&, float*, float*, float*);
template void attention_tile_avx512<float16>(const AttentionProblem<float16>&, const AttentionTile&,
                                             float*, float*, float*);

}  // namespace lmx::cpu
