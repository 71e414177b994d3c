// SPDX-License-Identifier: MIT
// bfloat16/float16-weight matrix products (see matmul_half.h).
//
// Small M (decode): every thread streams its own contiguous band of W rows once. Four rows
// of W are widened to float32 per 16 columns (bf16: zero-extend and shift; f16: vcvtph2ps)
// and meet up to four rows of x in 16 independent FMA chains, so the loop runs at memory
// speed. Large M (prefill): blocks of W rows are widened into a float32 scratch that stays
// in cache and multiplied with OpenBLAS sgemm.
#include "lmx/backend/cpu/matmul_half.h"

#include <cblas.h>
#include <immintrin.h>
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*() and trip this warning.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <algorithm>
#include <cstring>
#include <vector>

#include "lmx/backend/cpu/threading.h"

#define LMX_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,f16c,fma")))

namespace lmx::cpu {

namespace {

bool cpu_has_avx512() {
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                         __builtin_cpu_supports("f16c") && __builtin_cpu_supports("fma");
  return ok;
}

inline float half_to_float(uint16_t h, bool bf16) {
  if (bf16) {
    uint32_t u = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
  return float16::to_float(h);
}

inline void store(void* y, Dtype dt, int64_t i, float v) {
  switch (dt) {
    case Dtype::float32:
      static_cast<float*>(y)[i] = v;
      break;
    case Dtype::bfloat16:
      static_cast<uint16_t*>(y)[i] = bfloat16(v).bits;
      break;
    default:
      static_cast<uint16_t*>(y)[i] = float16(v).bits;
      break;
  }
}

// Row m of x as contiguous float32 (a view when x already is, else widened into `buf`).
const float* x_as_float(const HalfMatmulArgs& a, std::vector<float>& buf, int64_t& ldx) {
  if (a.xdtype == Dtype::float32) {
    ldx = a.ldx;
    return static_cast<const float*>(a.x);
  }
  buf.resize(size_t(a.M * a.K));
  const uint16_t* x = static_cast<const uint16_t*>(a.x);
  bool bf16 = a.xdtype == Dtype::bfloat16;
  for (int64_t m = 0; m < a.M; ++m)
    for (int64_t k = 0; k < a.K; ++k)
      buf[size_t(m * a.K + k)] = half_to_float(x[m * a.ldx + k], bf16);
  ldx = a.K;
  return buf.data();
}

// ---- portable kernel ------------------------------------------------------------------

template <int NR>
void gemv_rows_portable(const float* x, int64_t ldx, const uint16_t* w, int64_t ldw, bool bf16,
                        int64_t M, int64_t K, float* out /* (M, NR) */) {
  float wrow[NR][64];
  for (int64_t m = 0; m < M; ++m)
    for (int r = 0; r < NR; ++r) out[m * NR + r] = 0.0f;
  for (int64_t k0 = 0; k0 < K; k0 += 64) {
    int64_t kn = std::min<int64_t>(64, K - k0);
    for (int r = 0; r < NR; ++r)
      for (int64_t k = 0; k < kn; ++k) wrow[r][k] = half_to_float(w[r * ldw + k0 + k], bf16);
    for (int64_t m = 0; m < M; ++m) {
      const float* xm = x + m * ldx + k0;
      for (int r = 0; r < NR; ++r) {
        float s = 0.0f;
        for (int64_t k = 0; k < kn; ++k) s += wrow[r][k] * xm[k];
        out[m * NR + r] += s;
      }
    }
  }
}

void gemv_band_portable(const float* x, int64_t ldx, const HalfMatmulArgs& a, int64_t n0,
                        int64_t n1) {
  bool bf16 = a.wdtype == Dtype::bfloat16;
  std::vector<float> out(size_t(a.M * 4));
  int64_t n = n0;
  for (; n + 4 <= n1; n += 4) {
    gemv_rows_portable<4>(x, ldx, a.w + n * a.ldw, a.ldw, bf16, a.M, a.K, out.data());
    for (int64_t m = 0; m < a.M; ++m)
      for (int r = 0; r < 4; ++r) store(a.y, a.ydtype, m * a.ldy + n + r, out[size_t(m * 4 + r)]);
  }
  for (; n < n1; ++n) {
    gemv_rows_portable<1>(x, ldx, a.w + n * a.ldw, a.ldw, bf16, a.M, a.K, out.data());
    for (int64_t m = 0; m < a.M; ++m) store(a.y, a.ydtype, m * a.ldy + n, out[size_t(m)]);
  }
}

// ---- AVX-512 kernel -------------------------------------------------------------------

template <bool BF16>
LMX_TARGET_AVX512 inline __m512 widen16(__m256i h) {
  if constexpr (BF16)
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  else
    return _mm512_cvtph_ps(h);
}

// out[m][r] = x[m] . w[r] for MR rows of x and NR rows of W.
template <bool BF16, int MR, int NR>
LMX_TARGET_AVX512 void gemv_tile_avx512(const float* x, int64_t ldx, const uint16_t* w, int64_t ldw,
                                        int64_t K, float* out, int64_t ldo) {
  __m512 acc[MR][NR];
  for (int m = 0; m < MR; ++m)
    for (int r = 0; r < NR; ++r) acc[m][r] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 16 <= K; k += 16) {
    __m512 wv[NR];
    // W streams from memory: prefetch each row 4 KiB ahead, one line per 32 values (the
    // hardware prefetchers alone leave this at about half the read bandwidth).
    if ((k & 31) == 0)
      for (int r = 0; r < NR; ++r)
        _mm_prefetch(reinterpret_cast<const char*>(w + r * ldw + k) + 4096, _MM_HINT_T0);
    for (int r = 0; r < NR; ++r)
      wv[r] = widen16<BF16>(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + r * ldw + k)));
    for (int m = 0; m < MR; ++m) {
      __m512 xv = _mm512_loadu_ps(x + m * ldx + k);
      for (int r = 0; r < NR; ++r) acc[m][r] = _mm512_fmadd_ps(wv[r], xv, acc[m][r]);
    }
  }
  if (k < K) {
    __mmask16 mask = __mmask16((1u << (K - k)) - 1);
    __m512 wv[NR];
    for (int r = 0; r < NR; ++r)
      wv[r] = widen16<BF16>(_mm256_maskz_loadu_epi16(mask, w + r * ldw + k));
    for (int m = 0; m < MR; ++m) {
      __m512 xv = _mm512_maskz_loadu_ps(mask, x + m * ldx + k);
      for (int r = 0; r < NR; ++r) acc[m][r] = _mm512_fmadd_ps(wv[r], xv, acc[m][r]);
    }
  }
  for (int m = 0; m < MR; ++m)
    for (int r = 0; r < NR; ++r) out[m * ldo + r] = _mm512_reduce_add_ps(acc[m][r]);
}

