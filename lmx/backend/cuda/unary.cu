// SPDX-License-Identifier: MIT
// Unary elementwise ops over any strides; 16-bit floats compute in float32. The op is a
// run-time switch inside the kernel (uniform across the grid, so it costs no divergence).
#include <cmath>

#include "lmx/backend/cuda/device_types.cuh"
#include "lmx/backend/cuda/kernels.h"

namespace lmx::cuda {

namespace {

constexpr int kThreads = 256;

template <typename C>
__device__ __forceinline__ C unary_apply(UnaryOp op, C x) {
  if constexpr (std::is_floating_point_v<C>) {
    switch (op) {
      case UnaryOp::abs: return fabsf(x);
      case UnaryOp::negative: return -x;
      case UnaryOp::sign: return C((x > 0) - (x < 0));
      case UnaryOp::square: return x * x;
      case UnaryOp::sqrt: return sqrtf(x);
      case UnaryOp::rsqrt: return 1.0f / sqrtf(x);
      case UnaryOp::reciprocal: return 1.0f / x;
      case UnaryOp::exp: return expf(x);
      case UnaryOp::expm1: return expm1f(x);
      case UnaryOp::log: return logf(x);
      case UnaryOp::log1p: return log1pf(x);
      case UnaryOp::log2: return log2f(x);
      case UnaryOp::log10: return log10f(x);
      case UnaryOp::sin: return sinf(x);
      case UnaryOp::cos: return cosf(x);
      case UnaryOp::tan: return tanf(x);
      case UnaryOp::arcsin: return asinf(x);
      case UnaryOp::arccos: return acosf(x);
      case UnaryOp::arctan: return atanf(x);
      case UnaryOp::sinh: return sinhf(x);
      case UnaryOp::cosh: return coshf(x);
      case UnaryOp::tanh: return tanhf(x);
      case UnaryOp::arcsinh: return asinhf(x);
      case UnaryOp::arccosh: return acoshf(x);
      case UnaryOp::arctanh: return atanhf(x);
      case UnaryOp::erf: return erff(x);
      case UnaryOp::erfinv: return erfinvf(x);
      case UnaryOp::sigmoid: return 1.0f / (1.0f + expf(-x));
      case UnaryOp::floor: return floorf(x);
      case UnaryOp::ceil: return ceilf(x);
      case UnaryOp::round: return rintf(x);  // half to even
      case UnaryOp::logical_not: return C(x == C(0));
      default: return x;
    }
  } else {
    switch (op) {
      case UnaryOp::abs:
        if constexpr (std::is_signed_v<C>) return x < 0 ? C(-x) : x;
        return x;
      case UnaryOp::negative: return C(-x);
      case UnaryOp::sign:
        if constexpr (std::is_same_v<C, bool>)
          return x;
        else
          return C((x > 0) - (x < C(0)));
      case UnaryOp::square: return C(x * x);
      case UnaryOp::logical_not: return C(!x);
      case UnaryOp::bitwise_invert:
        if constexpr (std::is_same_v<C, bool>)
          return !x;
        else
          return C(~x);
      default: return x;  // floor/ceil/round of integers
    }
  }
}

template <typename T>
__global__ void unary_kernel(UnaryOp op, const T* src, T* dst, Strided<2> s) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < s.size;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[2];
    strided_offsets(s, i, off);
    dst[off[1]] = cast<T>(unary_apply(op, to_compute(src[off[0]])));
  }
}

// isnan, isinf, isfinite.
template <typename T>
__global__ void classify_kernel(UnaryOp op, const T* src, bool* dst, Strided<2> s) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < s.size;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[2];
    strided_offsets(s, i, off);
    auto x = to_compute(src[off[0]]);
    bool r;
    if constexpr (std::is_floating_point_v<decltype(x)>)
      r = op == UnaryOp::isnan ? ::isnan(x) : op == UnaryOp::isinf ? ::isinf(x) : ::isfinite(x);
    else
      r = op == UnaryOp::isfinite;
    dst[off[1]] = r;
  }
}

}  // namespace

void launch_unary(UnaryOp op, Dtype in, Dtype out, const void* src, void* dst, const Strided<2>& s,
                  cudaStream_t stream) {
  if (s.size == 0) return;
  bool classify = op == UnaryOp::isnan || op == UnaryOp::isinf || op == UnaryOp::isfinite;
  dispatch_device_dtype(in, [&](auto t) {
    using T = decltype(t);
    if (classify)
      classify_kernel<T><<<grid_for(s.size, kThreads), kThreads, 0, stream>>>(
          op, static_cast<const T*>(src), static_cast<bool*>(dst), s);
    else
      unary_kernel<T><<<grid_for(s.size, kThreads), kThreads, 0, stream>>>(
          op, static_cast<const T*>(src), static_cast<T*>(dst), s);
  });
}

}  // namespace lmx::cuda
