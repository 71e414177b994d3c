// SPDX-License-Identifier: MIT
// Affine quantize and dequantize, bit-exact with MLX: per group, the edge of larger
// magnitude becomes the bias (code 0) and the scale is adjusted so that zero is on the grid.
#include <algorithm>
#include <cmath>
#include <limits>

#include "lmx/backend/cpu/quantized.h"
#include "lmx/backend/cpu/threading.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives_quantized.h"

namespace lmx {

namespace {

using cpu::quant::dispatch_bits;

template <typename T, int BITS>
void quantize_groups(const T* w, uint8_t* out, T* scales, T* biases, int64_t g0, int64_t g1,
                     int gs) {
  constexpr float n_bins = float((1 << BITS) - 1);
  constexpr float eps = 1e-7f;
  for (int64_t g = g0; g < g1; ++g) {
    const T* wg = w + g * gs;
    float w_min = std::numeric_limits<float>::infinity(), w_max = -w_min;
    for (int j = 0; j < gs; ++j) {
      float v = float(wg[j]);
      w_max = std::max(w_max, v);
      w_min = std::min(w_min, v);
    }
    // The edge of larger magnitude is stored exactly (as the bias); the scale is
    // nudged so that some code lands on zero.
    bool min_edge = std::abs(w_min) > std::abs(w_max);
    float scale = std::max((w_max - w_min) / n_bins, eps);
    scale = min_edge ? scale : -scale;
    float edge = min_edge ? w_min : w_max;
    float q0 = std::rint(edge / scale);
    float bias = 0.0f;
    if (q0 != 0.0f) {
      scale = edge / q0;
      bias = edge;
    }
    uint8_t* og = out + g * gs * BITS / 8;
    for (int c = 0; c < gs; c += 8) {
      uint64_t packed = 0;
      for (int k = 0; k < 8; ++k) {
        float q = std::rint((float(wg[c + k]) - bias) / scale);
        q = q > 0.0f ? std::min(q, n_bins) : 0.0f;  // NaN -> 0
        packed |= uint64_t(q) << (k * BITS);
      }
      std::memcpy(og + c * BITS / 8, &packed, BITS);  // little-endian: low codes first
    }
    scales[g] = T(scale);
    biases[g] = T(bias);
  }
}

template <typename T, int BITS>
void dequantize_rows(const uint8_t* w, const T* scales, const T* biases, T* out, int64_t r0,
                     int64_t r1, int64_t cols, int gs) {
  int64_t groups = cols / gs, rb = cols * BITS / 8;
  uint8_t codes[128];
  for (int64_t r = r0; r < r1; ++r) {
    for (int64_t g = 0; g < groups; ++g) {
      cpu::quant::unpack_codes<BITS>(w + r * rb, g * gs, gs, codes);
      float s = float(scales[r * groups + g]), b = float(biases[r * groups + g]);
      T* o = out + r * cols + g * gs;
      for (int j = 0; j < gs; ++j) o[j] = T(float(codes[j]) * s + b);
    }
  }
}

}  // namespace

namespace cpu::quant {

void dequantize_rows_f32(const uint8_t* w, const void* scales, const void* biases, Dtype dtype,
                         int64_t r0, int64_t r1, int64_t cols, int gs, int bits, float* out) {
  dispatch_bits(bits, [&](auto b) {
    constexpr int BITS = decltype(b)::value;
    int64_t groups = cols / gs, rb = cols * BITS / 8;
    alignas(64) uint8_t codes[128];
    for (int64_t r = r0; r < r1; ++r) {
      float* o = out + (r - r0) * cols;
      for (int64_t g = 0; g < groups; ++g, o += gs) {
        unpack_codes<BITS>(w + r * rb, g * gs, gs, codes);
        float s = load_float(scales, r * groups + g, dtype);
        float bb = load_float(biases, r * groups + g, dtype);
        for (int j = 0; j < gs; ++j) o[j] = float(codes[j]) * s + bb;
      }
    }
  });
}

}  // namespace cpu::quant

void AffineQuantize::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array w = contiguous(inputs[0]);
  for (auto& o : outputs) o.allocate();
  int gs = p_.group_size;
  int64_t groups = w.size() / gs;
  auto* out = outputs[0].data<uint8_t>();
  dispatch_dtype(w.dtype(), [&](auto t) {
    using T = decltype(t);
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, bfloat16> ||
                  std::is_same_v<T, float16>) {
      dispatch_bits(p_.bits, [&](auto b) {
        cpu::parallel_for(groups, gs * 4, [&](int64_t g0, int64_t g1) {
          quantize_groups<T, decltype(b)::value>(w.data<T>(), out, outputs[1].data<T>(),
                                                 outputs[2].data<T>(), g0, g1, gs);
        });
      });
    }
  });
}

void Dequantize::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array wq = contiguous(inputs[0]), s = contiguous(inputs[1]), b = contiguous(inputs[2]);
  Array& out = outputs[0];
  out.allocate();
  int64_t cols = out.shape(-1), rows = cols ? out.size() / cols : 0;
  const auto* w = wq.data<uint8_t>();
  dispatch_dtype(out.dtype(), [&](auto t) {
    using T = decltype(t);
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, bfloat16> ||
                  std::is_same_v<T, float16>) {
      dispatch_bits(p_.bits, [&](auto bt) {
        cpu::parallel_for(rows, cols, [&](int64_t r0, int64_t r1) {
          dequantize_rows<T, decltype(bt)::value>(w, s.data<T>(), b.data<T>(), out.data<T>(), r0,
                                                  r1, cols, p_.group_size);
        });
      });
    }
  });
}

}  // namespace lmx
