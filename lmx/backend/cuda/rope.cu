// SPDX-License-Identifier: MIT
// Rotary position embedding: one thread per rotated pair. Angles are computed as the CPU
// kernel computes them (float32: position times inverse frequency), so the two agree to
// the last bits of sin/cos.
#include <cmath>

#include "lmx/backend/cuda/device_types.cuh"
#include "lmx/backend/cuda/kernels.h"

namespace lmx::cuda {

namespace {

constexpr int kThreads = 256;

// x (B, N, L, D) strided on (B, N, L), y dense. Each thread handles pair i of one row, or
// copies one pass-through feature (dims <= d < D).
template <typename T>
__global__ void rope_kernel(const T* x, T* y, RopeArgs a) {
  int64_t half = a.dims / 2, extra = a.D - a.dims, per_row = half + extra;
  int64_t total = a.B * a.N * a.L * per_row;
  float k = a.freq_exponent;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < total;
       t += int64_t(gridDim.x) * blockDim.x) {
    int64_t i = t % per_row, row = t / per_row;
    int64_t l = row % a.L, n = (row / a.L) % a.N, b = row / (a.L * a.N);
    const T* xr = x + b * a.sx[0] + n * a.sx[1] + l * a.sx[2];
    T* yr = y + row * a.D;
    if (i >= half) {  // pass-through feature
      int64_t d = a.dims + (i - half);
      yr[d] = xr[d];
      continue;
    }
    float inv = a.freqs ? 1.0f / a.freqs[i] : expf(float(-i) * k);
    int32_t off = a.offsets[a.n_offsets > 1 ? b : 0];
    float pos = (float(l) + float(off)) * a.scale;
    float theta = pos * inv;
    float c = cosf(theta), s = sinf(theta);
    if (!a.forward) s = -s;
    int64_t i1 = a.traditional ? 2 * i : i, i2 = a.traditional ? 2 * i + 1 : i + half;
    float x1 = to_float(xr[i1]), x2 = to_float(xr[i2]);
    yr[i1] = from_float<T>(x1 * c - x2 * s);
    yr[i2] = from_float<T>(x1 * s + x2 * c);
  }
}

}  // namespace

void launch_rope(Dtype dt, const void* x, void* y, const RopeArgs& a, cudaStream_t stream) {
  int64_t total = a.B * a.N * a.L * (a.dims / 2 + a.D - a.dims);
  if (total == 0) return;
  dispatch_float_dtype(dt, [&](auto t) {
    using T = decltype(t);
    rope_kernel<T><<<grid_for(total, kThreads), kThreads, 0, stream>>>(static_cast<const T*>(x),
                                                                      static_cast<T*>(y), a);
  });
}

}  // namespace lmx::cuda
