// SPDX-License-Identifier: MIT
// Shapes and strides passed by value to kernels: up to kMaxDims collapsed dimensions,
// K operands. Built on the host (any compiler), read in kernels (nvcc).
#pragma once

#include <cstdint>
#include <vector>

namespace lmx::cuda {

inline constexpr int kMaxDims = 10;

// K operands of one shape; strides in elements. Dimensions where every operand is
// contiguous across the boundary are merged, size-1 dimensions dropped.
template <int K>
struct Strided {
  int ndim = 0;
  int64_t size = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[K][kMaxDims] = {};
};

// Collapses `shape` with the operands' strides; throws DeviceError (naming `op`) when more
// than kMaxDims dimensions remain.
template <int K>
Strided<K> make_strided(const std::vector<int64_t>& shape,
                        const std::vector<const std::vector<int64_t>*>& strides, const char* op);

#ifdef __CUDACC__
// Element offsets of linear index i (row-major over s.shape) in each operand.
template <int K>
__device__ __forceinline__ void strided_offsets(const Strided<K>& s, int64_t i, int64_t (&off)[K]) {
#pragma unroll
  for (int k = 0; k < K; ++k) off[k] = 0;
  for (int d = s.ndim - 1; d >= 0; --d) {
    int64_t n = s.shape[d];
    int64_t idx = i % n;
    i /= n;
#pragma unroll
    for (int k = 0; k < K; ++k) off[k] += idx * s.strides[k][d];
  }
}
#endif

}  // namespace lmx::cuda
