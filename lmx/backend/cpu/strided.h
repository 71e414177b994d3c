// SPDX-License-Identifier: MIT
// Iteration over K arrays of one shape with arbitrary strides: dims are collapsed where
// every operand is contiguous across them, then rows of the innermost dim are handed to
// a kernel with their base offsets and inner strides.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "lmx/backend/cpu/threading.h"
#include "lmx/core/array.h"

namespace lmx::cpu {

template <size_t K>
struct StridedPlan {
  Shape shape;                    // collapsed; at least one dim
  std::array<Strides, K> strides;  // per operand, per collapsed dim
};

template <size_t K>
StridedPlan<K> collapse(const Shape& shape, const std::array<const Strides*, K>& strides) {
  StridedPlan<K> p;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = !p.shape.empty();
    for (size_t k = 0; k < K && merge; ++k)
      merge = p.strides[k].back() == (*strides[k])[d] * shape[d];
    if (merge) {
      p.shape.back() *= shape[d];
      for (size_t k = 0; k < K; ++k) p.strides[k].back() = (*strides[k])[d];
    } else {
      p.shape.push_back(shape[d]);
      for (size_t k = 0; k < K; ++k) p.strides[k].push_back((*strides[k])[d]);
    }
  }
  if (p.shape.empty()) {
    p.shape.push_back(1);
    for (size_t k = 0; k < K; ++k) p.strides[k].push_back(0);
  }
  return p;
}

// Calls row(offsets, n, inner_strides) for every innermost row (offsets in elements),
// in parallel for large arrays.
template <size_t K, typename Row>
void for_each_row(const StridedPlan<K>& p, int64_t cost, Row&& row) {
  const int nd = int(p.shape.size());
  const int64_t inner = p.shape.back();
  int64_t rows = 1;
  for (int d = 0; d < nd - 1; ++d) rows *= p.shape[d];
  std::array<int64_t, K> inner_strides;
  for (size_t k = 0; k < K; ++k) inner_strides[k] = p.strides[k].back();
  if (rows == 1) {
    // One long row: split it.
    parallel_for(inner, cost, [&](int64_t b, int64_t e) {
      std::array<int64_t, K> off;
      for (size_t k = 0; k < K; ++k) off[k] = b * inner_strides[k];
      row(off, e - b, inner_strides);
    });
    return;
  }
  parallel_for(rows, inner * cost, [&](int64_t b, int64_t e) {
    std::vector<int64_t> idx(nd > 1 ? nd - 1 : 1, 0);
    std::array<int64_t, K> off{};
    int64_t r = b;
    for (int d = nd - 2; d >= 0; --d) {
      idx[d] = r % p.shape[d];
      r /= p.shape[d];
      for (size_t k = 0; k < K; ++k) off[k] += idx[d] * p.strides[k][d];
    }
    for (int64_t i = b; i < e; ++i) {
      row(off, inner, inner_strides);
      for (int d = nd - 2; d >= 0; --d) {
        for (size_t k = 0; k < K; ++k) off[k] += p.strides[k][d];
        if (++idx[d] < p.shape[d]) break;
        for (size_t k = 0; k < K; ++k) off[k] -= p.strides[k][d] * p.shape[d];
        idx[d] = 0;
      }
    }
  });
}

// Loads T as its compute type (float for 16-bit floats) and stores back.
template <typename T>
struct Compute {
  using type = T;
};
template <>
struct Compute<float16> {
  using type = float;
};
template <>
struct Compute<bfloat16> {
  using type = float;
};
template <typename T>
using compute_t = typename Compute<T>::type;

template <typename To, typename From>
inline To cast(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (std::is_same_v<From, float16> || std::is_same_v<From, bfloat16>) {
    return cast<To>(float(v));
  } else if constexpr (std::is_same_v<To, float16> || std::is_same_v<To, bfloat16>) {
    return To(static_cast<float>(v));
  } else if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else {
    return static_cast<To>(v);
  }
}

}  // namespace lmx::cpu
