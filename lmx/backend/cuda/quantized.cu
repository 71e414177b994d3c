// SPDX-License-Identifier: MIT
// MLX affine quantized weights: a GEMV for decode (one warp per output feature, lanes over
// chunks of 8 codes, or of 32 with 16-byte loads for 4 and 8 bits; float32 accumulation) and
// dequantization for everything else (the caller multiplies the dequantized matrix with cuBLAS).
// Eight codes of any bit width fill exactly `bits` bytes of the little-endian packed row.
#include "lmx/backend/cuda/device_types.cuh"
#include "lmx/backend/cuda/kernels.h"

namespace lmx::cuda {

namespace {

constexpr int kWarps = 4;  // output features per block
constexpr int kRows = 8;   // rows of x per block

// The 8 codes of chunk c of a packed row (bits * 8 bits, low bits first).
template <int BITS>
__device__ __forceinline__ uint64_t load_chunk(const uint8_t* row, int64_t c) {
  const uint8_t* p = row + c * BITS;
  if constexpr (BITS == 8) {
    uint2 v = *reinterpret_cast<const uint2*>(p);
    return uint64_t(v.x) | (uint64_t(v.y) << 32);
  } else if constexpr (BITS == 4) {
    return *reinterpret_cast<const uint32_t*>(p);
  } else if constexpr (BITS == 2) {
    return *reinterpret_cast<const uint16_t*>(p);
  } else {
    uint64_t v = 0;
#pragma unroll
    for (int i = 0; i < BITS; ++i) v |= uint64_t(p[i]) << (8 * i);
    return v;
  }
}

// Codes c * CODES .. c * CODES + CODES - 1 of a packed row as floats. CODES 8: any width
// (eight codes fill BITS bytes); CODES 32: 4 and 8 bits with 16-byte loads.
template <int BITS, int CODES>
__device__ __forceinline__ void decode(const uint8_t* row, int64_t c, float* q) {
  if constexpr (CODES == 8) {
    constexpr uint64_t mask = (uint64_t(1) << BITS) - 1;
    const uint64_t codes = load_chunk<BITS>(row, c);
#pragma unroll
    for (int k = 0; k < 8; ++k) q[k] = float((codes >> (k * BITS)) & mask);
  } else if constexpr (BITS == 4) {
    const uint4 v = *reinterpret_cast<const uint4*>(row + c * 16);
    const uint32_t w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int k = 0; k < 8; ++k) q[i * 8 + k] = float((w[i] >> (4 * k)) & 15u);
  } else {
    static_assert(BITS == 8, "32 codes per step: 4 or 8 bits");
    const uint4* p = reinterpret_cast<const uint4*>(row + c * 32);
    const uint4 v0 = p[0], v1 = p[1];
    const uint32_t w[8] = {v0.x, v0.y, v0.z, v0.w, v1.x, v1.y, v1.z, v1.w};
#pragma unroll
    for (int i = 0; i < 8; ++i)
#pragma unroll
      for (int k = 0; k < 4; ++k) q[i * 4 + k] = float((w[i] >> (8 * k)) & 255u);
  }
}

// CODES values of x as floats: 16-byte loads for 32 (aligned), element loads for 8.
template <int CODES, typename T>
__device__ __forceinline__ void load_x(const T* x, float* out) {
  if constexpr (CODES == 32 && sizeof(T) == 2) {
    const uint4* p = reinterpret_cast<const uint4*>(x);
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      uint4 v = p[i];
      const T* h = reinterpret_cast<const T*>(&v);
#pragma unroll
      for (int k = 0; k < 8; ++k) out[i * 8 + k] = to_float(h[k]);
    }
  } else if constexpr (CODES == 32) {
    const float4* p = reinterpret_cast<const float4*>(x);
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      float4 v = p[i];
      out[4 * i] = to_float(v.x);
      out[4 * i + 1] = to_float(v.y);
      out[4 * i + 2] = to_float(v.z);
      out[4 * i + 3] = to_float(v.w);
    }
  } else {
#pragma unroll
    for (int k = 0; k < CODES; ++k) out[k] = to_float(x[k]);
  }
}

