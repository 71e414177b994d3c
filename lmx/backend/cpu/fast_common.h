// SPDX-License-Identifier: MIT
// Helpers of the fused-op kernels: float32 loads/stores of the float storage types
// written so that loops over them vectorize, and a vectorizable exp.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

#include "lmx/core/dtype.h"
#include "lmx/core/error.h"

namespace lmx::cpu {

[[gnu::always_inline]] inline float load_f32(float v) { return v; }
[[gnu::always_inline]] inline float load_f32(bfloat16 v) {
  return std::bit_cast<float>(uint32_t(v.bits) << 16);
}
// _Float16 converts with F16C/AVX512-FP16 instructions where the target has them.
[[gnu::always_inline]] inline float load_f32(float16 v) {
  return float(std::bit_cast<_Float16>(v.bits));
}

template <typename T>
[[gnu::always_inline]] inline T store_f32(float f) {
  if constexpr (std::is_same_v<T, float>) {
    return f;
  } else if constexpr (std::is_same_v<T, bfloat16>) {
    // Round to nearest even; NaN stays a quiet NaN. Branch-free so it vectorizes.
    uint32_t u = std::bit_cast<uint32_t>(f);
    uint32_t r = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    uint32_t n = (u >> 16) | 0x40u;
    T out;
    out.bits = uint16_t((u & 0x7fffffffu) > 0x7f800000u ? n : r);
    return out;
  } else {
    T out;
    out.bits = std::bit_cast<uint16_t>(static_cast<_Float16>(f));
    return out;
  }
}

// e^x with about 2 ulp error for x in [-87, 88]; 0 below, +inf above. Plain arithmetic
// and bit operations, so loops calling it vectorize.
[[gnu::always_inline]] inline float exp_f32(float x) {
  bool under = x<-87.0f, over = x> 88.0f;
  x = under ? -87.0f : (over ? 88.0f : x);
  // Round x / ln 2 to an integer with the 1.5 * 2^23 trick (no rounding instruction).
  float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = x - n * 0.693359375f;  // ln 2 split in two for an exact product
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  float y = p * std::bit_cast<float>(uint32_t(int32_t(n) + 127) << 23);
  return under ? 0.0f : (over ? INFINITY : y);
}

// Calls f(T{}) for the float dtypes the fused kernels support.
template <typename F>
void dispatch_float(Dtype t, const char* op, F&& f) {
  switch (t) {
    case Dtype::float32:
      return f(float{});
    case Dtype::bfloat16:
      return f(bfloat16{});
    case Dtype::float16:
      return f(float16{});
    default:
      raise<DtypeError>(op, "no CPU kernel for {}", dtype_name(t));
  }
}

}  // namespace lmx::cpu
