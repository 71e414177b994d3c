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

// Prefill: a block takes kTileQ query rows of one head (8 per warp) and walks the keys in
// tiles of 32 staged in shared memory (float32, rows padded by one against bank conflicts),
// so each K/V row is read from memory once per kTileQ queries instead of once per query.
// Lane j scores key j of the tile for all 8 of its warp's rows at once (8 independent
// chains, each K value loaded once for them); the online softmax runs per row with warp
// shuffles; lane j then owns output features j, j + 32, ... Head dims 64 and 128 (Dk = Dv,
// the loops unrolled); explicit masks and other dims take the row kernel.
constexpr int kTileQ = 32, kTileK = 32;
constexpr int kRowsPerWarp = kTileQ / (kThreads / 32);

template <typename T, int D>
__global__ void __launch_bounds__(kThreads) attention_tiled_kernel(AttentionArgs a) {
  extern __shared__ float smem[];
  constexpr int ld = D + 1;      // padded row stride
  constexpr int C = D / 32;      // output features per lane
  float* qs = smem;              // (kTileQ, D) scaled queries, dense (broadcast reads)
  float* ks = qs + kTileQ * D;   // (kTileK, ld)
  float* vs = ks + kTileK * ld;  // (kTileK, ld)
  const int64_t tiles_q = (a.Lq + kTileQ - 1) / kTileQ;
  const int64_t qt = blockIdx.x % tiles_q, h = (blockIdx.x / tiles_q) % a.Hq;
  const int64_t b = blockIdx.x / (tiles_q * a.Hq), g = h / (a.Hq / a.Hkv);
  const int64_t q0 = qt * kTileQ;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const T* qb = static_cast<const T*>(a.q) + b * a.sq[0] + h * a.sq[1];
  const T* kb = static_cast<const T*>(a.k) + b * a.sk[0] + g * a.sk[1];
  const T* vb = static_cast<const T*>(a.v) + b * a.sv[0] + g * a.sv[1];
  for (int i = threadIdx.x; i < kTileQ * D; i += kThreads) {
    const int r = i / D, d = i % D;
    qs[i] = q0 + r < a.Lq ? to_float(qb[(q0 + r) * a.sq[2] + d]) * a.scale : 0.0f;
  }
  // Keys any row of the tile may see.
  const int64_t shift = a.Lk - a.Lq;  // query i sits at key position i + shift
  const int64_t last_q = (q0 + kTileQ < a.Lq ? q0 + kTileQ : a.Lq) - 1;
  int64_t hi = a.causal ? last_q + shift + 1 : a.Lk;
  if (hi > a.Lk) hi = a.Lk;
  int64_t lo = 0;
  if (a.window > 0 && q0 + shift - a.window + 1 > 0)
    lo = (q0 + shift - a.window + 1) / kTileK * kTileK;
  float m[kRowsPerWarp], l[kRowsPerWarp], acc[kRowsPerWarp][C];
  const float sink = a.sinks ? a.sinks[h] : -INFINITY;
#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r) {
    m[r] = sink;
    l[r] = a.sinks ? 1.0f : 0.0f;
#pragma unroll
    for (int c = 0; c < C; ++c) acc[r][c] = 0.0f;
  }
  const float* qw = qs + warp * kRowsPerWarp * D;  // this warp's rows
  for (int64_t j0 = lo; j0 < hi; j0 += kTileK) {
    __syncthreads();  // the previous tile is no longer read
    for (int i = threadIdx.x; i < kTileK * D; i += kThreads) {
      const int r = i / D, d = i % D;
      const bool in = j0 + r < a.Lk;
      ks[r * ld + d] = in ? to_float(kb[(j0 + r) * a.sk[2] + d]) : 0.0f;
      vs[r * ld + d] = in ? to_float(vb[(j0 + r) * a.sv[2] + d]) : 0.0f;
    }
    __syncthreads();
    const int64_t j = j0 + lane;  // this lane's key
    float sc[kRowsPerWarp];
#pragma unroll
    for (int r = 0; r < kRowsPerWarp; ++r) sc[r] = 0.0f;
    const float* krow = ks + lane * ld;
#pragma unroll 8
    for (int d = 0; d < D; d += 4) {
      const float k0 = krow[d], k1 = krow[d + 1], k2 = krow[d + 2], k3 = krow[d + 3];
#pragma unroll
      for (int r = 0; r < kRowsPerWarp; ++r) {
        const float4 q4 = *reinterpret_cast<const float4*>(qw + r * D + d);
        sc[r] += q4.x * k0 + q4.y * k1 + q4.z * k2 + q4.w * k3;
      }
    }
    float p[kRowsPerWarp];
#pragma unroll
    for (int r = 0; r < kRowsPerWarp; ++r) {
      const int64_t qi = q0 + warp * kRowsPerWarp + r, pos = qi + shift;
      const bool visible =
          qi < a.Lq && j < a.Lk && (!a.causal || j <= pos) && (a.window <= 0 || j > pos - a.window);
      float s_ = -INFINITY;
      if (visible) s_ = a.softcap > 0.0f ? a.softcap * tanhf(sc[r] / a.softcap) : sc[r];
      float tmax = s_;
      for (int o = 16; o > 0; o /= 2) tmax = fmaxf(tmax, __shfl_xor_sync(0xffffffffu, tmax, o));
      const float mnew = fmaxf(m[r], tmax);
      // Nothing visible yet for this row: weights 0, state unchanged.
      const float pr = (visible && mnew != -INFINITY) ? expf(s_ - mnew) : 0.0f;
      float psum = pr;
      for (int o = 16; o > 0; o /= 2) psum += __shfl_xor_sync(0xffffffffu, psum, o);
      const float alpha = mnew == -INFINITY ? 1.0f : expf(m[r] - mnew);
      l[r] = l[r] * alpha + psum;
      m[r] = mnew;
#pragma unroll
      for (int c = 0; c < C; ++c) acc[r][c] *= alpha;
      p[r] = pr;
    }
#pragma unroll 4
    for (int jj = 0; jj < kTileK; ++jj) {
      const float* vrow = vs + jj * ld;
      float v[C];
#pragma unroll
      for (int c = 0; c < C; ++c) v[c] = vrow[lane + 32 * c];
#pragma unroll
      for (int r = 0; r < kRowsPerWarp; ++r) {
        const float pj = __shfl_sync(0xffffffffu, p[r], jj);
#pragma unroll
        for (int c = 0; c < C; ++c) acc[r][c] += pj * v[c];
      }
    }
  }
