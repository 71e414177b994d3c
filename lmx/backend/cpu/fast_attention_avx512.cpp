// SPDX-License-Identifier: MIT
// The attention tile with AVX-512 intrinsics. Scores: each key row is loaded (and widened
// to float32) into registers once and multiplied with every query row of the tile, so a
// decode step reads each K row once for all query heads of its kv head. Values: the block
// is widened once into an L1-resident scratch and accumulated four rows at a time.
// Compiled for AVX-512 with a target attribute and only called where the CPU has it.
// GCC 12.2 warns about the deliberately undefined lanes inside the AVX-512 intrinsic
// headers (GCC PR105593, fixed in 12.3); the warnings are not about this file.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
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

// Horizontal sum and max of 16 lanes. (GCC 12's _mm512_reduce_* and extract intrinsics
// warn about their undefined upper halves, so these use shuffles only.)
[[gnu::target("avx512f,avx512bw,avx512vl,avx512dq"), gnu::always_inline]] inline float hsum16(
    __m512 v) {
  v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, 0x4e));
  v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, 0xb1));
  __m128 q = _mm512_castps512_ps128(v);
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  return _mm_cvtss_f32(_mm_add_ss(q, _mm_movehdup_ps(q)));
}
[[gnu::target("avx512f,avx512bw,avx512vl,avx512dq"), gnu::always_inline]] inline float hmax16(
    __m512 v) {
  v = _mm512_max_ps(v, _mm512_shuffle_f32x4(v, v, 0x4e));
  v = _mm512_max_ps(v, _mm512_shuffle_f32x4(v, v, 0xb1));
  __m128 q = _mm512_castps512_ps128(v);
  q = _mm_max_ps(q, _mm_movehl_ps(q, q));
  return _mm_cvtss_f32(_mm_max_ss(q, _mm_movehdup_ps(q)));
}

// The four horizontal sums {sum(a0), sum(a1), sum(a2), sum(a3)}, sharing the shuffles.
[[gnu::target("avx512f,avx512bw,avx512vl,avx512dq"), gnu::always_inline]] inline __m128 reduce4(
    __m512 a0, __m512 a1, __m512 a2, __m512 a3) {
  // Per 128-bit lane: x = [a0 a0 a1 a1] partials, y = [a2 a2 a3 a3]; then z = [a0 a1 a2 a3].
  __m512 x = _mm512_add_ps(_mm512_shuffle_ps(a0, a1, 0x44), _mm512_shuffle_ps(a0, a1, 0xee));
  __m512 y = _mm512_add_ps(_mm512_shuffle_ps(a2, a3, 0x44), _mm512_shuffle_ps(a2, a3, 0xee));
  __m512 z = _mm512_add_ps(_mm512_shuffle_ps(x, y, 0x88), _mm512_shuffle_ps(x, y, 0xdd));
  z = _mm512_add_ps(z, _mm512_shuffle_f32x4(z, z, 0x4e));
  z = _mm512_add_ps(z, _mm512_shuffle_f32x4(z, z, 0xb1));
  return _mm512_castps512_ps128(z);
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
      // Two partial sums per row (even and odd chunks) halve the FMA dependency chains.
      const float* q = Q + r * ldq;
      __m512 e0 = _mm512_mul_ps(kv[0], _mm512_loadu_ps(q));
      __m512 e1 = _mm512_mul_ps(kv[0], _mm512_loadu_ps(q + ldq));
      __m512 e2 = _mm512_mul_ps(kv[0], _mm512_loadu_ps(q + 2 * ldq));
      __m512 e3 = _mm512_mul_ps(kv[0], _mm512_loadu_ps(q + 3 * ldq));
      __m512 o0 = _mm512_setzero_ps(), o1 = o0, o2 = o0, o3 = o0;
      for (int c = 1; c < NC; ++c) {
        __m512& x0 = c % 2 ? o0 : e0;
        __m512& x1 = c % 2 ? o1 : e1;
        __m512& x2 = c % 2 ? o2 : e2;
        __m512& x3 = c % 2 ? o3 : e3;
        x0 = _mm512_fmadd_ps(kv[c], _mm512_loadu_ps(q + 16 * c), x0);
        x1 = _mm512_fmadd_ps(kv[c], _mm512_loadu_ps(q + ldq + 16 * c), x1);
        x2 = _mm512_fmadd_ps(kv[c], _mm512_loadu_ps(q + 2 * ldq + 16 * c), x2);
        x3 = _mm512_fmadd_ps(kv[c], _mm512_loadu_ps(q + 3 * ldq + 16 * c), x3);
      }
      __m512 a0 = _mm512_add_ps(e0, o0), a1 = _mm512_add_ps(e1, o1);
      __m512 a2 = _mm512_add_ps(e2, o2), a3 = _mm512_add_ps(e3, o3);
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
      S[r * kBlock + jj] = hsum16(a);
    }
  }
}

