// SPDX-License-Identifier: MIT
// Written as plain loops over independent lanes that GCC vectorizes for each clone.
#include "lmx/backend/cpu/simd_kernels.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <type_traits>

#define LMX_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

namespace lmx::cpu::simd {

namespace {

[[gnu::always_inline]] inline float bf16_load(bfloat16 v) {
  return std::bit_cast<float>(uint32_t(v.bits) << 16);
}

[[gnu::always_inline]] inline bfloat16 bf16_store(float f) {
  uint32_t u = std::bit_cast<uint32_t>(f);
  uint32_t r = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
  bool nan = (u & 0x7fffffffu) > 0x7f800000u;
  bfloat16 b;
  b.bits = uint16_t(nan ? ((u >> 16) | 0x40u) : r);
  return b;
}

// 16 floats as one GCC vector: exp's range checks are vector selects, which the
// auto-vectorizer would not produce from scalar code without -fno-trapping-math.
using vf = float __attribute__((vector_size(64)));
using vi = int32_t __attribute__((vector_size(64)));
using vu = uint32_t __attribute__((vector_size(64)));
using vh = uint16_t __attribute__((vector_size(32)));
constexpr int kVec = 16;

// Vectors go by reference: by value they would trip GCC's vector-ABI warnings in the
// baseline clone (everything here is inlined anyway).
// A splat is written vf{} + f.

// exp(x) = 2^n e^r with n = round(x / ln2), |r| <= ln2 / 2, e^r by a degree-7 Taylor
// polynomial (truncation < 1e-8 relative); 2^n is built in the exponent bits.
[[gnu::always_inline]] inline void exp_vec(const vf& x, vf& out) {
  const float kLog2e = 1.44269504088896341f, kLn2Hi = 0.693145751953125f,
              kLn2Lo = 1.428606765330187e-06f, kRound = 12582912.0f;  // 1.5 * 2^23
  const float kMax = 88.7228f, kMin = -87.3f;  // ln(FLT_MAX); below kMin the result is 0
  vf xc = x < (vf{} + kMin) ? (vf{} + kMin) : x;
  xc = xc > (vf{} + kMax) ? (vf{} + kMax) : xc;
  vf n = (xc * kLog2e + kRound) - kRound;  // round to nearest without a libm call
  vf r = xc - n * kLn2Hi - n * kLn2Lo;
  vf p = (vf{} + 1.0f / 5040);
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  // n reaches 128 just below ln(FLT_MAX): build 2^(n-1) and double it there.
  vi ni = __builtin_convertvector(n, vi);
  vi adj = (ni > 127) & 1;
  vf scale = (vf)((ni - adj + 127) << 23);
  vf y = p * scale * __builtin_convertvector(1 + adj, vf);
  y = x < (vf{} + kMin) ? (vf{} + 0.0f) : y;
  y = x > (vf{} + kMax) ? (vf{} + INFINITY) : y;
  out = x != x ? x : y;
}

[[gnu::always_inline]] inline void sigmoid_vec(const vf& x, vf& out) {
  vf e;
  exp_vec(-x, e);
  out = 1.0f / (1.0f + e);
}

[[gnu::always_inline]] inline void load_bf16(const bfloat16* p, vf& out) {
  vh h;
  std::memcpy(&h, static_cast<const void*>(p), sizeof(h));
  out = (vf)(__builtin_convertvector(h, vu) << 16);
}

[[gnu::always_inline]] inline void store_bf16(bfloat16* p, const vf& f) {
  vu u = (vu)f;
  vu r = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
  vu nan = (u >> 16) | 0x40u;
  r = (u & 0x7fffffffu) > 0x7f800000u ? nan : r;
  vh h = __builtin_convertvector(r, vh);
  std::memcpy(static_cast<void*>(p), &h, sizeof(h));
}

// out[i] = f(x[i]) sixteen at a time (f(in, out) on vectors); the tail goes through a
// padded block.
template <typename T, typename F>
[[gnu::always_inline]] inline void map16(const T* x, T* out, int64_t n, F f) {
  auto block = [&](const T* src, T* dst) {
    vf v, r;
    if constexpr (std::is_same_v<T, float>)
      std::memcpy(&v, src, sizeof(v));
    else
      load_bf16(src, v);
    f(v, r);
    if constexpr (std::is_same_v<T, float>)
      std::memcpy(dst, &r, sizeof(r));
    else
      store_bf16(dst, r);
  };
  int64_t i = 0;
  for (; i + kVec <= n; i += kVec) block(x + i, out + i);
  if (i < n) {
    T in[kVec] = {}, res[kVec];
    std::memcpy(static_cast<void*>(in), x + i, size_t(n - i) * sizeof(T));
    block(in, res);
    std::memcpy(static_cast<void*>(out + i), res, size_t(n - i) * sizeof(T));
  }
}

[[gnu::always_inline]] inline float apply(BinOp op, float x, float y) {
  return op == BinOp::add ? x + y : op == BinOp::subtract ? x - y : x * y;
}

template <BinOp kOp>
[[gnu::always_inline]] inline void bin_f32(const float* __restrict a, const float* __restrict b,
                                           float* __restrict out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = apply(kOp, a[i], b[i]);
}

template <BinOp kOp>
[[gnu::always_inline]] inline void bin_bf16(const bfloat16* __restrict a,
                                            const bfloat16* __restrict b,
                                            bfloat16* __restrict out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = bf16_store(apply(kOp, bf16_load(a[i]), bf16_load(b[i])));
}

}  // namespace

// Outputs may alias inputs exactly (in-place), never partially; the loops are written per
// op so the op is a compile-time constant inside each clone.
LMX_CLONES void binary_f32(BinOp op, const float* a, const float* b, float* out, int64_t n) {
  switch (op) {
    case BinOp::add: bin_f32<BinOp::add>(a, b, out, n); break;
    case BinOp::subtract: bin_f32<BinOp::subtract>(a, b, out, n); break;
    case BinOp::multiply: bin_f32<BinOp::multiply>(a, b, out, n); break;
  }
}

LMX_CLONES void binary_bf16(BinOp op, const bfloat16* a, const bfloat16* b, bfloat16* out,
                            int64_t n) {
  switch (op) {
    case BinOp::add: bin_bf16<BinOp::add>(a, b, out, n); break;
    case BinOp::subtract: bin_bf16<BinOp::subtract>(a, b, out, n); break;
    case BinOp::multiply: bin_bf16<BinOp::multiply>(a, b, out, n); break;
  }
}

LMX_CLONES void exp_f32(const float* x, float* out, int64_t n) { map16(x, out, n, [](const vf& v, vf& r) { exp_vec(v, r); }); }

LMX_CLONES void sigmoid_f32(const float* x, float* out, int64_t n) {
  map16(x, out, n, [](const vf& v, vf& r) { sigmoid_vec(v, r); });
}

LMX_CLONES void exp_bf16(const bfloat16* x, bfloat16* out, int64_t n) {
  map16(x, out, n, [](const vf& v, vf& r) { exp_vec(v, r); });
}

LMX_CLONES void sigmoid_bf16(const bfloat16* x, bfloat16* out, int64_t n) {
  map16(x, out, n, [](const vf& v, vf& r) { sigmoid_vec(v, r); });
}

namespace {
constexpr int kLanes = 32;  // independent partial sums: enough to hide add latency
}

LMX_CLONES float sum_f32(const float* x, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) acc[j] += x[i + j];
  float s = 0;
  for (; i < n; ++i) s += x[i];
  for (int j = 0; j < kLanes; ++j) s += acc[j];
  return s;
}

