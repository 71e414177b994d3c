// SPDX-License-Identifier: MIT
// Gather (one strided block per index tuple, copied by element size) and scatter.
// Scatter walks the index tuples in order in every thread (one thread per element of a
// block), so repeated indices resolve as on the CPU (last write wins; adds in order)
// without atomics.
#include "lmx/backend/cuda/device_types.cuh"
#include "lmx/backend/cuda/kernels.h"

namespace lmx::cuda {

namespace {

constexpr int kThreads = 256;

// Element offset of index tuple p.
__device__ __forceinline__ int64_t index_offset(const IndexArgs& ix, int64_t p) {
  int64_t off = 0;
  for (int k = 0; k < ix.count; ++k) {
    int64_t v = ix.idx[k][p], dim = ix.dim[k];
    if (v < 0) v += dim;
    v = v < 0 ? 0 : (v >= dim ? dim - 1 : v);
    off += v * ix.stride[k];
  }
  return off;
}

template <typename W>
__global__ void gather_kernel(const W* src, W* dst, IndexArgs ix, Strided<1> slice, int64_t block) {
  int64_t total = ix.n * block;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t p = i / block, q = i % block;
    int64_t off[1];
    strided_offsets(slice, q, off);
    dst[i] = src[index_offset(ix, p) + off[0]];
  }
}

template <typename T>
__global__ void scatter_kernel(bool add, const T* upd, T* dst, IndexArgs ix, Strided<2> slice,
                               Strided<1> outer) {
  for (int64_t q = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; q < slice.size;
       q += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[2];
    strided_offsets(slice, q, off);
    for (int64_t p = 0; p < ix.n; ++p) {
      int64_t uo[1];
      strided_offsets(outer, p, uo);
      int64_t d = index_offset(ix, p) + off[1];
      T u = upd[uo[0] + off[0]];
      dst[d] = add ? cast<T>(to_compute(dst[d]) + to_compute(u)) : u;
    }
  }
}

}  // namespace

void launch_gather(size_t itemsize, const void* src, void* dst, const IndexArgs& ix,
                   const Strided<1>& slice, int64_t block, cudaStream_t stream) {
  int64_t total = ix.n * block;
  if (total == 0) return;
  unsigned grid = grid_for(total, kThreads);
  auto run = [&](auto w) {
    using W = decltype(w);
    gather_kernel<W><<<grid, kThreads, 0, stream>>>(static_cast<const W*>(src),
                                                    static_cast<W*>(dst), ix, slice, block);
  };
  switch (itemsize) {
    case 1: run(uint8_t{}); break;
    case 2: run(uint16_t{}); break;
    case 4: run(uint32_t{}); break;
    default: run(uint64_t{}); break;
  }
}

void launch_scatter(Dtype dt, bool add, const void* upd, void* dst, const IndexArgs& ix,
                    const Strided<2>& slice, const Strided<1>& outer, cudaStream_t stream) {
  if (slice.size == 0 || ix.n == 0) return;
  dispatch_device_dtype(dt, [&](auto t) {
    using T = decltype(t);
    scatter_kernel<T><<<grid_for(slice.size, kThreads), kThreads, 0, stream>>>(
        add, static_cast<const T*>(upd), static_cast<T*>(dst), ix, slice, outer);
  });
}

}  // namespace lmx::cuda
