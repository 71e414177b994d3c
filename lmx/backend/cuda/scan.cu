// SPDX-License-Identifier: MIT
// Scans (cumsum, cumprod, cummax, cummin): one thread per column of the (outer, n, inner)
// view walks n in order, accumulating as the CPU does (float32 for 16-bit floats).
#include <cmath>
#include <limits>

#include "lmx/backend/cuda/device_types.cuh"
#include "lmx/backend/cuda/kernels_scan.h"

namespace lmx::cuda {

namespace {

template <typename A>
__device__ __forceinline__ A scan_init(ScanOp op) {
  switch (op) {
    case ScanOp::sum: return A(0);
    case ScanOp::prod: return A(1);
    case ScanOp::max:
      if constexpr (std::is_floating_point_v<A>)
        return -INFINITY;
      else
        return std::numeric_limits<A>::lowest();
    case ScanOp::min:
      if constexpr (std::is_floating_point_v<A>)
        return INFINITY;
      else
        return std::numeric_limits<A>::max();
  }
  return A(0);
}

template <typename A>
__device__ __forceinline__ A scan_combine(ScanOp op, A acc, A x) {
  switch (op) {
    case ScanOp::sum: return A(acc + x);
    case ScanOp::prod: return A(acc * x);
    case ScanOp::max:  // NaN is sticky
      if constexpr (std::is_floating_point_v<A>)
        if (::isnan(acc) || ::isnan(x)) return NAN;
      return acc > x ? acc : x;
    case ScanOp::min:
      if constexpr (std::is_floating_point_v<A>)
        if (::isnan(acc) || ::isnan(x)) return NAN;
      return acc < x ? acc : x;
  }
  return acc;
}

template <typename T, typename O, typename A>
__global__ void scan_kernel(ScanOp op, const T* src, O* dst, int64_t outer, int64_t n,
                            int64_t inner, bool reverse, bool inclusive) {
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < outer * inner;
       t += int64_t(gridDim.x) * blockDim.x) {
    int64_t o = t / inner, j = t % inner;
    const T* x = src + o * n * inner + j;
    O* y = dst + o * n * inner + j;
    A acc = scan_init<A>(op);
    for (int64_t k = 0; k < n; ++k) {
      int64_t i = reverse ? n - 1 - k : k;
      if (!inclusive) y[i * inner] = cast<O>(acc);
      acc = scan_combine<A>(op, acc, A(to_compute(x[i * inner])));
      if (inclusive) y[i * inner] = cast<O>(acc);
    }
  }
}

}  // namespace

void launch_scan(ScanOp op, Dtype in, Dtype out, const void* src, void* dst, int64_t outer,
                 int64_t n, int64_t inner, bool reverse, bool inclusive, cudaStream_t stream) {
  int64_t cols = outer * inner;
  if (cols == 0 || n == 0) return;
  dispatch_device_dtype(in, [&](auto t) {
    using T = decltype(t);
    auto run = [&](auto o, auto a) {
      using O = decltype(o);
      using A = decltype(a);
      scan_kernel<T, O, A><<<grid_for(cols, 256), 256, 0, stream>>>(
          op, static_cast<const T*>(src), static_cast<O*>(dst), outer, n, inner, reverse,
          inclusive);
    };
    if constexpr (std::is_same_v<T, bool>) {
      if (out == Dtype::int32)
        run(int32_t{}, int32_t{});
      else
        run(bool{}, bool{});
    } else {
      run(T{}, compute_t<T>{});
    }
  });
}

}  // namespace lmx::cuda
