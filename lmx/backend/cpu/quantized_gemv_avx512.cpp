// SPDX-License-Identifier: MIT
// AVX-512 GEMV for quantized weights (decode: x has a few rows, W is read once from memory).
// Built for the portable baseline; the kernels carry per-function target attributes and
// run only when cpuid says the CPU has the instructions.
//
// 4 and 8 bits (with AVX512_BF16): W is read in 32-byte blocks whose nibbles become exact
// bf16 values and meet x (prepared once per call, in bf16, in the order the nibbles come
// out) in vdpbf16ps, which multiplies exactly and accumulates in float32; an 8-bit code is
// its low nibble times x plus its high nibble times 16 x. x in float16 is split exactly
// into 2 bf16 parts, x in float32 into 3 (24 mantissa bits). Per group:
//   y += scale * (q . x) + bias * sum(x).
// W is prefetched 4 KiB ahead, two rows at a time. Other widths: codes unpacked with pdep,
// widened to float32, fma with x.
#include <immintrin.h>
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*() and trip this warning.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <algorithm>
#include <vector>

#include "lmx/backend/cpu/quantized.h"
#include "lmx/backend/cpu/quantized_avx512.h"
#include "lmx/backend/cpu/threading.h"

#define LMX_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,bmi2,fma")))
#define LMX_TARGET_AVX512_BF16 \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,bmi2,fma")))