LMX_CLONES float sum_bf16(const bfloat16* x, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) acc[j] += bf16_load(x[i + j]);
  float s = 0;
  for (; i < n; ++i) s += bf16_load(x[i]);
  for (int j = 0; j < kLanes; ++j) s += acc[j];
  return s;
}

LMX_CLONES float max_f32(const float* x, int64_t n) {
  float acc[kLanes];
  int nan[kLanes] = {};
  for (int j = 0; j < kLanes; ++j) acc[j] = -INFINITY;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) {
      float v = x[i + j];
      acc[j] = v > acc[j] ? v : acc[j];
      nan[j] |= v != v;
    }
  float m = -INFINITY;
  bool any_nan = false;
  for (; i < n; ++i) {
    m = x[i] > m ? x[i] : m;
    any_nan = any_nan || x[i] != x[i];
  }
  for (int j = 0; j < kLanes; ++j) {
    m = acc[j] > m ? acc[j] : m;
    any_nan = any_nan || nan[j];
  }
  return any_nan ? NAN : m;
}

LMX_CLONES float exp_shift_sum_f32(const float* x, float shift, float* out, int64_t n) {
  vf acc{};
  map16(x, out, n, [&](const vf& v, vf& e) {
    exp_vec(v - shift, e);
    acc += e;
  });
  // The padded tail added exp(0 - shift) per missing lane; take it back out.
  int64_t pad = (kVec - n % kVec) % kVec;
  float s = 0;
  for (int j = 0; j < kVec; ++j) s += acc[j];
  vf e0;
  exp_vec((vf{} + -shift), e0);
  return s - float(pad) * e0[0];
}

}  // namespace lmx::cpu::simd