// One warp per output feature n and up to kRows rows of x; lanes take CODES codes (one
// group: group sizes are powers of two from 32) at a time. 32 codes a lane puts 512 or
// 1024 bytes of the row in flight per warp step instead of 128.
template <typename T, int BITS, int CODES>
__global__ void qmv_kernel(QmvArgs a, int gs_shift) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int64_t n = int64_t(blockIdx.x) * kWarps + warp;
  const int64_t m0 = int64_t(blockIdx.y) * kRows;
  const int64_t z = blockIdx.z;
  if (n >= a.N) return;
  const int64_t xi = a.lhs ? a.lhs[z] : z, wi = a.rhs ? a.rhs[z] : z;
  const int rows = a.M - m0 < kRows ? int(a.M - m0) : kRows;
  const int64_t G = a.K / a.group_size, chunks = a.K / CODES;
  const uint8_t* wr = a.w + wi * a.w_stride + n * (a.K * BITS / 8);
  const T* sc = static_cast<const T*>(a.scales) + wi * a.s_stride + n * G;
  const T* bi = static_cast<const T*>(a.biases) + wi * a.s_stride + n * G;
  const T* x = static_cast<const T*>(a.x) + xi * a.x_stride + m0 * a.K;
  T* y = static_cast<T*>(a.y) + z * a.M * a.N;
  float acc[kRows];
#pragma unroll
  for (int r = 0; r < kRows; ++r) acc[r] = 0.0f;
  for (int64_t c = lane; c < chunks; c += 32) {
    float q[CODES];
    decode<BITS, CODES>(wr, c, q);
    const int64_t g = (c * CODES) >> gs_shift;
    const float s = to_float(sc[g]), b = to_float(bi[g]);
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      if (r < rows) {
        float xv[CODES];
        load_x<CODES>(x + r * a.K + c * CODES, xv);
        float dot = 0.0f, xs = 0.0f;
#pragma unroll
        for (int k = 0; k < CODES; ++k) {
          dot += q[k] * xv[k];
          xs += xv[k];
        }
        acc[r] += s * dot + b * xs;
      }
    }
  }
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
    float v = acc[r];
    for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
    if (lane == 0 && r < rows) y[(m0 + r) * a.N + n] = from_float<T>(v);
  }
}

template <typename T, int BITS>
__global__ void dequantize_kernel(const uint8_t* w, const T* scales, const T* biases, T* out,
                                  int64_t rows, int64_t cols, int group_size) {
  const int64_t chunks = cols / 8, total = rows * chunks, G = cols / group_size;
  constexpr uint64_t mask = (uint64_t(1) << BITS) - 1;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < total;
       t += int64_t(gridDim.x) * blockDim.x) {
    int64_t r = t / chunks, c = t % chunks;
    uint64_t codes = load_chunk<BITS>(w + r * (cols * BITS / 8), c);
    int64_t g = c * 8 / group_size;
    float s = to_float(scales[r * G + g]), b = to_float(biases[r * G + g]);
    T* o = out + r * cols + c * 8;
#pragma unroll
    for (int k = 0; k < 8; ++k) o[k] = from_float<T>(float((codes >> (k * BITS)) & mask) * s + b);
  }
}

// One thread per group, the same float32 steps as the CPU kernel so results are equal.
template <typename T, int BITS>
__global__ void quantize_kernel(const T* w, uint8_t* out, T* scales, T* biases, int64_t groups,
                                int gs) {
  constexpr float n_bins = float((1 << BITS) - 1);
  constexpr float eps = 1e-7f;
  for (int64_t g = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; g < groups;
       g += int64_t(gridDim.x) * blockDim.x) {
    const T* wg = w + g * gs;
    float w_min = INFINITY, w_max = -INFINITY;
    for (int j = 0; j < gs; ++j) {
      float v = to_float(wg[j]);
      w_max = fmaxf(w_max, v);
      w_min = fminf(w_min, v);
    }
    bool min_edge = fabsf(w_min) > fabsf(w_max);
    float scale = fmaxf(__fdiv_rn(w_max - w_min, n_bins), eps);
    scale = min_edge ? scale : -scale;
    float edge = min_edge ? w_min : w_max;
    float q0 = rintf(__fdiv_rn(edge, scale));
    float bias = 0.0f;
    if (q0 != 0.0f) {
      scale = __fdiv_rn(edge, q0);
      bias = edge;
    }
    uint8_t* og = out + g * gs * BITS / 8;
    for (int c = 0; c < gs; c += 8) {
      uint64_t packed = 0;
      for (int k = 0; k < 8; ++k) {
        float q = rintf(__fdiv_rn(__fsub_rn(to_float(wg[c + k]), bias), scale));
        q = q > 0.0f ? fminf(q, n_bins) : 0.0f;  // NaN -> 0
        packed |= uint64_t(q) << (k * BITS);
      }
      for (int i = 0; i < BITS; ++i) og[c * BITS / 8 + i] = uint8_t(packed >> (8 * i));
    }
    scales[g] = from_float<T>(scale);
    biases[g] = from_float<T>(bias);
  }
}

