// SPDX-License-Identifier: MIT
// Binary elementwise ops and select over any strides and broadcasts (stride 0); 16-bit
// floats compute in float32. Integer division by zero gives 0, as on the CPU.
#include <cmath>

#include "lmx/backend/cuda/device_types.cuh"
#include "lmx/backend/cuda/kernels.h"

namespace lmx::cuda {

namespace {

constexpr int kThreads = 256;

template <typename C>
__device__ __forceinline__ C binary_apply(BinaryOp op, C a, C b) {
  constexpr bool kFloat = std::is_floating_point_v<C>;
  constexpr bool kBool = std::is_same_v<C, bool>;
  switch (op) {
    case BinaryOp::add: return C(a + b);
    case BinaryOp::subtract: return C(a - b);
    case BinaryOp::multiply: return C(a * b);
    case BinaryOp::divide:
      if constexpr (kFloat)
        return a / b;
      else
        return b == C(0) ? C(0) : C(a / b);
    case BinaryOp::floor_divide:
      if constexpr (kFloat) {
        return floorf(a / b);
      } else if constexpr (kBool) {
        return a;
      } else {
        if (b == C(0)) return C(0);
        C q = C(a / b);
        if constexpr (std::is_signed_v<C>)
          if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
        return q;
      }
    case BinaryOp::remainder:
      if constexpr (kFloat) {
        C r = fmodf(a, b);
        if (r != 0 && ((r < 0) != (b < 0))) r += b;
        return r;
      } else if constexpr (kBool) {
        return C(0);
      } else {
        if (b == C(0)) return C(0);
        C r = C(a % b);
        if constexpr (std::is_signed_v<C>)
          if (r != 0 && ((r < 0) != (b < 0))) r = C(r + b);
        return r;
      }
    case BinaryOp::power:
      if constexpr (kFloat) {
        return powf(a, b);
      } else {
        if constexpr (std::is_signed_v<C>)
          if (b < 0) return C(0);
        C r = 1, base = a;
        auto e = b;
        while (e) {
          if (e & 1) r = C(r * base);
          base = C(base * base);
          e = decltype(e)(e >> 1);
        }
        return r;
      }
    case BinaryOp::maximum:
      if constexpr (kFloat)
        if (::isnan(a) || ::isnan(b)) return NAN;
      return a > b ? a : b;
    case BinaryOp::minimum:
      if constexpr (kFloat)
        if (::isnan(a) || ::isnan(b)) return NAN;
      return a < b ? a : b;
    case BinaryOp::logaddexp:
      if constexpr (kFloat) {
        if (::isinf(a) && a == b) return a;
        C m = a > b ? a : b;
        return m + log1pf(expf(-fabsf(a - b)));
      }
      return a;
    case BinaryOp::arctan2:
      if constexpr (kFloat) return atan2f(a, b);
      return a;
    case BinaryOp::bitwise_and:
      if constexpr (!kFloat) return C(a & b);
      return a;
    case BinaryOp::bitwise_or:
      if constexpr (!kFloat) return C(a | b);
      return a;
    case BinaryOp::bitwise_xor:
      if constexpr (!kFloat) return C(a ^ b);
      return a;
    case BinaryOp::left_shift:
      if constexpr (!kFloat && !kBool) return C(a << b);
      return a;
    case BinaryOp::right_shift:
      if constexpr (!kFloat && !kBool) return C(a >> b);
      return a;
    default:
      return a;
  }
}

template <typename C>
__device__ __forceinline__ bool compare_apply(BinaryOp op, C a, C b) {
  switch (op) {
    case BinaryOp::equal: return a == b;
    case BinaryOp::not_equal: return a != b;
    case BinaryOp::less: return a < b;
    case BinaryOp::less_equal: return a <= b;
    case BinaryOp::greater: return a > b;
    case BinaryOp::greater_equal: return a >= b;
    case BinaryOp::logical_and: return bool(a) && bool(b);
    case BinaryOp::logical_or: return bool(a) || bool(b);
    default: return false;
  }
}

template <typename T>
__global__ void binary_kernel(BinaryOp op, const T* a, const T* b, T* dst, Strided<3> s) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < s.size;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[3];
    strided_offsets(s, i, off);
    dst[off[2]] = cast<T>(binary_apply(op, to_compute(a[off[0]]), to_compute(b[off[1]])));
  }
}

// The common case of dense operands of one shape: no index arithmetic.
template <typename T>
__global__ void binary_dense_kernel(BinaryOp op, const T* a, const T* b, T* dst, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    dst[i] = cast<T>(binary_apply(op, to_compute(a[i]), to_compute(b[i])));
}

template <typename T>
__global__ void compare_kernel(BinaryOp op, const T* a, const T* b, bool* dst, Strided<3> s) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < s.size;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[3];
    strided_offsets(s, i, off);
    dst[off[2]] = compare_apply(op, to_compute(a[off[0]]), to_compute(b[off[1]]));
  }
}

template <typename T>
__global__ void select_kernel(const bool* c, const T* a, const T* b, T* dst, Strided<4> s) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < s.size;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[4];
    strided_offsets(s, i, off);
    dst[off[3]] = c[off[0]] ? a[off[1]] : b[off[2]];
  }
}

}  // namespace

void launch_binary(BinaryOp op, Dtype in, Dtype out, const void* a, const void* b, void* dst,
                   const Strided<3>& s, cudaStream_t stream) {
  if (s.size == 0) return;
  bool to_bool = out == Dtype::bool_ && op >= BinaryOp::equal && op <= BinaryOp::logical_or;
  bool dense = s.ndim == 1 && s.strides[0][0] == 1 && s.strides[1][0] == 1 && s.strides[2][0] == 1;
  dispatch_device_dtype(in, [&](auto t) {
    using T = decltype(t);
    auto pa = static_cast<const T*>(a);
    auto pb = static_cast<const T*>(b);
    unsigned grid = grid_for(s.size, kThreads);
    if (to_bool)
      compare_kernel<T><<<grid, kThreads, 0, stream>>>(op, pa, pb, static_cast<bool*>(dst), s);
    else if (dense)
      binary_dense_kernel<T><<<grid, kThreads, 0, stream>>>(op, pa, pb, static_cast<T*>(dst),
                                                            s.size);
    else
      binary_kernel<T><<<grid, kThreads, 0, stream>>>(op, pa, pb, static_cast<T*>(dst), s);
  });
}

void launch_select(Dtype dt, const void* cond, const void* a, const void* b, void* dst,
                   const Strided<4>& s, cudaStream_t stream) {
  if (s.size == 0) return;
  dispatch_device_dtype(dt, [&](auto t) {
    using T = decltype(t);
    select_kernel<T><<<grid_for(s.size, kThreads), kThreads, 0, stream>>>(
        static_cast<const bool*>(cond), static_cast<const T*>(a), static_cast<const T*>(b),
        static_cast<T*>(dst), s);
  });
}

}  // namespace lmx::cuda
