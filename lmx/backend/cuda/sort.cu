// SPDX-License-Identifier: MIT
// Row sort: one block per row, a bitonic network over (value, index) pairs in shared
// memory. Ties break by index, so the network yields exactly the stable order.
#include <cmath>

#include "lmx/backend/cuda/device_types.cuh"
#include "lmx/backend/cuda/kernels_sort.h"

namespace lmx::cuda {

namespace {

constexpr int kThreads = 1024;

// Whether element (a, ia) sorts after (b, ib); padding (index >= n) sorts last.
template <typename C>
__device__ __forceinline__ bool after(C a, uint32_t ia, C b, uint32_t ib, uint32_t n) {
  bool pa = ia >= n, pb = ib >= n;
  if (pa || pb) return pa && (!pb || ia > ib);
  if constexpr (std::is_floating_point_v<C>) {
    bool na = ::isnan(a), nb = ::isnan(b);
    if (na || nb) return na && (!nb || ia > ib);
  }
  if (a == b) return ia > ib;
  return a > b;
}

template <typename T>
__global__ void sort_rows_kernel(const T* src, void* dst, int64_t n, int p, bool indices) {
  using C = compute_t<T>;
  extern __shared__ unsigned char smem[];
  C* vals = reinterpret_cast<C*>(smem);
  uint32_t* idx = reinterpret_cast<uint32_t*>(vals + p);
  const T* x = src + blockIdx.x * n;
  for (int i = threadIdx.x; i < p; i += blockDim.x) {
    vals[i] = i < n ? to_compute(x[i]) : C(0);
    idx[i] = uint32_t(i);
  }
  __syncthreads();
  for (int k = 2; k <= p; k <<= 1) {
    for (int j = k >> 1; j > 0; j >>= 1) {
      for (int i = threadIdx.x; i < p; i += blockDim.x) {
        int l = i ^ j;
        if (l > i) {
          bool ascending = (i & k) == 0;
          if (after(vals[i], idx[i], vals[l], idx[l], uint32_t(n)) == ascending) {
            C tv = vals[i];
            vals[i] = vals[l];
            vals[l] = tv;
            uint32_t ti = idx[i];
            idx[i] = idx[l];
            idx[l] = ti;
          }
        }
      }
      __syncthreads();
    }
  }
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    if (indices)
      static_cast<uint32_t*>(dst)[blockIdx.x * n + i] = idx[i];
    else
      static_cast<T*>(dst)[blockIdx.x * n + i] = x[idx[i]];
  }
}

}  // namespace

void launch_sort_rows(Dtype dt, const void* src, void* dst, int64_t rows, int64_t n, bool indices,
                      cudaStream_t stream) {
  if (rows == 0 || n == 0) return;
  int p = 1;
  while (p < n) p <<= 1;
  dispatch_device_dtype(dt, [&](auto t) {
    using T = decltype(t);
    size_t smem = size_t(p) * (sizeof(compute_t<T>) + sizeof(uint32_t));
    int threads = p < kThreads ? (p < 32 ? 32 : p) : kThreads;
    sort_rows_kernel<T><<<unsigned(rows), threads, smem, stream>>>(static_cast<const T*>(src),
                                                                   dst, n, p, indices);
  });
}

}  // namespace lmx::cuda