// bfloat16 scores with AVX512-BF16 (vdpbf16ps: pairs of bf16 products summed in float32,
// exact for bf16 inputs): no widening of K at all. Qh holds the unscaled queries in bf16
// (R rows of ldq = NC * 32, zero padded); the scale is applied to the sums.
template <int NC>
[[gnu::target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")]] void scores_block_dp(
    const bfloat16* Qh, int64_t R, int64_t ldq, const bfloat16* kr, int64_t ks, int64_t nb,
    int64_t Dk, float scale, float* S) {
  const __mmask32 tail =
      Dk % 32 ? __mmask32((uint64_t(1) << (Dk % 32)) - 1) : __mmask32(0xffffffffu);
  for (int64_t jj = 0; jj < nb; ++jj, kr += ks) {
    __m512bh kv[NC];
    for (int c = 0; c < NC; ++c)
      kv[c] = (__m512bh)_mm512_maskz_loadu_epi16(c == NC - 1 ? tail : __mmask32(0xffffffffu),
                                                 kr + 32 * c);
    int64_t r = 0;
    for (; r + 4 <= R; r += 4) {
      const bfloat16* q = Qh + r * ldq;
      __m512 a[4][2];
      for (int i = 0; i < 4; ++i) a[i][0] = a[i][1] = _mm512_setzero_ps();
      for (int c = 0; c < NC; ++c)
        for (int i = 0; i < 4; ++i)
          a[i][c % 2] = _mm512_dpbf16_ps(a[i][c % 2], kv[c],
                                         (__m512bh)_mm512_loadu_si512(q + i * ldq + 32 * c));
      alignas(16) float s4[4];
      _mm_store_ps(
          s4, _mm_mul_ps(reduce4(_mm512_add_ps(a[0][0], a[0][1]), _mm512_add_ps(a[1][0], a[1][1]),
                                 _mm512_add_ps(a[2][0], a[2][1]), _mm512_add_ps(a[3][0], a[3][1])),
                         _mm_set1_ps(scale)));
      for (int i = 0; i < 4; ++i) S[(r + i) * kBlock + jj] = s4[i];
    }
    for (; r < R; ++r) {
      const bfloat16* q = Qh + r * ldq;
      __m512 a = _mm512_setzero_ps();
      for (int c = 0; c < NC; ++c)
        a = _mm512_dpbf16_ps(a, kv[c], (__m512bh)_mm512_loadu_si512(q + 32 * c));
      S[r * kBlock + jj] = hsum16(a) * scale;
    }
  }
}

// The same for many query rows (prefill): keys in the 16 lanes instead of a reduction per
// score. The block's keys are gathered into pairs-of-dims x 16-keys tiles (one dword =
// two bf16 dims of one key), then each row's pair broadcasts against them. Needs even Dk.
[[gnu::target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")]] void scores_block_lanes(
    const bfloat16* Qh, int64_t R, int64_t ldq, const bfloat16* kr, int64_t ks, int64_t nb,
    int64_t Dk, float scale, float* S, int32_t* Kp) {
  const int64_t pairs = Dk / 2;
  const __m512 sc = _mm512_set1_ps(scale);
  for (int64_t g = 0; g * 16 < nb; ++g) {
    int64_t n = std::min<int64_t>(16, nb - g * 16);
    __mmask16 km = __mmask16((1u << n) - 1);
    // Byte offsets of key j's row.
    __m512i idx =
        _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                           _mm512_set1_epi32(int32_t(ks * 2)));
    const char* base = reinterpret_cast<const char*>(kr + g * 16 * ks);
    for (int64_t p = 0; p < pairs; ++p)
      _mm512_storeu_si512(Kp + 16 * p,
                          _mm512_mask_i32gather_epi32(
                              _mm512_setzero_si512(), km,
                              _mm512_add_epi32(idx, _mm512_set1_epi32(int32_t(4 * p))), base, 1));
    int64_t r = 0;
    for (; r + 8 <= R; r += 8) {
      __m512 a[8];
      for (int i = 0; i < 8; ++i) a[i] = _mm512_setzero_ps();
      const int32_t* q = reinterpret_cast<const int32_t*>(Qh + r * ldq);
      const int64_t ld = ldq / 2;
      for (int64_t p = 0; p < pairs; ++p) {
        __m512bh kp = (__m512bh)_mm512_loadu_si512(Kp + 16 * p);
        for (int i = 0; i < 8; ++i)
          a[i] = _mm512_dpbf16_ps(a[i], kp, (__m512bh)_mm512_set1_epi32(q[i * ld + p]));
      }
      for (int i = 0; i < 8; ++i)
        _mm512_mask_storeu_ps(S + (r + i) * kBlock + g * 16, km, _mm512_mul_ps(a[i], sc));
    }
    for (; r < R; ++r) {
      __m512 a = _mm512_setzero_ps();
      const int32_t* q = reinterpret_cast<const int32_t*>(Qh + r * ldq);
      for (int64_t p = 0; p < pairs; ++p)
        a = _mm512_dpbf16_ps(a, (__m512bh)_mm512_loadu_si512(Kp + 16 * p),
                             (__m512bh)_mm512_set1_epi32(q[p]));
      _mm512_mask_storeu_ps(S + r * kBlock + g * 16, km, _mm512_mul_ps(a, sc));
    }
  }
}

using ScoresDpFn = void (*)(const bfloat16*, int64_t, int64_t, const bfloat16*, int64_t, int64_t,
                            int64_t, float, float*);

template <int... N>
constexpr std::array<ScoresDpFn, sizeof...(N)> scores_dp_table(std::integer_sequence<int, N...>) {
  return {&scores_block_dp<N + 1>...};
}

bool has_avx512_bf16() {
  static const bool on = __builtin_cpu_supports("avx512bf16");
  return on;
}

template <typename T>
using ScoresFn = void (*)(const float*, int64_t, int64_t, const T*, int64_t, int64_t, int64_t,
                          float*);

template <typename T, int... N>
constexpr std::array<ScoresFn<T>, sizeof...(N)> scores_table(std::integer_sequence<int, N...>) {
  return {&scores_block<T, N + 1>...};
}

// acc[r] (Dv) += sum_jj p[r][jj] V[jj] for RN rows at once, CH 16-float chunks at a time
// (RN x CH independent FMA chains); V rows of type V (float scratch, or the cache itself)
// with stride ldv. Chunks [c0, c0 + CH * n) only; the caller covers the rest.
template <int RN, int CH, typename V>
[[gnu::target("avx512f,avx512bw,avx512vl,avx512dq,f16c"), gnu::always_inline]] inline void
accumulate_chunks(float* acc, int64_t Dv, const float* P, const V* v0, int64_t ldv, int64_t nb,
                  int64_t c0) {
  __mmask16 k[CH];
  __m512 a[RN][CH];
  for (int h = 0; h < CH; ++h) {
    int64_t c = c0 + h;
    k[h] = 16 * (c + 1) > Dv ? tail_mask(Dv) : __mmask16(0xffff);
    for (int i = 0; i < RN; ++i) a[i][h] = _mm512_maskz_loadu_ps(k[h], acc + i * Dv + 16 * c);
  }
  const V* v = v0 + 16 * c0;
  for (int64_t jj = 0; jj < nb; ++jj, v += ldv) {
    __m512 vv[CH];
    for (int h = 0; h < CH; ++h) vv[h] = load16(v + 16 * h, k[h]);
    for (int i = 0; i < RN; ++i) {
      __m512 p = _mm512_set1_ps(P[i * kBlock + jj]);
      for (int h = 0; h < CH; ++h) a[i][h] = _mm512_fmadd_ps(p, vv[h], a[i][h]);
    }
  }
  for (int h = 0; h < CH; ++h)
    for (int i = 0; i < RN; ++i) _mm512_mask_storeu_ps(acc + i * Dv + 16 * (c0 + h), k[h], a[i][h]);
}

template <int RN, typename V>
[[gnu::target("avx512f,avx512bw,avx512vl,avx512dq,f16c")]] void accumulate_rows(
    float* acc, int64_t Dv, const float* P, const V* v0, int64_t ldv, int64_t nb) {
  constexpr int CH = RN >= 4 ? 2 : 4;  // at least 8 chains
  const int64_t nc = (Dv + 15) / 16;
  int64_t c = 0;
  for (; c + CH <= nc; c += CH) accumulate_chunks<RN, CH>(acc, Dv, P, v0, ldv, nb, c);
  for (; c < nc; ++c) accumulate_chunks<RN, 1>(acc, Dv, P, v0, ldv, nb, c);
}

// e^x for 16 lanes, as exp_f32: 0 below -87.
[[gnu::target("avx512f,avx512bw,avx512vl,avx512dq"), gnu::always_inline]] inline __m512 exp16(
    __m512 x) {
  __mmask16 live = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.0f), _CMP_GE_OQ);
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(88.0f));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_maskz_mov_ps(live, _mm512_scalef_ps(p, n));
}

