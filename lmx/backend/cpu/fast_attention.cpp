// SPDX-License-Identifier: MIT
// scaled_dot_product_attention on the CPU, flash-attention style: for a tile of query rows
// (all query heads of one kv head x a block of queries) walk the keys in blocks, keeping
// a running max, denominator and float32 output accumulator per row (online softmax), so
// memory stays O(L D) and each K/V row is read once per tile, not once per query head.
// Tiles run in parallel; when there are too few (decode), the keys are split as well and
// the partial results merged (flash-decoding).

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "lmx/backend/cpu/fast_attention_kernels.h"
#include "lmx/backend/cpu/fast_common.h"
#include "lmx/backend/cpu/threading.h"
#include "lmx/core/primitives_fast.h"

namespace lmx::fast {

namespace {

using cpu::AttentionProblem;
using cpu::AttentionTile;

// A tile's partial result: per row max m, denominator l and unnormalized acc (Dv).
struct Partial {
  float* m;
  float* l;
  float* acc;
};

template <typename T>
void finish_rows(const AttentionProblem<T>& P, const AttentionTile& t,
                 const std::vector<Partial>& parts) {
  int64_t nq = t.q1 - t.q0;
  for (int64_t i = 0; i < P.rep; ++i) {
    for (int64_t qi = t.q0; qi < t.q1; ++qi) {
      int64_t r = i * nq + (qi - t.q0);
      float M = -INFINITY;
      for (const auto& p : parts) M = std::max(M, p.m[r]);
      T* o = P.out + ((t.b * P.Hq + t.g * P.rep + i) * P.Lq + qi) * P.Dv;
      if (M == -INFINITY) {  // every score was -inf (an additive mask): zeros
        for (int64_t d = 0; d < P.Dv; ++d) o[d] = cpu::store_f32<T>(0.0f);
        continue;
      }
      if (parts.size() == 1) {
        const Partial& p = parts[0];
        float inv = p.l[r] > 0.0f ? 1.0f / p.l[r] : 0.0f;
        const float* a = p.acc + r * P.Dv;
        for (int64_t d = 0; d < P.Dv; ++d) o[d] = cpu::store_f32<T>(a[d] * inv);
        continue;
      }
      float l = 0.0f;
      std::vector<float> w(parts.size());
      for (size_t s = 0; s < parts.size(); ++s) {
        w[s] = parts[s].m[r] == -INFINITY ? 0.0f : std::exp(parts[s].m[r] - M);
        l += w[s] * parts[s].l[r];
      }
      float inv = l > 0.0f ? 1.0f / l : 0.0f;
      for (int64_t d = 0; d < P.Dv; ++d) {
        float a = 0.0f;
        for (size_t s = 0; s < parts.size(); ++s) a += w[s] * parts[s].acc[r * P.Dv + d];
        o[d] = cpu::store_f32<T>(a * inv);
      }
    }
  }
}

template <typename T>
void run(AttentionProblem<T> P) {
  // Rows per tile: every query head of a kv head times a block of queries (about 32 rows).
  int64_t nq = P.Lq == 1 ? 1 : std::max<int64_t>(1, 32 / P.rep);
  nq = std::min(nq, P.Lq);
  int64_t nqb = (P.Lq + nq - 1) / nq;
  int64_t tiles = P.B * P.Hkv * nqb;
  int threads = cpu::num_threads();
  // Split the keys when tiles alone cannot keep the threads busy (decode).
  int64_t splits = 1;
  if (tiles < 2 * threads && P.Lk >= 1024)
    splits = std::min<int64_t>((2 * threads + tiles - 1) / tiles, P.Lk / 512);
  int64_t rows = P.rep * nq;
  int64_t part_floats = rows * (P.Dv + 2);
  std::vector<float> partial(splits > 1 ? tiles * splits * part_floats : 0);
  int64_t chunk = (P.Lk + splits - 1) / splits;

  auto tile_of = [&](int64_t idx) {
    // Query blocks outermost, interleaved so that causal work spreads over threads.
    int64_t qb = idx % nqb, bg = idx / nqb;
    AttentionTile t;
    t.b = bg / P.Hkv;
    t.g = bg % P.Hkv;
    t.q0 = qb * nq;
    t.q1 = std::min(P.Lq, t.q0 + nq);
    return t;
  };
  auto work = [&](int64_t item) {
    int64_t idx = item / splits, s = item % splits;
    AttentionTile t = tile_of(idx);
    t.k0 = s * chunk;
    t.k1 = std::min(P.Lk, t.k0 + chunk);
    t.sinks = s == 0;
    int64_t r = P.rep * (t.q1 - t.q0);
    thread_local std::vector<float> own;
    float* buf;
    if (splits > 1) {
      buf = partial.data() + item * part_floats;
    } else {
      own.resize(part_floats);
      buf = own.data();
    }
    Partial p{buf, buf + r, buf + 2 * r};
    cpu::attention_tile(P, t, p.m, p.l, p.acc);
    if (splits == 1) finish_rows(P, t, {p});
  };
  int64_t items = tiles * splits;
  int64_t cost = rows * std::max<int64_t>(P.Lk / splits, 1) * (P.Dk + P.Dv);
  cpu::parallel_for_dynamic(items, cost, work);
  if (splits > 1) {
    auto merge = [&](int64_t idx) {
      AttentionTile t = tile_of(idx);
      int64_t r = P.rep * (t.q1 - t.q0);
      std::vector<Partial> parts;
      for (int64_t s = 0; s < splits; ++s) {
        float* buf = partial.data() + (idx * splits + s) * part_floats;
        parts.push_back({buf, buf + r, buf + 2 * r});
      }
      finish_rows(P, t, parts);
    };
    cpu::parallel_for(tiles, rows * P.Dv * splits, [&](int64_t a, int64_t e) {
      for (int64_t i = a; i < e; ++i) merge(i);
    });
  }
}

}  // namespace

void ScaledDotProductAttention::eval_cpu(const std::vector<Array>& inputs,
                                         std::vector<Array>& outputs) {
  const Array &q = inputs[0], &k = inputs[1], &v = inputs[2];
  Array& out = outputs[0];
  out.allocate();
  if (out.size() == 0) return;
  size_t next = 3;
  const Array* mask = c_.has_mask ? &inputs[next++] : nullptr;
  const Array* sinks = c_.has_sinks ? &inputs[next] : nullptr;
  cpu::dispatch_float(q.dtype(), name(), [&](auto t) {
    using T = decltype(t);
    AttentionProblem<T> P;
    P.B = q.shape(0);
    P.Hq = q.shape(1);
    P.Lq = q.shape(2);
    P.Dk = q.shape(3);
    P.Hkv = k.shape(1);
    P.Lk = k.shape(2);
    P.Dv = v.shape(3);
    P.rep = P.Hq / P.Hkv;
    P.q = q.data<T>();
    P.k = k.data<T>();
    P.v = v.data<T>();
    P.out = out.data<T>();
    for (int i = 0; i < 3; ++i) {
      P.sq[i] = q.strides()[i];
      P.sk[i] = k.strides()[i];
      P.sv[i] = v.strides()[i];
    }
    if (mask) {
      P.mask = mask->raw_data();
      P.mask_bool = mask->dtype() == Dtype::bool_;
      for (int i = 0; i < 4; ++i) P.sm[i] = mask->strides()[i];
    }
    P.sinks = sinks ? sinks->data<float>() : nullptr;
    P.scale = c_.scale;
    P.softcap = c_.softcap;
    P.causal = c_.causal;
    P.window = c_.sliding_window;
    run(P);
  });
}

}  // namespace lmx::fast
