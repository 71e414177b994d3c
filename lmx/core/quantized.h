// SPDX-License-Identifier: MIT
// Quantized weights in MLX's exact format, and the matrix products that read them.
//
// Affine mode: a (..., K) float matrix becomes, per group of `group_size` consecutive
// values along the last axis, `bits`-bit codes q with w ~= scale * q + bias. Codes are a
// little-endian bit stream, low bits first (32/bits per uint32 word for 2, 4 and 8 bits;
// 8 codes per 3 bytes for 3 bits, 4 per 3 bytes for 6 bits, 8 per 5 bytes for 5 bits),
// viewed as uint32. Bits 2, 3, 4, 5, 6, 8; group sizes 32, 64, 128.
#pragma once

#include <string_view>
#include <tuple>

#include "lmx/core/array.h"

namespace lmx {

// Quantization formats, named as in MLX. Only affine is implemented; the others are
// accepted by name so that callers and checkpoints can say what they hold.
enum class QuantizationMode : uint8_t { affine, mxfp4, nvfp4, mxfp8 };
// Parses "affine", "mxfp4", "nvfp4", "mxfp8"; throws ValueError naming `op` otherwise, and
// for modes that are not implemented yet.
QuantizationMode quantization_mode(std::string_view mode, const char* op);

// Quantizes w (..., K) (float32/bfloat16/float16, at least 2-D, K divisible by
// group_size) into (wq (..., K*bits/32) uint32, scales (..., K/group_size),
// biases (..., K/group_size)), scales and biases in w's dtype. Bit-exact with MLX.
std::tuple<Array, Array, Array> quantize(const Array& w, int group_size = 64, int bits = 4,
                                         std::string_view mode = "affine");

// The float matrix (..., K) that quantize's output stands for, in scales' dtype.
Array dequantize(const Array& wq, const Array& scales, const Array& biases, int group_size = 64,
                 int bits = 4, std::string_view mode = "affine");

// x (..., M, K) times the quantized matrix: with transpose (the Linear case) w is (N, K)
// packed and the result is x @ dequantize(w).T (..., M, N); without, w is (K, N) packed
// and the result is x @ dequantize(w). w may carry batch axes that broadcast with x's.
// Computes in float32 and returns promote(x, scales) dtype. Differentiable in x (and in
// scales and biases); the packed codes have no gradient.
Array quantized_matmul(const Array& x, const Array& wq, const Array& scales, const Array& biases,
                       bool transpose = true, int group_size = 64, int bits = 4,
                       std::string_view mode = "affine");

// Matrix products with matrix-level gathers (mixture of experts), as MLX's gather_mm:
// a (..., M, K), b (..., K, N); lhs_indices/rhs_indices hold flat indices into the batch
// axes of a and b (a null Array means arange over them, shaped like those axes); they
// broadcast to a shape I and the result is I + (M, N):
//   out[i] = a.reshape(-1, M, K)[lhs[i]] @ b.reshape(-1, K, N)[rhs[i]].
// Differentiable in a and b.
Array gather_mm(const Array& a, const Array& b, const Array& lhs_indices = {},
                const Array& rhs_indices = {});

// gather_mm with a quantized b: w (E..., N, K) packed when transpose (the SwitchLinear
// case), scales and biases (E..., N, K/group_size); result I + (M, N) where
//   out[i] = x.reshape(-1, M, K)[lhs[i]] @ dequantize(w).reshape(-1, N, K)[rhs[i]].T.
// Differentiable in x.
Array gather_qmm(const Array& x, const Array& wq, const Array& scales, const Array& biases,
                 const Array& lhs_indices = {}, const Array& rhs_indices = {},
                 bool transpose = true, int group_size = 64, int bits = 4,
                 std::string_view mode = "affine");

}  // namespace lmx
