// SPDX-License-Identifier: MIT
// The attention tile kernel shared by the CPU scaled_dot_product_attention: one tile is
// every query head of one kv head times a block of queries, over a range of keys.
#pragma once

#include <cstdint>

#include "lmx/core/dtype.h"

namespace lmx::cpu {

// Pointers and element strides of one attention call; q (B, Hq, Lq, Dk), k (B, Hkv, Lk,
// Dk), v (B, Hkv, Lk, Dv) with unit stride on the last axis; out contiguous
// (B, Hq, Lq, Dv); mask (B, Hq, Lq, Lk) with any strides, bool or float32.
template <typename T>
struct AttentionProblem {
  int64_t B = 0, Hq = 0, Hkv = 0, Lq = 0, Lk = 0, Dk = 0, Dv = 0, rep = 1;
  const T* q = nullptr;
  const T* k = nullptr;
  const T* v = nullptr;
  T* out = nullptr;
  int64_t sq[3] = {}, sk[3] = {}, sv[3] = {};
  const void* mask = nullptr;
  bool mask_bool = false;
  int64_t sm[4] = {};
  const float* sinks = nullptr;  // (Hq,)
  float scale = 1.0f, softcap = 0.0f;
  bool causal = false;
  int window = 0;
};

// Queries [q0, q1) of batch b and kv head g, keys [k0, k1); `sinks`: this part includes
// the sink logits (exactly one key split does).
struct AttentionTile {
  int64_t b = 0, g = 0, q0 = 0, q1 = 0, k0 = 0, k1 = 0;
  bool sinks = true;
};

// Runs one tile. Rows r = head_in_group * (q1 - q0) + (query - q0); writes per row the
// running max m[r], denominator l[r] and unnormalized output acc[r * Dv ...]. Every row
// whose causal/window range is empty must not exist (the op falls back instead).
template <typename T>
void attention_tile(const AttentionProblem<T>& P, const AttentionTile& t, float* m, float* l,
                    float* acc);

// The same with AVX-512 intrinsics (fast_attention_avx512.cpp); only where has_avx512().
template <typename T>
void attention_tile_avx512(const AttentionProblem<T>& P, const AttentionTile& t, float* m, float* l,
                           float* acc);
// Whether this CPU has AVX-512 (F, BW, VL, DQ) and it is enabled.
bool has_avx512();
// Switch for tests and comparisons: false makes every call take the portable kernel.
bool& avx512_enabled();

extern template void attention_tile<float>(const AttentionProblem<float>&, const AttentionTile&,
                                           float*, float*, float*);
extern template void attention_tile<bfloat16>(const AttentionProblem<bfloat16>&,
                                              const AttentionTile&, float*, float*, float*);
extern template void attention_tile<float16>(const AttentionProblem<float16>&, const AttentionTile&,
                                             float*, float*, float*);

}  // namespace lmx::cpu
