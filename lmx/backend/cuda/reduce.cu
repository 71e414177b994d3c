// SPDX-License-Identifier: MIT
// Reductions over any axes, arg-reductions, softmax and logsumexp. One block reduces one
// output (tree in shared memory) when the reduction is long; one thread does when short.
// Floats accumulate in float32, integers in their own type, as on the CPU.
#include <cfloat>
#include <climits>
#include <cmath>
#include <limits>

#include "lmx/backend/cuda/device_types.cuh"
#include "lmx/backend/cuda/kernels.h"

namespace lmx::cuda {

namespace {

constexpr int kThreads = 256;

template <typename A>
__device__ __forceinline__ A init_value(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum: return A(0);
    case ReduceOp::prod: return A(1);
    case ReduceOp::max:
      if constexpr (std::is_floating_point_v<A>)
        return -INFINITY;
      else
        return std::numeric_limits<A>::lowest();
    case ReduceOp::min:
      if constexpr (std::is_floating_point_v<A>)
        return INFINITY;
      else
        return std::numeric_limits<A>::max();
    case ReduceOp::all: return A(1);
    case ReduceOp::any: return A(0);
  }
  return A(0);
}

template <typename A>
__device__ __forceinline__ A combine(ReduceOp op, A acc, A x) {
  switch (op) {
    case ReduceOp::sum: return A(acc + x);
    case ReduceOp::prod: return A(acc * x);
    case ReduceOp::max:  // NaN is sticky
      if constexpr (std::is_floating_point_v<A>)
        if (::isnan(acc) || ::isnan(x)) return NAN;
      return acc > x ? acc : x;
    case ReduceOp::min:
      if constexpr (std::is_floating_point_v<A>)
        if (::isnan(acc) || ::isnan(x)) return NAN;
      return acc < x ? acc : x;
    case ReduceOp::all: return A(bool(acc) && bool(x));
    case ReduceOp::any: return A(bool(acc) || bool(x));
  }
  return acc;
}

// Accumulator of input T and output O.
template <typename T, typename O>
using acc_t = std::conditional_t<std::is_same_v<O, bool>, bool, compute_t<T>>;

template <typename T, typename A>
__device__ A reduce_range(ReduceOp op, const T* src, const Strided<1>& red, int64_t begin,
                          int64_t step) {
  A acc = init_value<A>(op);
  for (int64_t r = begin; r < red.size; r += step) {
    int64_t off[1];
    strided_offsets(red, r, off);
    acc = combine<A>(op, acc, A(to_compute(src[off[0]])));
  }
  return acc;
}

// One thread per output.
template <typename T, typename O>
__global__ void reduce_thread_kernel(ReduceOp op, const T* src, O* dst, Strided<2> kept,
                                     Strided<1> red) {
  using A = acc_t<T, O>;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < kept.size;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[2];
    strided_offsets(kept, i, off);
    dst[off[1]] = cast<O>(reduce_range<T, A>(op, src + off[0], red, 0, 1));
  }
}

// One block per output.
template <typename T, typename O>
__global__ void reduce_block_kernel(ReduceOp op, const T* src, O* dst, Strided<2> kept,
                                    Strided<1> red) {
  using A = acc_t<T, O>;
  __shared__ A part[kThreads];
  for (int64_t i = blockIdx.x; i < kept.size; i += gridDim.x) {
    int64_t off[2];
    strided_offsets(kept, i, off);
    part[threadIdx.x] = reduce_range<T, A>(op, src + off[0], red, threadIdx.x, blockDim.x);
    __syncthreads();
    for (int w = kThreads / 2; w > 0; w /= 2) {
      if (threadIdx.x < w) part[threadIdx.x] = combine<A>(op, part[threadIdx.x], part[threadIdx.x + w]);
      __syncthreads();
    }
    if (threadIdx.x == 0) dst[off[1]] = cast<O>(part[0]);
    __syncthreads();
  }
}

// Whether (v, i) beats (best, bi): NaN first, then larger (smaller), then lower index.
template <typename C>
__device__ __forceinline__ bool arg_better(bool is_max, C v, uint32_t i, C best, uint32_t bi) {
  if constexpr (std::is_floating_point_v<C>) {
    bool vn = ::isnan(v), bn = ::isnan(best);
    if (vn || bn) return vn && (!bn || i < bi);
  }
  if (v == best) return i < bi;
  return is_max ? v > best : v < best;
}

template <typename T>
__global__ void argreduce_kernel(bool is_max, const T* src, uint32_t* dst, Strided<2> kept,
                                 int64_t n, int64_t stride) {
  using C = compute_t<T>;
  __shared__ C vals[kThreads];
  __shared__ uint32_t idxs[kThreads];
  for (int64_t o = blockIdx.x; o < kept.size; o += gridDim.x) {
    int64_t off[2];
    strided_offsets(kept, o, off);
    const T* p = src + off[0];
    C best = to_compute(p[0]);
    uint32_t bi = 0;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
      C v = to_compute(p[i * stride]);
      if (arg_better(is_max, v, uint32_t(i), best, bi)) {
        best = v;
        bi = uint32_t(i);
      }
    }
    vals[threadIdx.x] = best;
    idxs[threadIdx.x] = bi;
    __syncthreads();
    for (int w = kThreads / 2; w > 0; w /= 2) {
      if (threadIdx.x < w &&
          arg_better(is_max, vals[threadIdx.x + w], idxs[threadIdx.x + w], vals[threadIdx.x],
                     idxs[threadIdx.x])) {
        vals[threadIdx.x] = vals[threadIdx.x + w];
        idxs[threadIdx.x] = idxs[threadIdx.x + w];
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) dst[off[1]] = idxs[0];
    __syncthreads();
  }
}

