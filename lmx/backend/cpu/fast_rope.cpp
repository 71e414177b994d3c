// SPDX-License-Identifier: MIT
// rope on the CPU: a cos/sin table per distinct offset, then rows (b, n, l) in parallel.
// Angles are computed exactly as the composite computes them (float32), so the two agree.
#include <cmath>
#include <memory>
#include <mutex>
#include <vector>

#include "lmx/backend/cpu/fast_common.h"
#include "lmx/backend/cpu/threading.h"
#include "lmx/core/primitives_fast.h"

namespace lmx::fast {

namespace {

using cpu::dispatch_float;
using cpu::load_f32;
using cpu::store_f32;

struct RopeRow {
  int64_t dims, D;
  bool traditional;
};

// One row of D features: rotate the first dims with (cos, sin) of dims/2 angles.
template <typename T>
[[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]] void rope_row(
    const T* x, T* y, const float* c, const float* s, RopeRow r) {
  int64_t half = r.dims / 2;
  if (r.traditional) {
#pragma omp simd
    for (int64_t i = 0; i < half; ++i) {
      float a = load_f32(x[2 * i]), b = load_f32(x[2 * i + 1]);
      y[2 * i] = store_f32<T>(a * c[i] - b * s[i]);
      y[2 * i + 1] = store_f32<T>(a * s[i] + b * c[i]);
    }
  } else {
#pragma omp simd
    for (int64_t i = 0; i < half; ++i) {
      float a = load_f32(x[i]), b = load_f32(x[i + half]);
      y[i] = store_f32<T>(a * c[i] - b * s[i]);
      y[i + half] = store_f32<T>(a * s[i] + b * c[i]);
    }
  }
  for (int64_t i = r.dims; i < r.D; ++i) y[i] = x[i];
}

// Tables (T, L, dims/2) of cos and sin, T = 1 for a shared offset, else one per batch row.
// Every layer rotates q and k at the same positions, so the last table is kept and reused
// while the key matches (a prefill of 4k tokens would otherwise redo 2 x 4k x dims/2
// sin/cos per call).
struct RopeTable {
  struct Key {
    std::vector<int32_t> offsets;
    std::vector<float> inv;
    int64_t L = 0;
    float scale = 0.0f;
    bool forward = true;
    bool operator==(const Key&) const = default;
  } key;
  std::vector<float> cs, sn;
};

std::shared_ptr<const RopeTable> rope_table(std::vector<int32_t> offsets, std::vector<float> inv,
                                            int64_t L, float scale, bool forward) {
  static std::mutex mu;
  static std::shared_ptr<const RopeTable> last;
  RopeTable::Key key{std::move(offsets), std::move(inv), L, scale, forward};
  {
    std::lock_guard<std::mutex> lock(mu);
    if (last && last->key == key) return last;
  }
  auto t = std::make_shared<RopeTable>();
  const int64_t half = int64_t(key.inv.size()), rows = int64_t(key.offsets.size()) * L;
  t->cs.resize(rows * half);
  t->sn.resize(rows * half);
  float sign = forward ? 1.0f : -1.0f;
  cpu::parallel_for(rows, half * 40, [&](int64_t a, int64_t e) {
    for (int64_t tl = a; tl < e; ++tl) {
      float pos = (float(tl % L) + float(key.offsets[tl / L])) * scale;
      for (int64_t i = 0; i < half; ++i) {
        float theta = pos * key.inv[i];
        t->cs[tl * half + i] = std::cos(theta);
        t->sn[tl * half + i] = sign * std::sin(theta);
      }
    }
  });
  t->key = std::move(key);
  std::lock_guard<std::mutex> lock(mu);
  last = t;
  return t;
}

}  // namespace

void RoPE::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  const Array& x = inputs[0];  // (B, N, L, D), unit stride on D
  Array& out = outputs[0];
  out.allocate();
  int64_t B = x.shape(0), N = x.shape(1), L = x.shape(2), D = x.shape(3), half = dims_ / 2;
  if (out.size() == 0) return;
  std::vector<int32_t> offsets = inputs[1].to_vector<int32_t>();
  std::vector<float> inv(half);
  if (inputs.size() > 2) {
    const float* f = inputs[2].data<float>();
    for (int64_t i = 0; i < half; ++i) inv[i] = 1.0f / f[i];
  } else {
    float k = float(std::log(base_) / double(half));
    for (int64_t i = 0; i < half; ++i) inv[i] = std::exp(float(-i) * k);
  }
  auto table = rope_table(std::move(offsets), std::move(inv), L, scale_, forward_);
  const int64_t tables = int64_t(table->key.offsets.size());
  const float *cs = table->cs.data(), *sn = table->sn.data();
  const Strides& st = x.strides();
  RopeRow r{dims_, D, traditional_};
  dispatch_float(x.dtype(), name(), [&](auto t) {
    using T = decltype(t);
    const T* src = x.data<T>();
    T* dst = out.data<T>();
    cpu::parallel_for(B * N * L, D * 2, [&](int64_t a, int64_t e) {
      for (int64_t row = a; row < e; ++row) {
        int64_t l = row % L, n = (row / L) % N, b = row / (L * N);
        int64_t tl = (tables > 1 ? b * L : 0) + l;
        rope_row<T>(src + b * st[0] + n * st[1] + l * st[2], dst + row * D, cs + tl * half,
                    sn + tl * half, r);
      }
    });
  });
}

}  // namespace lmx::fast
