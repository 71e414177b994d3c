// SPDX-License-Identifier: MIT
// Sorting and partitioning along one axis: each row is copied to a scratch buffer of
// values, a permutation of indices is sorted (stable) or partitioned against it, then the
// values or indices are written out. NaNs order last, as in NumPy and MLX.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "lmx/backend/cpu/strided.h"
#include "lmx/core/primitives_sort.h"

namespace lmx {

namespace {

template <typename C>
inline bool sort_less(C a, C b) {
  if constexpr (std::is_floating_point_v<C>)
    return a < b || (std::isnan(b) && !std::isnan(a));
  else
    return a < b;
}

// kth < 0: full stable sort; else nth_element at kth.
template <typename T>
void sort_rows(const Array& in, Array& out, int axis, int kth, bool indices) {
  using C = cpu::compute_t<T>;
  Shape kept = in.shape();
  kept[axis] = 1;
  Strides in_st = in.strides(), out_st = out.strides();
  int64_t n = in.shape()[axis], si = in.strides()[axis], so = out.strides()[axis];
  in_st[axis] = out_st[axis] = 0;
  auto plan = cpu::collapse<2>(kept, {&in_st, &out_st});
  const T* src = in.data<T>();
  int64_t cost = n * (kth < 0 ? 16 : 4);
  cpu::for_each_row(plan, cost, [&](auto off, int64_t rows, auto st) {
    std::vector<C> vals(n);
    std::vector<uint32_t> idx(n);
    for (int64_t r = 0; r < rows; ++r) {
      const T* x = src + off[0] + r * st[0];
      for (int64_t i = 0; i < n; ++i) vals[i] = C(x[i * si]);
      std::iota(idx.begin(), idx.end(), 0u);
      auto less = [&](uint32_t a, uint32_t b) { return sort_less<C>(vals[a], vals[b]); };
      if (kth < 0)
        std::stable_sort(idx.begin(), idx.end(), less);
      else
        std::nth_element(idx.begin(), idx.begin() + kth, idx.end(), less);
      int64_t o = off[1] + r * st[1];
      if (indices) {
        uint32_t* y = out.data<uint32_t>() + o;
        for (int64_t i = 0; i < n; ++i) y[i * so] = idx[i];
      } else {
        T* y = out.data<T>() + o;
        for (int64_t i = 0; i < n; ++i) y[i * so] = x[idx[i] * si];
      }
    }
  });
}

void run(const Array& in, Array& out, int axis, int kth, bool indices) {
  out.allocate();
  if (out.size() == 0) return;
  dispatch_dtype(in.dtype(), [&](auto t) { sort_rows<decltype(t)>(in, out, axis, kth, indices); });
}

}  // namespace

void Sort::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  run(inputs[0], outputs[0], axis_, -1, indices_);
}

void Partition::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  run(inputs[0], outputs[0], axis_, kth_, indices_);
}

}  // namespace lmx
