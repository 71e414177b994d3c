// SPDX-License-Identifier: MIT
// rms_norm and layer_norm: one block per row, float32 accumulation.
#include "lmx/backend/cuda/device_types.cuh"
#include "lmx/backend/cuda/kernels.h"

namespace lmx::cuda {

namespace {

constexpr int kThreads = 256;

__device__ float row_sum(float v, float* scratch) {
  for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  if (threadIdx.x % 32 == 0) scratch[threadIdx.x / 32] = v;
  __syncthreads();
  float r = 0.0f;
  for (int w = 0; w < kThreads / 32; ++w) r += scratch[w];
  __syncthreads();
  return r;
}

template <typename T>
__global__ void rms_norm_kernel(const T* x, const T* w, T* y, int64_t n, float eps) {
  __shared__ float scratch[kThreads / 32];
  const T* xr = x + blockIdx.x * n;
  T* yr = y + blockIdx.x * n;
  float ss = 0.0f;
  for (int64_t i = threadIdx.x; i < n; i += kThreads) {
    float v = to_float(xr[i]);
    ss += v * v;
  }
  float inv = 1.0f / sqrtf(row_sum(ss, scratch) / float(n) + eps);
  for (int64_t i = threadIdx.x; i < n; i += kThreads) {
    float v = to_float(xr[i]) * inv;
    if (w) v *= to_float(w[i]);
    yr[i] = from_float<T>(v);
  }
}

template <typename T>
__global__ void layer_norm_kernel(const T* x, const T* w, const T* b, T* y, int64_t n, float eps) {
  __shared__ float scratch[kThreads / 32];
  const T* xr = x + blockIdx.x * n;
  T* yr = y + blockIdx.x * n;
  float s = 0.0f;
  for (int64_t i = threadIdx.x; i < n; i += kThreads) s += to_float(xr[i]);
  float mu = row_sum(s, scratch) / float(n);
  float ss = 0.0f;
  for (int64_t i = threadIdx.x; i < n; i += kThreads) {
    float c = to_float(xr[i]) - mu;
    ss += c * c;
  }
  float inv = 1.0f / sqrtf(row_sum(ss, scratch) / float(n) + eps);
  for (int64_t i = threadIdx.x; i < n; i += kThreads) {
    float v = (to_float(xr[i]) - mu) * inv;
    if (w) v *= to_float(w[i]);
    if (b) v += to_float(b[i]);
    yr[i] = from_float<T>(v);
  }
}

}  // namespace

void launch_rms_norm(Dtype dt, const void* x, const void* w, void* y, int64_t rows, int64_t n,
                     float eps, cudaStream_t stream) {
  if (rows == 0 || n == 0) return;
  dispatch_float_dtype(dt, [&](auto t) {
    using T = decltype(t);
    rms_norm_kernel<T><<<unsigned(rows), kThreads, 0, stream>>>(
        static_cast<const T*>(x), static_cast<const T*>(w), static_cast<T*>(y), n, eps);
  });
}

void launch_layer_norm(Dtype dt, const void* x, const void* w, const void* b, void* y,
                       int64_t rows, int64_t n, float eps, cudaStream_t stream) {
  if (rows == 0 || n == 0) return;
  dispatch_float_dtype(dt, [&](auto t) {
    using T = decltype(t);
    layer_norm_kernel<T><<<unsigned(rows), kThreads, 0, stream>>>(
        static_cast<const T*>(x), static_cast<const T*>(w), static_cast<const T*>(b),
        static_cast<T*>(y), n, eps);
  });
}

}  // namespace lmx::cuda
