// SPDX-License-Identifier: MIT
// Matrix products with 16-bit float weights stored as Hugging Face does (W (N, K) row-major,
// used as x @ W.T), without widening the whole weight: a GEMV/small-M kernel that streams W
// once (AVX-512 when the CPU has it, portable otherwise), and a GEMM for prefill that widens
// blocks of W into a scratch and hands them to sgemm.
#pragma once

#include <cstdint>
#include <functional>

#include "lmx/core/dtype.h"

namespace lmx::cpu {

struct HalfMatmulArgs {
  const void* x = nullptr;  // (M, K), row stride ldx, dtype xdtype
  Dtype xdtype = Dtype::float32;
  int64_t ldx = 0;
  const uint16_t* w = nullptr;  // (N, K) bfloat16 or float16 bits, row stride ldw
  Dtype wdtype = Dtype::bfloat16;
  int64_t ldw = 0;
  void* y = nullptr;  // (M, N), row stride ldy, dtype ydtype
  Dtype ydtype = Dtype::float32;
  int64_t ldy = 0;
  int64_t M = 0, N = 0, K = 0;
};

// Rows of x up to which the streaming kernel is used (beyond: the blocked GEMM).
constexpr int64_t kHalfGemvMaxRows = 8;

// y = x @ W.T, accumulating in float32. Threads over N (and over blocks of W in the GEMM).
void half_matmul(const HalfMatmulArgs& a);

// Whether this CPU and kernel let us use AMX bf16 tiles (LMX_NO_AMX=1 turns them off).
bool amx_bf16_available();
// The AMX GEMM (bf16 W, K a multiple of 32); false when it does not apply. x is rounded to
// bf16 first; products accumulate in float32.
bool half_matmul_amx(const HalfMatmulArgs& a);

// Writes rows [n0, n0 + count) of a weight as bf16 into out (count x K, dense).
using FillRows = std::function<void(int64_t n0, int64_t count, uint16_t* out)>;
// The AMX GEMM for weights stored otherwise (quantized): `fill` supplies W's rows a panel
// at a time on the thread that multiplies them; a.w and a.wdtype are not used. False when
// AMX does not apply (no AMX, K not a multiple of 32).
bool amx_matmul_rows(const HalfMatmulArgs& a, const FillRows& fill);

}  // namespace lmx::cpu