template <typename F>
void dispatch_bits(int bits, F&& f) {
  switch (bits) {
    case 2:
      return f(std::integral_constant<int, 2>{});
    case 3:
      return f(std::integral_constant<int, 3>{});
    case 4:
      return f(std::integral_constant<int, 4>{});
    case 5:
      return f(std::integral_constant<int, 5>{});
    case 6:
      return f(std::integral_constant<int, 6>{});
    default:
      return f(std::integral_constant<int, 8>{});
  }
}

}  // namespace

void launch_qmv(Dtype dt, const QmvArgs& a, cudaStream_t stream) {
  if (a.M == 0 || a.N == 0 || a.products == 0) return;
  dim3 grid(unsigned((a.N + kWarps - 1) / kWarps), unsigned((a.M + kRows - 1) / kRows),
            unsigned(a.products));
  dispatch_float_dtype(dt, [&](auto t) {
    using T = decltype(t);
    // 32 codes a lane need 16-byte aligned rows and x (K a multiple of 32 with aligned
    // base pointers, as allocations are).
    const bool aligned = (reinterpret_cast<uintptr_t>(a.w) % 16 == 0) &&
                         (reinterpret_cast<uintptr_t>(a.x) % 16 == 0) && a.K % 32 == 0 &&
                         (a.w_stride % 16 == 0) && (a.x_stride * int64_t(sizeof(T))) % 16 == 0;
    const int gs_shift = __builtin_ctz(unsigned(a.group_size));
    if (aligned && a.bits == 4) {
      qmv_kernel<T, 4, 32><<<grid, kWarps * 32, 0, stream>>>(a, gs_shift);
    } else if (aligned && a.bits == 8) {
      qmv_kernel<T, 8, 32><<<grid, kWarps * 32, 0, stream>>>(a, gs_shift);
    } else {
      dispatch_bits(a.bits, [&](auto b) {
        qmv_kernel<T, decltype(b)::value, 8><<<grid, kWarps * 32, 0, stream>>>(a, gs_shift);
      });
    }
  });
}

void launch_quantize(Dtype dt, const void* w, uint8_t* out, void* scales, void* biases,
                     int64_t groups, int group_size, int bits, cudaStream_t stream) {
  if (groups == 0) return;
  dispatch_float_dtype(dt, [&](auto t) {
    using T = decltype(t);
    dispatch_bits(bits, [&](auto b) {
      quantize_kernel<T, decltype(b)::value><<<grid_for(groups, 128), 128, 0, stream>>>(
          static_cast<const T*>(w), out, static_cast<T*>(scales), static_cast<T*>(biases), groups,
          group_size);
    });
  });
}

void launch_dequantize(Dtype dt, const uint8_t* w, const void* scales, const void* biases,
                       void* out, int64_t rows, int64_t cols, int group_size, int bits,
                       cudaStream_t stream) {
  int64_t total = rows * (cols / 8);
  if (total == 0) return;
  dispatch_float_dtype(dt, [&](auto t) {
    using T = decltype(t);
    dispatch_bits(bits, [&](auto b) {
      dequantize_kernel<T, decltype(b)::value><<<grid_for(total, 256), 256, 0, stream>>>(
          w, static_cast<const T*>(scales), static_cast<const T*>(biases), static_cast<T*>(out),
          rows, cols, group_size);
    });
  });
}

}  // namespace lmx::cuda
