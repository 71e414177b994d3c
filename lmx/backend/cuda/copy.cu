// SPDX-License-Identifier: MIT
// Strided copies with dtype conversion (astype, contiguous, slice updates, concatenation)
// and arange.
#include "lmx/backend/cuda/device_types.cuh"
#include "lmx/backend/cuda/kernels.h"

namespace lmx::cuda {

namespace {

constexpr int kThreads = 256;

template <typename S, typename D>
__global__ void astype_kernel(const S* src, D* dst, Strided<2> s) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < s.size;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[2];
    strided_offsets(s, i, off);
    dst[off[1]] = cast<D>(src[off[0]]);
  }
}

// Both operands dense: no index arithmetic.
template <typename S, typename D>
__global__ void astype_dense_kernel(const S* src, D* dst, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    dst[i] = cast<D>(src[i]);
}

template <typename T>
__global__ void arange_kernel(T* dst, int64_t n, double start, double step) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    double v = start + double(i) * step;
    if constexpr (is_half_v<T>)
      dst[i] = from_float<T>(float(v));
    else if constexpr (std::is_same_v<T, bool>)
      dst[i] = v != 0.0;
    else
      dst[i] = static_cast<T>(v);
  }
}

}  // namespace

void launch_astype(Dtype in, Dtype out, const void* src, void* dst, const Strided<2>& s,
                   cudaStream_t stream) {
  if (s.size == 0) return;
  bool dense = s.ndim == 1 && s.strides[0][0] == 1 && s.strides[1][0] == 1;
  if (dense && in == out) {
    cudaMemcpyAsync(dst, src, size_t(s.size) * size_of(in), cudaMemcpyDeviceToDevice, stream);
    return;
  }
  dispatch_device_dtype(in, [&](auto si) {
    using S = decltype(si);
    dispatch_device_dtype(out, [&](auto di) {
      using D = decltype(di);
      if (dense)
        astype_dense_kernel<S, D><<<grid_for(s.size, kThreads), kThreads, 0, stream>>>(
            static_cast<const S*>(src), static_cast<D*>(dst), s.size);
      else
        astype_kernel<S, D><<<grid_for(s.size, kThreads), kThreads, 0, stream>>>(
            static_cast<const S*>(src), static_cast<D*>(dst), s);
    });
  });
}

void launch_arange(Dtype dt, void* dst, int64_t n, double start, double step,
                   cudaStream_t stream) {
  if (n == 0) return;
  dispatch_device_dtype(dt, [&](auto t) {
    using T = decltype(t);
    arange_kernel<T><<<grid_for(n, kThreads), kThreads, 0, stream>>>(static_cast<T*>(dst), n,
                                                                    start, step);
  });
}

}  // namespace lmx::cuda
