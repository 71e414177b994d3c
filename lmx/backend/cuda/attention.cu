// SPDX-License-Identifier: MIT
// scaled_dot_product_attention, the straightforward version: one block per query row
// (b, h, q). The block walks the row's visible keys in chunks of kThreads (one score per
// thread), keeps the online-softmax max and denominator, and accumulates the float32
// output with threads spread over the value features. GQA, causal aligned to the end of
// the keys, sliding windows, softcapping, sinks and explicit bool/additive masks.
// With few rows (decode) the keys are also split over blocks (flash-decoding) and the
// partial results merged by a second kernel.
#include <cfloat>
#include <cmath>

#include "lmx/backend/cuda/device_types.cuh"
#include "lmx/backend/cuda/kernels.h"

namespace lmx::cuda {

namespace {

constexpr int kThreads = 128;
constexpr int kAccPerThread = int(kMaxHeadDim / kThreads);
// A masked score: the lowest float, as the composite reference uses, so a row whose
// every key is masked averages like the composite does.
constexpr float kMaskedScore = -FLT_MAX;

__device__ float block_reduce(float v, float* scratch, bool is_max) {
  for (int o = 16; o > 0; o /= 2) {
    float w = __shfl_xor_sync(0xffffffffu, v, o);
    v = is_max ? fmaxf(v, w) : v + w;
  }
  if (threadIdx.x % 32 == 0) scratch[threadIdx.x / 32] = v;
  __syncthreads();
  float r = is_max ? -INFINITY : 0.0f;
  for (int w = 0; w < kThreads / 32; ++w) r = is_max ? fmaxf(r, scratch[w]) : r + scratch[w];
  __syncthreads();
  return r;
}

template <typename T>
__global__ void __launch_bounds__(kThreads) attention_kernel(AttentionArgs a) {
  extern __shared__ float smem[];
  float* qs = smem;         // (Dk) scaled query
  float* ps = smem + a.Dk;  // (kThreads) weights of the chunk
  __shared__ float scratch[kThreads / 32];
  const int64_t row = blockIdx.x;
  const int64_t qi = row % a.Lq, h = (row / a.Lq) % a.Hq, b = row / (a.Lq * a.Hq);
  const int64_t g = h / (a.Hq / a.Hkv);
  const T* q = static_cast<const T*>(a.q) + b * a.sq[0] + h * a.sq[1] + qi * a.sq[2];
  for (int64_t d = threadIdx.x; d < a.Dk; d += kThreads) qs[d] = to_float(q[d]) * a.scale;
  __syncthreads();
  const T* kb = static_cast<const T*>(a.k) + b * a.sk[0] + g * a.sk[1];
  const T* vb = static_cast<const T*>(a.v) + b * a.sv[0] + g * a.sv[1];
  const int64_t pos = qi + a.Lk - a.Lq;
  int64_t lo = 0, hi = a.Lk;
  if (a.window > 0 && pos - a.window + 1 > 0) lo = pos - a.window + 1;
  if (a.causal && pos + 1 < hi) hi = pos + 1;
  const int64_t split = blockIdx.y;
  if (a.splits > 1) {  // this block's share of the keys
    const int64_t s0 = split * a.split_len, s1 = s0 + a.split_len;
    if (s0 > lo) lo = s0;
    if (s1 < hi) hi = s1;
  }
  // The sink (one extra logit, no value) counts once: in split 0.
  const bool sink = a.sinks && split == 0;
  float m = sink ? a.sinks[h] : -INFINITY;
  float l = sink ? 1.0f : 0.0f;
  float acc[kAccPerThread];
#pragma unroll
  for (int r = 0; r < kAccPerThread; ++r) acc[r] = 0.0f;
  for (int64_t j0 = lo; j0 < hi; j0 += kThreads) {
    const int64_t j = j0 + threadIdx.x;
    const bool valid = j < hi;
    float s = -INFINITY;
    if (valid) {
      const T* kr = kb + j * a.sk[2];
      float dot = 0.0f;
      for (int64_t d = 0; d < a.Dk; ++d) dot += qs[d] * to_float(kr[d]);
      s = dot;
      if (a.softcap > 0.0f) s = a.softcap * tanhf(s / a.softcap);
      if (a.mask) {
        int64_t mo = b * a.sm[0] + h * a.sm[1] + qi * a.sm[2] + j * a.sm[3];
        if (a.mask_bool) {
          if (!static_cast<const bool*>(a.mask)[mo]) s = kMaskedScore;
        } else {
          s += static_cast<const float*>(a.mask)[mo];
        }
      }
    }
    float mnew = fmaxf(m, block_reduce(s, scratch, true));
    if (mnew == -INFINITY) continue;  // every score so far is -inf: no weight yet
    float p = valid ? expf(s - mnew) : 0.0f;
    float alpha = expf(m - mnew);
    l = l * alpha + block_reduce(p, scratch, false);
    m = mnew;
    ps[threadIdx.x] = p;
    __syncthreads();
    const int64_t nb = hi - j0 < kThreads ? hi - j0 : int64_t(kThreads);
#pragma unroll
    for (int r = 0; r < kAccPerThread; ++r) {
      int64_t d = threadIdx.x + r * kThreads;
      if (d < a.Dv) {
        float sum = 0.0f;
        const T* vr = vb + j0 * a.sv[2] + d;
        for (int64_t jj = 0; jj < nb; ++jj) sum += ps[jj] * to_float(vr[jj * a.sv[2]]);
        acc[r] = acc[r] * alpha + sum;
      }
    }
    __syncthreads();
  }
  if (a.splits > 1) {
    float* part = a.partial + (row * a.splits + split) * (a.Dv + 2);
    if (threadIdx.x == 0) {
      part[0] = m;
      part[1] = l;
    }
#pragma unroll
    for (int r = 0; r < kAccPerThread; ++r) {
      int64_t d = threadIdx.x + r * kThreads;
      if (d < a.Dv) part[2 + d] = acc[r];
    }
    return;
  }
  T* o = static_cast<T*>(a.out) + row * a.Dv;
  float inv = (m == -INFINITY || l <= 0.0f) ? 0.0f : 1.0f / l;
#pragma unroll
  for (int r = 0; r < kAccPerThread; ++r) {
    int64_t d = threadIdx.x + r * kThreads;
    if (d < a.Dv) o[d] = from_float<T>(m == -INFINITY ? 0.0f : acc[r] * inv);
  }
}

// Merges the splits of one row: out = sum_s acc_s e^(m_s - M) / sum_s l_s e^(m_s - M).
template <typename T>
__global__ void __launch_bounds__(kThreads) attention_merge_kernel(AttentionArgs a) {
  const int64_t row = blockIdx.x;
  const float* part = a.partial + row * a.splits * (a.Dv + 2);
  float M = -INFINITY;
  for (int s = 0; s < a.splits; ++s) M = fmaxf(M, part[s * (a.Dv + 2)]);
  float L = 0.0f;
  for (int s = 0; s < a.splits; ++s) {
    float ms = part[s * (a.Dv + 2)];
    if (ms != -INFINITY) L += part[s * (a.Dv + 2) + 1] * expf(ms - M);
  }
  const float inv = (M == -INFINITY || L <= 0.0f) ? 0.0f : 1.0f / L;
  T* o = static_cast<T*>(a.out) + row * a.Dv;
  for (int64_t d = threadIdx.x; d < a.Dv; d += kThreads) {
    float sum = 0.0f;
    for (int s = 0; s < a.splits; ++s) {
      float ms = part[s * (a.Dv + 2)];
      if (ms != -INFINITY) sum += part[s * (a.Dv + 2) + 2 + d] * expf(ms - M);
    }
    o[d] = from_float<T>(sum * inv);
  }
}

}  // namespace

void launch_attention(Dtype dt, const AttentionArgs& a, cudaStream_t stream) {
  int64_t rows = a.B * a.Hq * a.Lq;
  if (rows == 0) return;
  size_t smem = size_t(a.Dk + kThreads) * sizeof(float);
  dispatch_float_dtype(dt, [&](auto t) {
    using T = decltype(t);
    if (a.splits > 1) {
      attention_kernel<T><<<dim3(unsigned(rows), unsigned(a.splits)), kThreads, smem, stream>>>(a);
      attention_merge_kernel<T><<<unsigned(rows), kThreads, 0, stream>>>(a);
    } else {
      attention_kernel<T><<<unsigned(rows), kThreads, smem, stream>>>(a);
    }
  });
}

}  // namespace lmx::cuda
