// SPDX-License-Identifier: MIT
// AVX-512 VNNI GEMV for 4- and 8-bit weights with bf16/fp16 x (decode): x is quantized to
// int8 in blocks of 32 values (scale = absmax / 127, as llama.cpp's Q8_0 activations), and
// the unsigned codes meet it in vpdpbusd, 64 products per instruction against vdpbf16ps's
// 32, so the kernel keeps up with memory where the exact bf16 path (quantized_gemv_avx512)
// cannot on this machine. Per group: y += scale * dx * (q . xq) + bias * dx * sum(xq).
// float32 x keeps the exact path.
//
// Chunks of W's row: 64 bytes. 4-bit: codes 128c..128c+127, byte i holding codes 2i (low
// nibble) and 2i+1 (high); the low nibbles meet the even codes' xq, the high the odd ones',
// so int32 lane l sums codes 8l..8l+7. 8-bit: codes 64c..64c+63; lane l sums 4l..4l+3.
#include <immintrin.h>
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*() and trip this warning.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "lmx/backend/cpu/quantized.h"
#include "lmx/backend/cpu/quantized_avx512.h"
#include "lmx/backend/cpu/threading.h"

#define LMX_TARGET_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,fma")))

namespace lmx::cpu::quant {

namespace {

bool cpu_has_vnni() {
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                         __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("fma");
  return ok;
}

constexpr int kMaxRows = 4;           // rows of x per pass over W
constexpr int kPrefetchBytes = 8192;  // how far ahead W is prefetched (swept: 1-16 KiB)

struct PreparedQ8 {
  int64_t chunks = 0;  // 64-byte chunks per row of W (the last may be partial)
  int64_t G = 0;
  std::vector<int8_t> xq;   // (M, chunks, 128): 4-bit: even codes' 64, odd codes' 64;
                            // 8-bit: the chunk's 64 codes, then 64 zeros (unused)
  std::vector<float> dx;    // (M, chunks, 16): each lane's x-block scale
  std::vector<float> xsum;  // (M, G): sums of the quantized x
};

// x's block of 32 values at xf to int8 in q (natural order); returns the block's scale.
LMX_TARGET_VNNI float quantize_block32(const float* xf, int8_t* q) {
  const __m512 a = _mm512_loadu_ps(xf), b = _mm512_loadu_ps(xf + 16);
  const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a), _mm512_abs_ps(b)));
  const __m512 inv = _mm512_set1_ps(amax > 0.0f ? 127.0f / amax : 0.0f);
  // Round to nearest even (the default mode), saturate to int8.
  _mm_storeu_si128(reinterpret_cast<__m128i*>(q),
                   _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(a, inv))));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(q + 16),
                   _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(b, inv))));
  return amax / 127.0f;
}

template <int BITS>
PreparedQ8 prepare(const QmmArgs& a) {
  constexpr int64_t kCodes = BITS == 4 ? 128 : 64;  // codes per chunk
  PreparedQ8 p;
  p.chunks = (a.K + kCodes - 1) / kCodes;
  p.G = a.K / a.group_size;
  p.xq.assign(size_t(a.M * p.chunks * 128), 0);
  p.dx.assign(size_t(a.M * p.chunks * 16), 0.0f);
  p.xsum.assign(size_t(a.M * p.G), 0.0f);
  std::vector<float> xf(size_t(a.K));
  alignas(64) int8_t q[32];
  for (int64_t m = 0; m < a.M; ++m) {
    for (int64_t k = 0; k < a.K; ++k) xf[k] = load_float(a.x, m * a.K + k, a.dtype);
    for (int64_t b0 = 0; b0 < a.K; b0 += 32) {  // x-blocks of 32 (K is a multiple of 32)
      const float d = quantize_block32(xf.data() + b0, q);
      const int64_t c = b0 / kCodes;
      int8_t* dst = p.xq.data() + (m * p.chunks + c) * 128;
      int32_t qsum = 0;
      for (int i = 0; i < 32; ++i) {
        int64_t r = (b0 + i) % kCodes, at = BITS == 4 ? (r % 2) * 64 + r / 2 : r;
        dst[at] = q[i];
        qsum += q[i];
      }
      // The bias term sums the quantized x too: then the error is sum w (x - xq) with w
      // centred, about half that of scale * q (x - xq) (q * scale is all of one sign).
      p.xsum[m * p.G + b0 / a.group_size] += float(qsum) * d;
      // Lanes of this block: 4-bit 4 lanes (8 codes each), 8-bit 8 lanes (4 codes each).
      const int64_t lanes = BITS == 4 ? 4 : 8, first = (b0 % kCodes) / 32 * lanes;
      for (int64_t l = first; l < first + lanes; ++l) p.dx[size_t((m * p.chunks + c) * 16 + l)] = d;
    }
  }
  return p;
}