// online_update (fast_attention_rows.h) for a block of at most 32 scores.
[[gnu::target("avx512f,avx512bw,avx512vl,avx512dq"), gnu::always_inline]] inline void
online_update16(float* s, int64_t nb, float& m, float& l, float* acc, int64_t Dv) {
  static_assert(kBlock == 32);
  const __m512 ninf = _mm512_set1_ps(-INFINITY);
  __mmask16 k0 = nb >= 16 ? __mmask16(0xffff) : __mmask16((1u << nb) - 1);
  __mmask16 k1 = nb >= 32 ? __mmask16(0xffff) : nb > 16 ? __mmask16((1u << (nb - 16)) - 1) : 0;
  __m512 s0 = _mm512_mask_loadu_ps(ninf, k0, s), s1 = _mm512_mask_loadu_ps(ninf, k1, s + 16);
  float mnew = std::max(m, hmax16(_mm512_max_ps(s0, s1)));
  if (mnew == -INFINITY) {  // every score so far is -inf (an additive mask): no weight
    _mm512_storeu_ps(s, _mm512_setzero_ps());
    _mm512_storeu_ps(s + 16, _mm512_setzero_ps());
    return;
  }
  float alpha = exp_f32(m - mnew);
  __m512 mv = _mm512_set1_ps(mnew);
  __m512 p0 = _mm512_maskz_mov_ps(k0, exp16(_mm512_sub_ps(s0, mv)));
  __m512 p1 = _mm512_maskz_mov_ps(k1, exp16(_mm512_sub_ps(s1, mv)));
  _mm512_storeu_ps(s, p0);
  _mm512_storeu_ps(s + 16, p1);
  l = l * alpha + hsum16(_mm512_add_ps(p0, p1));
  m = mnew;
  if (alpha != 1.0f) {
    __m512 av = _mm512_set1_ps(alpha);
    int64_t d = 0;
    for (; d + 16 <= Dv; d += 16)
      _mm512_storeu_ps(acc + d, _mm512_mul_ps(av, _mm512_loadu_ps(acc + d)));
    for (; d < Dv; ++d) acc[d] *= alpha;
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
  // bf16 with AVX512-BF16: scores straight from bf16 queries and keys.
  ScoresDpFn scores_dp = nullptr;
  thread_local std::vector<bfloat16> qhbuf;
  thread_local std::vector<int32_t> kpbuf;
  kpbuf.resize((P.Dk / 2 + 1) * 16);
  int64_t ldh = (P.Dk + 31) / 32 * 32;
  if constexpr (std::is_same_v<T, bfloat16>) {
    static constexpr auto dp_table =
        scores_dp_table(std::make_integer_sequence<int, kMaxChunks / 2>{});
    if (has_avx512_bf16()) {
      scores_dp = dp_table[ldh / 32 - 1];
      qhbuf.assign(R * ldh, bfloat16{});
      for (int64_t i = 0; i < P.rep; ++i)
        for (int64_t qi = t.q0; qi < t.q1; ++qi) {
          const T* src = P.q + t.b * P.sq[0] + (t.g * P.rep + i) * P.sq[1] + qi * P.sq[2];
          std::copy(src, src + P.Dk, qhbuf.data() + (i * nq + qi - t.q0) * ldh);
        }
    }
  }
  const __mmask16 vtail = tail_mask(Dv);
  for (int64_t j0 = kb; j0 < ke; j0 += kBlock) {
    const int64_t nb = std::min(ke - j0, kBlock);
    if constexpr (std::is_same_v<T, bfloat16>) {
      if (scores_dp && R > 4 && P.Dk % 2 == 0)
        scores_block_lanes(qhbuf.data(), R, ldh, kbase + j0 * P.sk[2], P.sk[2], nb, P.Dk, P.scale,
                           S, kpbuf.data());
      else if (scores_dp)
        scores_dp(qhbuf.data(), R, ldh, kbase + j0 * P.sk[2], P.sk[2], nb, P.Dk, P.scale, S);
      else
        scores(Q, R, ldq, kbase + j0 * P.sk[2], P.sk[2], nb, P.Dk, S);
    } else {
      scores(Q, R, ldq, kbase + j0 * P.sk[2], P.sk[2], nb, P.Dk, S);
    }
    for (int64_t i = 0; i < P.rep; ++i)
      for (int64_t qi = t.q0; qi < t.q1; ++qi) {
        int64_t r = i * nq + (qi - t.q0);
        mask_scores(P, t.b, t.g * P.rep + i, qi, j0, nb, S + r * kBlock);
        online_update16(S + r * kBlock, nb, m[r], l[r], acc + r * Dv, Dv);
      }
    const T* vr = vbase + j0 * P.sv[2];
    if (R <= 4) {
      // Decode: one group of rows; read the values straight from the cache.
      switch (R) {
        case 4:
          accumulate_rows<4>(acc, Dv, S, vr, P.sv[2], nb);
          break;
        case 3:
          accumulate_rows<3>(acc, Dv, S, vr, P.sv[2], nb);
          break;
        case 2:
          accumulate_rows<2>(acc, Dv, S, vr, P.sv[2], nb);
          break;
        default:
          accumulate_rows<1>(acc, Dv, S, vr, P.sv[2], nb);
          break;
      }
      continue;
    }
    // Several row groups: widen the block once.
    for (int64_t jj = 0; jj < nb; ++jj, vr += P.sv[2])
      for (int64_t c = 0; c < ncv; ++c)
        _mm512_storeu_ps(Vf + jj * ldv + 16 * c,
                         load16(vr + 16 * c, c == ncv - 1 ? vtail : 0xffff));
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