namespace lmx::cpu::quant {

namespace {

bool cpu_has_avx512() {
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                         __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("fma");
  return ok;
}
bool cpu_has_avx512_bf16() {
  static const bool ok = cpu_has_avx512() && __builtin_cpu_supports("avx512bf16");
  return ok;
}

constexpr int kMaxRows = 4;  // rows of x per pass over a row of W
// How far ahead of the loads W is prefetched: the hardware prefetchers alone leave a
// streaming GEMV at about half the read bandwidth on the development machine.
constexpr int kPrefetchBytes = 4096;  // rows of x per pass over a row of W

// x prepared once per call, shared by the threads.
struct Prepared {
  int64_t K = 0, G = 0;
  int64_t row = 0;              // bf16 values per row of xb: 64 per 32-byte block of W's row
  int parts = 1;                // bf16 terms per x value
  std::vector<uint16_t> xb[3];  // (M, row) bf16 parts in the blocks' order (below)
  std::vector<float> xf;        // (M, K) float32, natural order
  std::vector<float> xsum;      // (M, G)
};

uint16_t bf16_bits(float f) { return bfloat16(f).bits; }

// Where x[k] goes in a row of xb, and the power of two it is multiplied by. Each 32-byte
// block of W meets 64 x values: 4-bit, a block holds codes 64b..64b+63, byte i the pair
// (2i: low nibble, 2i+1: high), so the even codes' x come first, then the odd ones';
// 8-bit, a block holds codes 32b..32b+31, one per byte, met as low nibble times x and high
// nibble times 16 x, so x comes first, then 16 x (exact: a power of two).
template <int BITS>
void place(int64_t k, int64_t at[2], float mul[2]) {
  if constexpr (BITS == 4) {
    int64_t b = k / 64, r = k % 64;
    at[0] = b * 64 + (r % 2) * 32 + r / 2;
    at[1] = -1;
    mul[0] = 1.0f;
  } else {
    int64_t b = k / 32, r = k % 32;
    at[0] = b * 64 + r;
    at[1] = b * 64 + 32 + r;
    mul[0] = 1.0f;
    mul[1] = 16.0f;
  }
}

Prepared prepare(const QmmArgs& a, bool bf16_path) {
  Prepared p;
  p.K = a.K;
  p.G = a.K / a.group_size;
  p.xf.resize(size_t(a.M * a.K));
  for (int64_t i = 0; i < a.M * a.K; ++i) p.xf[i] = load_float(a.x, i, a.dtype);
  p.xsum.assign(size_t(a.M * p.G), 0.0f);
  for (int64_t m = 0; m < a.M; ++m)
    for (int64_t k = 0; k < a.K; ++k) p.xsum[m * p.G + k / a.group_size] += p.xf[m * a.K + k];
  if (!bf16_path) return p;
  const int64_t blocks = (a.K * a.bits / 8 + 31) / 32;
  p.row = blocks * 64;
  p.parts = a.dtype == Dtype::bfloat16 ? 1 : a.dtype == Dtype::float16 ? 2 : 3;
  for (int i = 0; i < p.parts; ++i) p.xb[i].assign(size_t(a.M * p.row), 0);
  for (int64_t m = 0; m < a.M; ++m) {
    for (int64_t k = 0; k < a.K; ++k) {
      int64_t at[2];
      float mul[2];
      if (a.bits == 4)
        place<4>(k, at, mul);
      else
        place<8>(k, at, mul);
      for (int c = 0; c < 2 && at[c] >= 0; ++c) {
        float v = p.xf[m * a.K + k] * mul[c];
        for (int i = 0; i < p.parts; ++i) {  // v = sum of the parts; each remainder is exact
          uint16_t h = bf16_bits(v);
          p.xb[i][m * p.row + at[c]] = h;
          v -= bfloat16::to_float(h);
        }
      }
    }
  }
  return p;
}

// The scale of each dot-product lane for 32-byte block j. 4-bit (64 codes): lanes 0-7 hold
// codes 0-31 of the block, lanes 8-15 codes 32-63. 8-bit: all lanes hold its 32 codes.
template <int BITS, int GS>
LMX_TARGET_AVX512 inline __m512 block_scale(const float* sf, int64_t j) {
  if constexpr (BITS == 8)
    return _mm512_set1_ps(sf[j * 32 / GS]);
  else if constexpr (GS == 32)
    return _mm512_insertf32x8(_mm512_set1_ps(sf[2 * j]), _mm256_set1_ps(sf[2 * j + 1]), 1);
  else if constexpr (GS == 64)
    return _mm512_set1_ps(sf[j]);
  else
    return _mm512_set1_ps(sf[j / 2]);
}

// NR rows of W (n, n + 1, ...) against MR rows of x, 4 or 8 bits. Every nibble meets x
// in vdpbf16ps (exact products, float32 sums). For bf16/fp16 x a nibble q becomes the
// bf16 with bits 0x4300 | q, i.e. exactly 128 + q, in one vpternlog (high nibbles: a shift
// and an or); the 128 * scale * sum(x) this adds per group (8-bit: 128 + 16 * 128) is
// taken back with the bias term (float32 accumulation of the larger terms costs ~1e-4
// relative, below bf16's rounding). For float32 x a 16-entry vpermw table gives q exactly.
template <int BITS, int GS, int MR, int PARTS, int NR>
LMX_TARGET_AVX512_BF16 inline void qmv_bf16_block_rows(const QmmArgs& a, const Prepared& p,
                                                       const uint16_t* const (&xp)[MR][PARTS],
                                                       float* const (&sf)[NR], int64_t m0,
                                                       int64_t n) {
  const int64_t rb = a.K * BITS / 8, full = rb / 32, G = p.G;
  const bool tail = rb % 32 != 0;  // 16 bytes left (4-bit, group size 32 only)
  constexpr float kOffsetSum = BITS == 4 ? 128.0f : 128.0f + 16.0f * 128.0f;
  // float32 x (3 parts) wants the exact product, so it decodes q itself through a table.
  constexpr bool kOffset = PARTS < 3;
  const __m512i low4 = _mm512_set1_epi16(0x000F), b128 = _mm512_set1_epi16(0x4300);
  alignas(64) uint16_t lut[32];
  for (int i = 0; i < 32; ++i) lut[i] = bf16_bits(float(i & 15));
  const __m512i table = _mm512_load_si512(lut);
  const uint8_t* wr[NR];
#pragma GCC unroll 8
  for (int r = 0; r < NR; ++r) wr[r] = a.w + (n + r) * rb;
  // The scales as float32 (for the blocks), and the bias terms per lane:
  // acc = sum over groups of (bias - 128 scale if kOffset) * sum(x of the group).
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
      __m512 sc = load16(a.scales, (n + r) * G + g, c, a.dtype);
      __m512 bi = load16(a.biases, (n + r) * G + g, c, a.dtype);
      if constexpr (kOffset) bi = _mm512_fnmadd_ps(_mm512_set1_ps(kOffsetSum), sc, bi);
      _mm512_storeu_ps(sf[r] + g, sc);
#pragma GCC unroll 8
      for (int m = 0; m < MR; ++m)
        acc[r][m] = _mm512_fmadd_ps(bi, _mm512_maskz_loadu_ps(k, p.xsum.data() + (m0 + m) * G + g),
                                    acc[r][m]);
    }
  }
  // (A loop body rather than a lambda: GCC keeps acc in registers only this way.)
  const int64_t blocks = full + (tail ? 1 : 0);
  for (int64_t j = 0; j < blocks; ++j) {
    __m512bh lo[NR], hi[NR];
#pragma GCC unroll 8
    for (int r = 0; r < NR; ++r) {
      const uint8_t* src = wr[r] + j * 32;
      if ((j & 1) == 0)
        _mm_prefetch(reinterpret_cast<const char*>(src) + kPrefetchBytes, _MM_HINT_T0);
      __m256i packed = j < full ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src))
                                : _mm256_maskz_loadu_epi8(0xFFFF, src);
      __m512i v = _mm512_cvtepu8_epi16(packed);
      if constexpr (kOffset) {
        lo[r] = (__m512bh)_mm512_ternarylogic_epi32(v, low4, b128, 0xEA);  // (v & 15) | 0x4300
        hi[r] = (__m512bh)_mm512_or_si512(_mm512_srli_epi16(v, 4), b128);
      } else {
        lo[r] = (__m512bh)_mm512_permutexvar_epi16(v, table);
        hi[r] = (__m512bh)_mm512_permutexvar_epi16(_mm512_srli_epi16(v, 4), table);
      }
    }
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m) {
      __m512 d[NR];
#pragma GCC unroll 8
      for (int r = 0; r < NR; ++r) d[r] = _mm512_setzero_ps();
#pragma GCC unroll 8
      for (int i = 0; i < PARTS; ++i) {
        const uint16_t* xb = xp[m][i] + j * 64;  // the block's 64 values
        __m512bh x0 = (__m512bh)_mm512_loadu_si512(xb), x1 = (__m512bh)_mm512_loadu_si512(xb + 32);
#pragma GCC unroll 8
        for (int r = 0; r < NR; ++r) {
          d[r] = _mm512_dpbf16_ps(d[r], lo[r], x0);
          d[r] = _mm512_dpbf16_ps(d[r], hi[r], x1);
        }
      }
#pragma GCC unroll 8
      for (int r = 0; r < NR; ++r)
        acc[r][m] = _mm512_fmadd_ps(block_scale<BITS, GS>(sf[r], j), d[r], acc[r][m]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < NR; ++r)
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m) store_y(a, m0 + m, n + r, _mm512_reduce_add_ps(acc[r][m]));
}