template <bool BF16, int NR>
LMX_TARGET_AVX512 void gemv_rows_avx512(const float* x, int64_t ldx, const uint16_t* w, int64_t ldw,
                                        int64_t M, int64_t K, float* out) {
  int64_t m = 0;
  for (; m + 4 <= M; m += 4)
    gemv_tile_avx512<BF16, 4, NR>(x + m * ldx, ldx, w, ldw, K, out + m * NR, NR);
  switch (M - m) {
    case 3:
      gemv_tile_avx512<BF16, 3, NR>(x + m * ldx, ldx, w, ldw, K, out + m * NR, NR);
      break;
    case 2:
      gemv_tile_avx512<BF16, 2, NR>(x + m * ldx, ldx, w, ldw, K, out + m * NR, NR);
      break;
    case 1:
      gemv_tile_avx512<BF16, 1, NR>(x + m * ldx, ldx, w, ldw, K, out + m * NR, NR);
      break;
    default:
      break;
  }
}

template <bool BF16>
LMX_TARGET_AVX512 void gemv_band_avx512(const float* x, int64_t ldx, const HalfMatmulArgs& a,
                                        int64_t n0, int64_t n1) {
  float out[kHalfGemvMaxRows * 4];
  int64_t n = n0;
  for (; n + 4 <= n1; n += 4) {
    gemv_rows_avx512<BF16, 4>(x, ldx, a.w + n * a.ldw, a.ldw, a.M, a.K, out);
    for (int64_t m = 0; m < a.M; ++m)
      for (int r = 0; r < 4; ++r) store(a.y, a.ydtype, m * a.ldy + n + r, out[m * 4 + r]);
  }
  for (; n < n1; ++n) {
    gemv_rows_avx512<BF16, 1>(x, ldx, a.w + n * a.ldw, a.ldw, a.M, a.K, out);
    for (int64_t m = 0; m < a.M; ++m) store(a.y, a.ydtype, m * a.ldy + n, out[m]);
  }
}