// Block-wide max and sum of float values (every thread gets the result).
__device__ float block_max(float v, float* scratch) {
  for (int o = 16; o > 0; o /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float r = -INFINITY;
  for (int w = 0; w < int(blockDim.x / 32); ++w) r = fmaxf(r, scratch[w]);
  __syncthreads();
  return r;
}

__device__ float block_sum(float v, float* scratch) {
  for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float r = 0.0f;
  for (int w = 0; w < int(blockDim.x / 32); ++w) r += scratch[w];
  __syncthreads();
  return r;
}

template <typename T>
__global__ void softmax_kernel(const T* src, T* dst, int64_t n) {
  __shared__ float scratch[32];
  const T* x = src + blockIdx.x * n;
  T* y = dst + blockIdx.x * n;
  float m = -INFINITY;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) m = fmaxf(m, to_float(x[i]));
  m = block_max(m, scratch);
  if (::isinf(m) && m < 0) m = 0;  // an all -inf row gives NaN, as on the CPU
  float s = 0.0f;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) s += expf(to_float(x[i]) - m);
  float inv = 1.0f / block_sum(s, scratch);
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
    y[i] = from_float<T>(expf(to_float(x[i]) - m) * inv);
}

template <typename T>
__global__ void logsumexp_kernel(const T* src, T* dst, int64_t n) {
  __shared__ float scratch[32];
  const T* x = src + blockIdx.x * n;
  float m = -INFINITY;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) m = fmaxf(m, to_float(x[i]));
  m = block_max(m, scratch);
  if (::isinf(m)) {
    if (threadIdx.x == 0) dst[blockIdx.x] = from_float<T>(m);
    return;
  }
  float s = 0.0f;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) s += expf(to_float(x[i]) - m);
  s = block_sum(s, scratch);
  if (threadIdx.x == 0) dst[blockIdx.x] = from_float<T>(m + logf(s));
}

unsigned blocks_for(int64_t n) { return unsigned(n < 65535LL * 16 ? (n < 1 ? 1 : n) : 65535LL * 16); }

}  // namespace

void launch_reduce(ReduceOp op, Dtype in, Dtype out, const void* src, void* dst,
                   const Strided<2>& kept, const Strided<1>& red, cudaStream_t stream) {
  if (kept.size == 0) return;
  dispatch_device_dtype(in, [&](auto t) {
    using T = decltype(t);
    auto run = [&](auto o) {
      using O = decltype(o);
      auto ps = static_cast<const T*>(src);
      auto pd = static_cast<O*>(dst);
      if (red.size <= 64 || kept.size >= 8192)
        reduce_thread_kernel<T, O><<<grid_for(kept.size, kThreads), kThreads, 0, stream>>>(
            op, ps, pd, kept, red);
      else
        reduce_block_kernel<T, O><<<blocks_for(kept.size), kThreads, 0, stream>>>(op, ps, pd,
                                                                                 kept, red);
    };
    if (out == Dtype::bool_)
      run(bool{});
    else
      run(T{});
  });
}

void launch_argreduce(bool is_max, Dtype in, const void* src, uint32_t* dst, const Strided<2>& kept,
                      int64_t n, int64_t stride, cudaStream_t stream) {
  if (kept.size == 0) return;
  dispatch_device_dtype(in, [&](auto t) {
    using T = decltype(t);
    argreduce_kernel<T><<<blocks_for(kept.size), kThreads, 0, stream>>>(
        is_max, static_cast<const T*>(src), dst, kept, n, stride);
  });
}

void launch_softmax(Dtype dt, const void* src, void* dst, int64_t rows, int64_t n,
                    cudaStream_t stream) {
  if (rows == 0 || n == 0) return;
  dispatch_float_dtype(dt, [&](auto t) {
    using T = decltype(t);
    softmax_kernel<T><<<unsigned(rows), kThreads, 0, stream>>>(static_cast<const T*>(src),
                                                               static_cast<T*>(dst), n);
  });
}

void launch_logsumexp(Dtype dt, const void* src, void* dst, int64_t rows, int64_t n,
                      cudaStream_t stream) {
  if (rows == 0) return;
  dispatch_float_dtype(dt, [&](auto t) {
    using T = decltype(t);
    logsumexp_kernel<T><<<unsigned(rows), kThreads, 0, stream>>>(static_cast<const T*>(src),
                                                                 static_cast<T*>(dst), n);
  });
}

}  // namespace lmx::cuda
