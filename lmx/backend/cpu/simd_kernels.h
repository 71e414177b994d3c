// SPDX-License-Identifier: MIT
// Hot contiguous loops of the generic kernels, compiled for AVX-512, AVX2+FMA and the
// baseline and picked at run time (GCC target_clones). n elements, unit stride; the
// bf16 variants compute in float32 and round to nearest even.
#pragma once

#include <cstdint>

#include "lmx/core/dtype.h"

namespace lmx::cpu::simd {

enum class BinOp : uint8_t { add, subtract, multiply };

void binary_f32(BinOp op, const float* a, const float* b, float* out, int64_t n);
void binary_bf16(BinOp op, const bfloat16* a, const bfloat16* b, bfloat16* out, int64_t n);
// out = exp(x) / sigmoid(x), about 2 ulp (a polynomial, not libm).
void exp_f32(const float* x, float* out, int64_t n);
void sigmoid_f32(const float* x, float* out, int64_t n);
void exp_bf16(const bfloat16* x, bfloat16* out, int64_t n);
void sigmoid_bf16(const bfloat16* x, bfloat16* out, int64_t n);
// Row reductions (float32 accumulation in many lanes, so the order differs from a plain
// left-to-right sum). max is NaN-sticky.
float sum_f32(const float* x, int64_t n);
float sum_bf16(const bfloat16* x, int64_t n);
float max_f32(const float* x, int64_t n);
// out[i] = exp(x[i] - shift); returns the sum of out.
float exp_shift_sum_f32(const float* x, float shift, float* out, int64_t n);

}  // namespace lmx::cpu::simd
