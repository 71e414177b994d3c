// SPDX-License-Identifier: MIT
// Internal interface of the CPU quantization kernels (quantized_*.cpp). The packed layout
// is a little-endian bit stream of `bits`-bit codes (see lmx/core/quantized.h), so code i of
// a row sits at bit i * bits of the row's bytes, for every bit width.
#pragma once

#include <cstdint>
#include <cstring>

#include "lmx/core/dtype.h"

namespace lmx::cpu::quant {

// One product y (M, N) = x (M, K) @ W^T (transpose) or x @ W, all row-major and dense.
// W is packed: transpose: N rows of K codes; else K rows of N codes. x, scales, biases and
// y share `dtype` (float32/bfloat16/float16); accumulation is float32.
struct QmmArgs {
  const void* x = nullptr;
  void* y = nullptr;
  const uint8_t* w = nullptr;
  const void* scales = nullptr;  // (rows, cols / group_size)
  const void* biases = nullptr;
  Dtype dtype = Dtype::float32;
  int64_t M = 0, N = 0, K = 0;
  int group_size = 64;
  int bits = 4;
  bool transpose = true;
};

// Runs the product, multi-threaded: a GEMV path for few rows of x; else, for bf16 x
// with AMX, panels of W dequantized to bf16 through AMX tiles (x rounded to bf16, float32
// accumulation); else dequantized float32 tiles through BLAS sgemm.
void qmm(const QmmArgs& a);
// For tests: with false, qmm uses only the portable kernels (no SIMD intrinsics).
void set_simd_enabled(bool on);

// Bytes of one packed row of `cols` codes.
inline int64_t row_bytes(int64_t cols, int bits) { return cols * bits / 8; }

// Loads a scale/bias of `dtype` as float.
inline float load_float(const void* p, int64_t i, Dtype dtype) {
  switch (dtype) {
    case Dtype::bfloat16:
      return float(static_cast<const bfloat16*>(p)[i]);
    case Dtype::float16:
      return float(static_cast<const float16*>(p)[i]);
    default:
      return static_cast<const float*>(p)[i];
  }
}

// Unpacks `count` (a multiple of 8) codes starting at code `first` of a packed row into
// bytes. Eight codes always fill exactly `BITS` bytes.
template <int BITS>
inline void unpack_codes(const uint8_t* row, int64_t first, int64_t count, uint8_t* codes) {
  const uint8_t* p = row + first * BITS / 8;
  constexpr uint64_t mask = (uint64_t(1) << BITS) - 1;
  for (int64_t c = 0; c < count; c += 8, p += BITS) {
    uint64_t v = 0;
    std::memcpy(&v, p, BITS);
    for (int k = 0; k < 8; ++k) codes[c + k] = uint8_t((v >> (k * BITS)) & mask);
  }
}

// Calls f(std::integral_constant<int, bits>) for a supported bit width.
template <typename F>
decltype(auto) dispatch_bits(int bits, F&& f) {
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

// Dequantizes rows [r0, r1) of a packed matrix with `cols` codes per row into float32
// out (r1 - r0, cols), each value float(q) * scale + bias in float32.
void dequantize_rows_f32(const uint8_t* w, const void* scales, const void* biases, Dtype dtype,
                         int64_t r0, int64_t r1, int64_t cols, int group_size, int bits,
                         float* out);

// The same into bf16 (rounded to nearest even), for the AMX prefill GEMM.
void dequantize_rows_bf16(const uint8_t* w, const void* scales, const void* biases, Dtype dtype,
                          int64_t r0, int64_t r1, int64_t cols, int group_size, int bits,
                          uint16_t* out);

// The AVX-512 VNNI GEMV (4/8 bits, bf16/fp16 x quantized to int8 in blocks of 32) if
// this CPU has it; false when it does not apply.
bool qmv_vnni(const QmmArgs& a);
// With false, x stays exact (as LMX_EXACT_GEMV=1 does): for tests comparing backends.
void set_int8_x_enabled(bool on);

// The AVX-512 GEMV (transpose, M small) if this CPU has AVX-512 (with BF16 for the
// 4-bit path); returns false when it does not apply, so the caller falls back.
bool qmv_avx512(const QmmArgs& a);

}  // namespace lmx::cpu::quant