template <bool BF16>
LMX_TARGET_AVX512 void widen_row_avx512(const uint16_t* w, float* o, int64_t K) {
  int64_t k = 0;
  for (; k + 16 <= K; k += 16)
    _mm512_storeu_ps(o + k,
                     widen16<BF16>(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + k))));
  if (k < K) {
    __mmask16 mask = __mmask16((1u << (K - k)) - 1);
    _mm512_mask_storeu_ps(o + k, mask, widen16<BF16>(_mm256_maskz_loadu_epi16(mask, w + k)));
  }
}

void widen_row(const uint16_t* w, float* o, int64_t K, bool bf16) {
  if (cpu_has_avx512()) {
    if (bf16)
      widen_row_avx512<true>(w, o, K);
    else
      widen_row_avx512<false>(w, o, K);
    return;
  }
  for (int64_t k = 0; k < K; ++k) o[k] = half_to_float(w[k], bf16);
}

void gemv(const HalfMatmulArgs& a) {
  thread_local std::vector<float> xbuf;
  int64_t ldx = 0;
  const float* x = x_as_float(a, xbuf, ldx);
  bool bf16 = a.wdtype == Dtype::bfloat16;
  bool avx = cpu_has_avx512();
  int64_t blocks = (a.N + 3) / 4;
  parallel_for(blocks, a.K * a.M, [&](int64_t b0, int64_t b1) {
    int64_t n0 = b0 * 4, n1 = std::min(a.N, b1 * 4);
    if (avx && bf16)
      gemv_band_avx512<true>(x, ldx, a, n0, n1);
    else if (avx)
      gemv_band_avx512<false>(x, ldx, a, n0, n1);
    else
      gemv_band_portable(x, ldx, a, n0, n1);
  });
}

void gemm(const HalfMatmulArgs& a) {
  thread_local std::vector<float> xbuf, wbuf, ybuf;
  int64_t ldx = 0;
  const float* x = x_as_float(a, xbuf, ldx);
  bool bf16 = a.wdtype == Dtype::bfloat16;
  // Rows of W per block: about 2 MiB of float32.
  int64_t nb = std::clamp<int64_t>((int64_t(1) << 19) / std::max<int64_t>(a.K, 1), 16, 1024);
  nb = std::min(nb, a.N);
  wbuf.resize(size_t(nb * a.K));
  bool direct = a.ydtype == Dtype::float32;
  if (!direct) ybuf.resize(size_t(a.M * nb));
  // (thread_local buffers: the worker threads get raw pointers, not the names.)
  float* wb = wbuf.data();
  float* yb = ybuf.data();
  for (int64_t n0 = 0; n0 < a.N; n0 += nb) {
    int64_t nn = std::min(nb, a.N - n0);
    parallel_for(nn, a.K, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) widen_row(a.w + (n0 + r) * a.ldw, wb + r * a.K, a.K, bf16);
    });
    float* y = direct ? static_cast<float*>(a.y) + n0 : yb;
    int64_t ldy = direct ? a.ldy : nn;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(a.M), int(nn), int(a.K), 1.0f, x,
                int(ldx), wb, int(a.K), 0.0f, y, int(ldy));
    if (!direct) {
      parallel_for(a.M, nn, [&](int64_t m0, int64_t m1) {
        for (int64_t m = m0; m < m1; ++m)
          for (int64_t n = 0; n < nn; ++n) store(a.y, a.ydtype, m * a.ldy + n0 + n, yb[m * nn + n]);
      });
    }
  }
}

}  // namespace

void half_matmul(const HalfMatmulArgs& a) {
  if (a.M <= 0 || a.N <= 0) return;
  if (a.K == 0) {
    for (int64_t m = 0; m < a.M; ++m)
      for (int64_t n = 0; n < a.N; ++n) store(a.y, a.ydtype, m * a.ldy + n, 0.0f);
    return;
  }
  if (a.M <= kHalfGemvMaxRows)
    gemv(a);
  else if (!half_matmul_amx(a))
    gemm(a);
}

}  // namespace lmx::cpu
