// SPDX-License-Identifier: MIT
// Small AVX-512 helpers the quantized GEMV kernels share (quantized_gemv_*.cpp). Inline,
// with a target attribute that is a subset of every kernel's, so they inline into them.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "lmx/backend/cpu/quantized.h"

#define LMX_TARGET_AVX512_QUANT __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))

namespace lmx::cpu::quant {

// Up to 16 scales/biases of `dtype` from element i on, as float32 (zeros past `count`).
LMX_TARGET_AVX512_QUANT inline __m512 load16(const void* p, int64_t i, int64_t count, Dtype dtype) {
  __mmask16 k = count >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << count) - 1);
  switch (dtype) {
    case Dtype::bfloat16:
      return _mm512_castsi512_ps(_mm512_slli_epi32(
          _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(k, static_cast<const uint16_t*>(p) + i)),
          16));
    case Dtype::float16:
      return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(k, static_cast<const uint16_t*>(p) + i));
    default:
      return _mm512_maskz_loadu_ps(k, static_cast<const float*>(p) + i);
  }
}

// y[m, n] = v in the product's dtype.
inline void store_y(const QmmArgs& a, int64_t m, int64_t n, float v) {
  const int64_t i = m * a.N + n;
  switch (a.dtype) {
    case Dtype::bfloat16:
      static_cast<bfloat16*>(a.y)[i] = bfloat16(v);
      break;
    case Dtype::float16:
      static_cast<float16*>(a.y)[i] = float16(v);
      break;
    default:
      static_cast<float*>(a.y)[i] = v;
  }
}

}  // namespace lmx::cpu::quant
