// SPDX-License-Identifier: MIT
// Device-side element types: lmx dtypes map to bool, the fixed-width integers, __half,
// __nv_bfloat16 and float. 16-bit floats compute in float32; conversions round to nearest
// even, as the CPU backend does.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <type_traits>

#include "lmx/core/dtype.h"

namespace lmx::cuda {

template <typename T>
inline constexpr bool is_half_v = std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>;

// The type a value of T is computed in.
template <typename T>
using compute_t = std::conditional_t<is_half_v<T>, float, T>;

template <typename T>
__device__ __forceinline__ compute_t<T> to_compute(T v) {
  if constexpr (std::is_same_v<T, __half>)
    return __half2float(v);
  else if constexpr (std::is_same_v<T, __nv_bfloat16>)
    return __bfloat162float(v);
  else
    return v;
}

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }

template <typename T>
__device__ __forceinline__ T from_float(float f) {
  if constexpr (std::is_same_v<T, __half>)
    return __float2half_rn(f);
  else if constexpr (std::is_same_v<T, __nv_bfloat16>)
    return __float2bfloat16_rn(f);
  else
    return T(f);
}

// Converts between any two element types as the CPU backend's cast does: 16-bit floats go
// through float, anything to bool is "!= 0", the rest are C casts.
template <typename To, typename From>
__device__ __forceinline__ To cast(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (is_half_v<From>) {
    return cast<To>(to_compute(v));
  } else if constexpr (is_half_v<To>) {
    return from_float<To>(static_cast<float>(v));
  } else if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else {
    return static_cast<To>(v);
  }
}

// Calls f(T{}) with the device type of `t`. Host code (launchers).
template <typename F>
decltype(auto) dispatch_device_dtype(Dtype t, F&& f) {
  switch (t) {
    case Dtype::bool_: return f(bool{});
    case Dtype::uint8: return f(uint8_t{});
    case Dtype::int8: return f(int8_t{});
    case Dtype::uint16: return f(uint16_t{});
    case Dtype::int16: return f(int16_t{});
    case Dtype::uint32: return f(uint32_t{});
    case Dtype::int32: return f(int32_t{});
    case Dtype::int64: return f(int64_t{});
    case Dtype::float16: return f(__half{});
    case Dtype::bfloat16: return f(__nv_bfloat16{});
    case Dtype::float32: return f(float{});
  }
  return f(float{});
}

// The same for the float dtypes only (fused kernels); other dtypes are not dispatched and
// the caller must have checked.
template <typename F>
decltype(auto) dispatch_float_dtype(Dtype t, F&& f) {
  switch (t) {
    case Dtype::float16: return f(__half{});
    case Dtype::bfloat16: return f(__nv_bfloat16{});
    default: return f(float{});
  }
}

// Grid size for n elements at `threads` per block, capped (grid-stride loops cover the rest).
inline unsigned grid_for(int64_t n, int threads) {
  int64_t b = (n + threads - 1) / threads;
  if (b > 65535LL * 32) b = 65535LL * 32;
  return unsigned(b < 1 ? 1 : b);
}

}  // namespace lmx::cuda