#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r) {
    const int64_t qi = q0 + warp * kRowsPerWarp + r;
    if (qi >= a.Lq) break;
    const float inv = (m[r] == -INFINITY || l[r] <= 0.0f) ? 0.0f : 1.0f / l[r];
    T* o = static_cast<T*>(a.out) + ((b * a.Hq + h) * a.Lq + qi) * D;
#pragma unroll
    for (int c = 0; c < C; ++c)
      o[lane + 32 * c] = from_float<T>(m[r] == -INFINITY ? 0.0f : acc[r][c] * inv);
  }
}

template <typename T, int D>
void launch_tiled(const AttentionArgs& a, cudaStream_t stream) {
  const int64_t tiles = a.B * a.Hq * ((a.Lq + kTileQ - 1) / kTileQ);
  const size_t bytes = size_t(kTileQ * D + 2 * kTileK * (D + 1)) * sizeof(float);
  // D = 128 needs 48.3 KiB: above the default 48 KiB of dynamic shared memory.
  static const cudaError_t raised = cudaFuncSetAttribute(
      attention_tiled_kernel<T, D>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(bytes));
  (void)raised;  // a failure shows as a launch error, checked by the caller
  attention_tiled_kernel<T, D><<<unsigned(tiles), kThreads, bytes, stream>>>(a);
}

}  // namespace

void launch_attention(Dtype dt, const AttentionArgs& a, cudaStream_t stream) {
  int64_t rows = a.B * a.Hq * a.Lq;
  if (rows == 0) return;
  size_t smem = size_t(a.Dk + kThreads) * sizeof(float);
  dispatch_float_dtype(dt, [&](auto t) {
    using T = decltype(t);
    const bool tiled =
        a.Lq >= 16 && !a.mask && a.splits == 1 && a.Dk == a.Dv && (a.Dk == 64 || a.Dk == 128);
    if (tiled && a.Dk == 64) {
      launch_tiled<T, 64>(a, stream);
    } else if (tiled) {
      launch_tiled<T, 128>(a, stream);
    } else if (a.splits > 1) {
      attention_kernel<T><<<dim3(unsigned(rows), unsigned(a.splits)), kThreads, smem, stream>>>(a);
      attention_merge_kernel<T><<<unsigned(rows), kThreads, 0, stream>>>(a);
    } else {
      attention_kernel<T><<<unsigned(rows), kThreads, smem, stream>>>(a);
    }
  });
}

}  // namespace lmx::cuda