// NR rows of W (n, n + 1, ...) against MR rows of x.
template <int BITS, int MR, int NR>
LMX_TARGET_VNNI void rows_q8(const QmmArgs& a, const PreparedQ8& p, const __m512i& group_of_lane,
                             float* const (&sf)[NR], int64_t m0, int64_t n) {
  constexpr int64_t kCodes = BITS == 4 ? 128 : 64;
  const int64_t rb = a.K * BITS / 8, G = p.G;
  const int gs_log2 = __builtin_ctz(unsigned(a.group_size));  // group sizes are powers of 2
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const uint8_t* wr[NR];
#pragma GCC unroll 8
  for (int r = 0; r < NR; ++r) wr[r] = a.w + (n + r) * rb;
  // acc starts as the bias terms (lane-wise, summed at the end); sf gets the scales.
  __m512 acc[NR][MR];
#pragma GCC unroll 8
  for (int r = 0; r < NR; ++r)
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m) acc[r][m] = _mm512_setzero_ps();
  for (int64_t g = 0; g < G; g += 16) {
    const int64_t c = std::min<int64_t>(16, G - g);
    const __mmask16 k = c == 16 ? __mmask16(0xFFFF) : __mmask16((1u << c) - 1);
#pragma GCC unroll 8
    for (int r = 0; r < NR; ++r) {
      _mm512_storeu_ps(sf[r] + g, load16(a.scales, (n + r) * G + g, c, a.dtype));
      __m512 bi = load16(a.biases, (n + r) * G + g, c, a.dtype);
#pragma GCC unroll 8
      for (int m = 0; m < MR; ++m)
        acc[r][m] = _mm512_fmadd_ps(bi, _mm512_maskz_loadu_ps(k, p.xsum.data() + (m0 + m) * G + g),
                                    acc[r][m]);
    }
  }
  for (int64_t ch = 0; ch < p.chunks; ++ch) {
    const int64_t bytes = std::min<int64_t>(64, rb - ch * 64);
    __m512i lo[NR], hi[NR];
    __m512 sw[NR];
    const int64_t g0 = (ch * kCodes) >> gs_log2;  // (no division in the loop)
#pragma GCC unroll 8
    for (int r = 0; r < NR; ++r) {
      const uint8_t* src = wr[r] + ch * 64;
      _mm_prefetch(reinterpret_cast<const char*>(src) + kPrefetchBytes, _MM_HINT_T0);
      __m512i v = bytes == 64 ? _mm512_loadu_si512(src)
                              : _mm512_maskz_loadu_epi8((~0ull) >> (64 - bytes), src);
      if constexpr (BITS == 4) {
        lo[r] = _mm512_and_si512(v, low4);
        hi[r] = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
      } else {
        lo[r] = v;
      }
      sw[r] = _mm512_permutexvar_ps(group_of_lane, _mm512_loadu_ps(sf[r] + g0));
    }
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m) {
      const int8_t* xq = p.xq.data() + ((m0 + m) * p.chunks + ch) * 128;
      const __m512 dx = _mm512_loadu_ps(p.dx.data() + ((m0 + m) * p.chunks + ch) * 16);
      const __m512i x0 = _mm512_loadu_si512(xq);
      __m512i x1;
      if constexpr (BITS == 4) x1 = _mm512_loadu_si512(xq + 64);
#pragma GCC unroll 8
      for (int r = 0; r < NR; ++r) {
        __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), lo[r], x0);
        if constexpr (BITS == 4) s = _mm512_dpbusd_epi32(s, hi[r], x1);
        acc[r][m] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(s), dx), sw[r], acc[r][m]);
      }
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < NR; ++r)
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m) store_y(a, m0 + m, n + r, _mm512_reduce_add_ps(acc[r][m]));
}

template <int BITS, int MR>
LMX_TARGET_VNNI void band_q8(const QmmArgs& a, const PreparedQ8& p, int64_t m0, int64_t n0,
                             int64_t n1) {
  constexpr int64_t kCodes = BITS == 4 ? 128 : 64;
  // Lane l of a chunk sums codes l * kCodes / 16 ..: its group, relative to the chunk's first.
  alignas(64) int32_t idx[16];
  for (int l = 0; l < 16; ++l) idx[l] = int32_t(l * (kCodes / 16) / a.group_size);
  const __m512i group_of_lane = _mm512_load_si512(idx);
  // Scales as float32, padded for the 16-wide reads at the last groups.
  std::vector<float> sbuf(size_t(2 * (p.G + 32)), 0.0f);
  float* const sf2[2] = {sbuf.data(), sbuf.data() + p.G + 32};
  float* const sf1[1] = {sbuf.data()};
  int64_t n = n0;
  for (; n + 2 <= n1; n += 2) rows_q8<BITS, MR, 2>(a, p, group_of_lane, sf2, m0, n);
  if (n < n1) rows_q8<BITS, MR, 1>(a, p, group_of_lane, sf1, m0, n);
}

template <int BITS>
void run(const QmmArgs& a) {
  PreparedQ8 p = prepare<BITS>(a);
  parallel_for(a.N, a.K * a.M, [&](int64_t n0, int64_t n1) {
    for (int64_t m0 = 0; m0 < a.M; m0 += kMaxRows) {
      switch (std::min<int64_t>(kMaxRows, a.M - m0)) {
        case 1:
          band_q8<BITS, 1>(a, p, m0, n0, n1);
          break;
        case 2:
          band_q8<BITS, 2>(a, p, m0, n0, n1);
          break;
        case 3:
          band_q8<BITS, 3>(a, p, m0, n0, n1);
          break;
        default:
          band_q8<BITS, 4>(a, p, m0, n0, n1);
          break;
      }
    }
  });
}

}  // namespace

namespace {
// LMX_EXACT_GEMV=1 keeps x exact (bf16 products, quantized_gemv_avx512) at some speed.
std::atomic<bool> g_int8_x{[] {
  const char* e = std::getenv("LMX_EXACT_GEMV");
  return !(e && *e && *e != '0');
}()};
}  // namespace

void set_int8_x_enabled(bool on) { g_int8_x = on; }

bool qmv_vnni(const QmmArgs& a) {
  if (!g_int8_x || !a.transpose || (a.bits != 4 && a.bits != 8) || a.dtype == Dtype::float32 ||
      a.K % 32 != 0 || !cpu_has_vnni())
    return false;
  if (a.bits == 4)
    run<4>(a);
  else
    run<8>(a);
  return true;
}

}  // namespace lmx::cpu::quant
