// SPDX-License-Identifier: MIT
// Dequantizing packed rows to bf16 for the AMX prefill GEMM: 16 codes at a time spread to
// bytes with pdep, widened, scaled and biased in float32 and rounded to bf16 (AVX-512 with
// BF16); a portable loop elsewhere.
#include <immintrin.h>
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*() and trip this warning.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include "lmx/backend/cpu/quantized.h"

#define LMX_TARGET_DEQUANT \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,bmi2,fma")))

namespace lmx::cpu::quant {

namespace {

bool cpu_has_avx512_bf16_bmi2() {
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                         __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("bmi2") &&
                         __builtin_cpu_supports("fma");
  return ok;
}

// 4 bits, 32 codes per 16-byte load: the low and high nibbles are split with a mask and a
// shift, interleaved back into code order with unpack, widened 16 at a time.
LMX_TARGET_DEQUANT void dequantize4_bf16_avx512(const uint8_t* w, const void* scales,
                                                const void* biases, Dtype dtype, int64_t r0,
                                                int64_t r1, int64_t cols, int gs, uint16_t* out) {
  const int64_t groups = cols / gs, rb = cols / 2;
  const __m128i low4 = _mm_set1_epi8(0x0F);
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = w + r * rb;
    uint16_t* o = out + (r - r0) * cols;
    for (int64_t g = 0; g < groups; ++g) {
      const __m512 s = _mm512_set1_ps(load_float(scales, r * groups + g, dtype));
      const __m512 b = _mm512_set1_ps(load_float(biases, r * groups + g, dtype));
      const uint8_t* src = row + g * gs / 2;
      for (int c = 0; c < gs; c += 32, src += 16, o += 32) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
        const __m128i lo = _mm_and_si128(v, low4), hi = _mm_and_si128(_mm_srli_epi16(v, 4), low4);
        const __m128i q0 = _mm_unpacklo_epi8(lo, hi), q1 = _mm_unpackhi_epi8(lo, hi);
        const __m512 f0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(q0)), s, b);
        const __m512 f1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(q1)), s, b);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o), (__m256i)_mm512_cvtneps_pbh(f0));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + 16), (__m256i)_mm512_cvtneps_pbh(f1));
      }
    }
  }
}

template <int BITS>
LMX_TARGET_DEQUANT void dequantize_bf16_avx512(const uint8_t* w, const void* scales,
                                               const void* biases, Dtype dtype, int64_t r0,
                                               int64_t r1, int64_t cols, int gs, uint16_t* out) {
  // pdep spreads 8 codes of BITS bits into the low bits of 8 bytes.
  constexpr uint64_t spread = 0x0101010101010101ull * ((1u << BITS) - 1);
  const int64_t groups = cols / gs, rb = cols * BITS / 8;
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = w + r * rb;
    uint16_t* o = out + (r - r0) * cols;
    for (int64_t g = 0; g < groups; ++g) {
      const __m512 s = _mm512_set1_ps(load_float(scales, r * groups + g, dtype));
      const __m512 b = _mm512_set1_ps(load_float(biases, r * groups + g, dtype));
      const uint8_t* src = row + g * gs * BITS / 8;
      for (int c = 0; c < gs; c += 16, src += 2 * BITS, o += 16) {
        uint64_t v0 = 0, v1 = 0;
        std::memcpy(&v0, src, BITS);
        std::memcpy(&v1, src + BITS, BITS);
        if constexpr (BITS != 8) {
          v0 = _pdep_u64(v0, spread);
          v1 = _pdep_u64(v1, spread);
        }
        __m512 q =
            _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_set_epi64x(int64_t(v1), int64_t(v0))));
        __m256bh y = _mm512_cvtneps_pbh(_mm512_fmadd_ps(q, s, b));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o), (__m256i)y);
      }
    }
  }
}

template <int BITS>
void dequantize_bf16_portable(const uint8_t* w, const void* scales, const void* biases, Dtype dtype,
                              int64_t r0, int64_t r1, int64_t cols, int gs, uint16_t* out) {
  const int64_t groups = cols / gs, rb = cols * BITS / 8;
  alignas(64) uint8_t codes[128];
  for (int64_t r = r0; r < r1; ++r) {
    uint16_t* o = out + (r - r0) * cols;
    for (int64_t g = 0; g < groups; ++g, o += gs) {
      unpack_codes<BITS>(w + r * rb, g * gs, gs, codes);
      float s = load_float(scales, r * groups + g, dtype);
      float b = load_float(biases, r * groups + g, dtype);
      for (int j = 0; j < gs; ++j) o[j] = bfloat16(float(codes[j]) * s + b).bits;
    }
  }
}

}  // namespace

void dequantize_rows_bf16(const uint8_t* w, const void* scales, const void* biases, Dtype dtype,
                          int64_t r0, int64_t r1, int64_t cols, int group_size, int bits,
                          uint16_t* out) {
  const bool avx = cpu_has_avx512_bf16_bmi2();
  dispatch_bits(bits, [&](auto b) {
    constexpr int BITS = decltype(b)::value;
    if (avx && BITS == 4)
      dequantize4_bf16_avx512(w, scales, biases, dtype, r0, r1, cols, group_size, out);
    else if (avx)
      dequantize_bf16_avx512<BITS>(w, scales, biases, dtype, r0, r1, cols, group_size, out);
    else
      dequantize_bf16_portable<BITS>(w, scales, biases, dtype, r0, r1, cols, group_size, out);
  });
}

}  // namespace lmx::cpu::quant
