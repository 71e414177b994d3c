// SPDX-License-Identifier: MIT
// rms_norm and layer_norm on the CPU: one pass over each row in float32, rows in parallel.
// Loops are cloned for AVX-512, AVX2 and the baseline and picked at run time.
#include <cmath>

#include "lmx/backend/cpu/fast_common.h"
#include "lmx/backend/cpu/threading.h"
#include "lmx/core/error.h"
#include "lmx/core/primitives_fast.h"

namespace lmx::fast {

namespace {

using cpu::dispatch_float;
using cpu::load_f32;
using cpu::store_f32;

// Rows [r0, r1) of x (rows, n) -> y; w may be null.
template <typename T>
[[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]] void rms_rows(
    const T* x, const T* w, T* y, int64_t r0, int64_t r1, int64_t n, float eps) {
  for (int64_t r = r0; r < r1; ++r) {
    const T* xr = x + r * n;
    T* yr = y + r * n;
    float ss = 0.0f;
#pragma omp simd reduction(+ : ss)
    for (int64_t i = 0; i < n; ++i) {
      float v = load_f32(xr[i]);
      ss += v * v;
    }
    float inv = 1.0f / std::sqrt(ss / float(n) + eps);
    if (w) {
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) yr[i] = store_f32<T>(load_f32(xr[i]) * inv * load_f32(w[i]));
    } else {
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) yr[i] = store_f32<T>(load_f32(xr[i]) * inv);
    }
  }
}

template <typename T>
[[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]] void layer_norm_rows(
    const T* x, const T* w, const T* b, T* y, int64_t r0, int64_t r1, int64_t n, float eps) {
  for (int64_t r = r0; r < r1; ++r) {
    const T* xr = x + r * n;
    T* yr = y + r * n;
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; ++i) s += load_f32(xr[i]);
    float mu = s / float(n), ss = 0.0f;
#pragma omp simd reduction(+ : ss)
    for (int64_t i = 0; i < n; ++i) {
      float c = load_f32(xr[i]) - mu;
      ss += c * c;
    }
    float inv = 1.0f / std::sqrt(ss / float(n) + eps);
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) {
      float v = (load_f32(xr[i]) - mu) * inv;
      if (w) v *= load_f32(w[i]);
      if (b) v += load_f32(b[i]);
      yr[i] = store_f32<T>(v);
    }
  }
}

}  // namespace

void RMSNorm::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  const Array& x = inputs[0];
  Array& out = outputs[0];
  out.allocate();
  int64_t n = x.shape(-1), rows = n ? x.size() / n : 0;
  dispatch_float(x.dtype(), name(), [&](auto t) {
    using T = decltype(t);
    const T* w = inputs.size() > 1 ? inputs[1].data<T>() : nullptr;
    cpu::parallel_for(rows, n * 4, [&](int64_t r0, int64_t r1) {
      rms_rows<T>(x.data<T>(), w, out.data<T>(), r0, r1, n, eps_);
    });
  });
}

void LayerNorm::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  const Array& x = inputs[0];
  Array& out = outputs[0];
  out.allocate();
  int64_t n = x.shape(-1), rows = n ? x.size() / n : 0;
  dispatch_float(x.dtype(), name(), [&](auto t) {
    using T = decltype(t);
    const T* w = has_weight_ ? inputs[1].data<T>() : nullptr;
    const T* b = has_bias_ ? inputs[has_weight_ ? 2 : 1].data<T>() : nullptr;
    cpu::parallel_for(rows, n * 6, [&](int64_t r0, int64_t r1) {
      layer_norm_rows<T>(x.data<T>(), w, b, out.data<T>(), r0, r1, n, eps_);
    });
  });
}

}  // namespace lmx::fast