template <int BITS, int GS, int MR, int PARTS>
LMX_TARGET_AVX512_BF16 void qmv_bf16_rows(const QmmArgs& a, const Prepared& p, int64_t m0,
                                          int64_t n0, int64_t n1) {
  // Scales as float32: G rounded up to 16, and room for the blocks' reads past the end.
  std::vector<float> sbuf(size_t(2 * (p.G + 32)), 0.0f);
  float* const sf[2] = {sbuf.data(), sbuf.data() + p.G + 32};
  float* const sf1[1] = {sbuf.data()};
  const uint16_t* xp[MR][PARTS];
  for (int m = 0; m < MR; ++m)
    for (int i = 0; i < PARTS; ++i) xp[m][i] = p.xb[i].data() + (m0 + m) * p.row;
  int64_t n = n0;
  for (; n + 2 <= n1; n += 2) qmv_bf16_block_rows<BITS, GS, MR, PARTS, 2>(a, p, xp, sf, m0, n);
  if (n < n1) qmv_bf16_block_rows<BITS, GS, MR, PARTS, 1>(a, p, xp, sf1, m0, n);
}

template <int BITS, int MR>
LMX_TARGET_AVX512 void qmv_rows(const QmmArgs& a, const Prepared& p, int64_t m0, int64_t n0,
                                int64_t n1) {
  const int gs = a.group_size;
  const int64_t G = p.G, rb = row_bytes(a.K, BITS);
  // pdep spreads 8 codes of BITS bits into the low bits of 8 bytes.
  constexpr uint64_t spread = 0x0101010101010101ull * ((1u << BITS) - 1);
  alignas(64) uint8_t codes[128];
  for (int64_t n = n0; n < n1; ++n) {
    const uint8_t* wr = a.w + n * rb;
    __m512 acc[MR];
    float bias[MR] = {};
    for (int m = 0; m < MR; ++m) acc[m] = _mm512_setzero_ps();
    for (int64_t g = 0; g < G; ++g) {
      const uint8_t* src = wr + g * gs * BITS / 8;
      for (int c = 0; c < gs; c += 8, src += BITS) {
        uint64_t v = 0;
        std::memcpy(&v, src, BITS);
        uint64_t u = BITS == 8 ? v : _pdep_u64(v, spread);
        std::memcpy(codes + c, &u, 8);
      }
      __m512 d[MR];
      for (int m = 0; m < MR; ++m) d[m] = _mm512_setzero_ps();
      for (int c = 0; c < gs; c += 16) {
        __m512 q = _mm512_cvtepi32_ps(
            _mm512_cvtepu8_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(codes + c))));
        for (int m = 0; m < MR; ++m)
          d[m] =
              _mm512_fmadd_ps(q, _mm512_loadu_ps(p.xf.data() + (m0 + m) * a.K + g * gs + c), d[m]);
      }
      float s = load_float(a.scales, n * G + g, a.dtype);
      float b = load_float(a.biases, n * G + g, a.dtype);
      for (int m = 0; m < MR; ++m) {
        acc[m] = _mm512_fmadd_ps(_mm512_set1_ps(s), d[m], acc[m]);
        bias[m] += b * p.xsum[(m0 + m) * G + g];
      }
    }
    for (int m = 0; m < MR; ++m) store_y(a, m0 + m, n, _mm512_reduce_add_ps(acc[m]) + bias[m]);
  }
}

template <int MR>
void run_rows(const QmmArgs& a, const Prepared& p, bool bf16_path, int64_t m0, int64_t n0,
              int64_t n1) {
  if (bf16_path) {
    auto go = [&](auto gs) {
      constexpr int GS = decltype(gs)::value;
      auto bits = [&](auto b) {
        constexpr int BITS = decltype(b)::value;
        if (p.parts == 1)
          qmv_bf16_rows<BITS, GS, MR, 1>(a, p, m0, n0, n1);
        else if (p.parts == 2)
          qmv_bf16_rows<BITS, GS, MR, 2>(a, p, m0, n0, n1);
        else
          qmv_bf16_rows<BITS, GS, MR, 3>(a, p, m0, n0, n1);
      };
      if (a.bits == 4)
        bits(std::integral_constant<int, 4>{});
      else
        bits(std::integral_constant<int, 8>{});
    };
    if (a.group_size == 32)
      go(std::integral_constant<int, 32>{});
    else if (a.group_size == 64)
      go(std::integral_constant<int, 64>{});
    else
      go(std::integral_constant<int, 128>{});
    return;
  }
  dispatch_bits(a.bits, [&](auto b) { qmv_rows<decltype(b)::value, MR>(a, p, m0, n0, n1); });
}

}  // namespace

bool qmv_avx512(const QmmArgs& a) {
  if (!a.transpose || !cpu_has_avx512()) return false;
  bool bf16_path = (a.bits == 4 || a.bits == 8) && cpu_has_avx512_bf16();
  Prepared p = prepare(a, bf16_path);
  parallel_for(a.N, a.K * a.M, [&](int64_t n0, int64_t n1) {
    for (int64_t m0 = 0; m0 < a.M; m0 += kMaxRows) {
      switch (std::min<int64_t>(kMaxRows, a.M - m0)) {
        case 1:
          run_rows<1>(a, p, bf16_path, m0, n0, n1);
          break;
        case 2:
          run_rows<2>(a, p, bf16_path, m0, n0, n1);
          break;
        case 3:
          run_rows<3>(a, p, bf16_path, m0, n0, n1);
          break;
        default:
          run_rows<4>(a, p, bf16_path, m0, n0, n1);
          break;
      }
    }
  });
  return true;
}

}  // namespace lmx::cpu::quant
