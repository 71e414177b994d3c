// SPDX-License-Identifier: MIT
// Scans along one axis: the input is viewed as (outer, n, inner) rows; inner > 1 runs a
// row of accumulators so the innermost loop is unit-stride and vectorizes.
#include <cmath>
#include <limits>

#include "lmx/backend/cpu/strided.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives_sort.h"

namespace lmx {

namespace {

template <typename A>
A scan_init(ScanOp op) {
  switch (op) {
    case ScanOp::sum: return A(0);
    case ScanOp::prod: return A(1);
    case ScanOp::max:
      if constexpr (std::is_floating_point_v<A>) return -std::numeric_limits<A>::infinity();
      else return std::numeric_limits<A>::lowest();
    case ScanOp::min:
      if constexpr (std::is_floating_point_v<A>) return std::numeric_limits<A>::infinity();
      else return std::numeric_limits<A>::max();
  }
  return A(0);
}

// NaN is sticky for max/min, as in MLX.
template <typename A>
inline A scan_combine(ScanOp op, A acc, A x) {
  switch (op) {
    case ScanOp::sum: return A(acc + x);
    case ScanOp::prod: return A(acc * x);
    case ScanOp::max:
      if constexpr (std::is_floating_point_v<A>)
        if (std::isnan(acc) || std::isnan(x)) return std::numeric_limits<A>::quiet_NaN();
      return acc > x ? acc : x;
    case ScanOp::min:
      if constexpr (std::is_floating_point_v<A>)
        if (std::isnan(acc) || std::isnan(x)) return std::numeric_limits<A>::quiet_NaN();
      return acc < x ? acc : x;
  }
  return acc;
}

// T: input type, O: output type, A: accumulator type.
template <typename T, typename O, typename A>
void scan_typed(ScanOp op, int axis, bool reverse, bool inclusive, const Array& in, Array& out) {
  const Shape& s = in.shape();
  int64_t outer = 1, inner = 1, n = s[axis];
  for (int d = 0; d < axis; ++d) outer *= s[d];
  for (int d = axis + 1; d < int(s.size()); ++d) inner *= s[d];
  const T* src = in.data<T>();
  O* dst = out.data<O>();
  constexpr int64_t kBlock = 1024;  // inner columns per task
  int64_t blocks = (inner + kBlock - 1) / kBlock;
  cpu::parallel_for(outer * blocks, std::min(inner, kBlock) * n, [&](int64_t b, int64_t e) {
    A acc[kBlock];
    for (int64_t t = b; t < e; ++t) {
      int64_t o = t / blocks, j0 = (t % blocks) * kBlock;
      int64_t w = std::min(kBlock, inner - j0);
      const T* x = src + o * n * inner + j0;
      O* y = dst + o * n * inner + j0;
      for (int64_t j = 0; j < w; ++j) acc[j] = scan_init<A>(op);
      for (int64_t k = 0; k < n; ++k) {
        int64_t i = reverse ? n - 1 - k : k;
        const T* xi = x + i * inner;
        O* yi = y + i * inner;
        if (inclusive) {
          for (int64_t j = 0; j < w; ++j) {
            acc[j] = scan_combine<A>(op, acc[j], A(cpu::compute_t<T>(xi[j])));
            yi[j] = cpu::cast<O>(acc[j]);
          }
        } else {
          for (int64_t j = 0; j < w; ++j) {
            yi[j] = cpu::cast<O>(acc[j]);
            acc[j] = scan_combine<A>(op, acc[j], A(cpu::compute_t<T>(xi[j])));
          }
        }
      }
    }
  });
}

}  // namespace

void Scan::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  out.allocate();
  if (out.size() == 0) return;
  Array in = contiguous(inputs[0]);
  dispatch_dtype(in.dtype(), [&](auto t) {
    using T = decltype(t);
    if constexpr (std::is_same_v<T, bool>) {
      if (out.dtype() == Dtype::int32)
        scan_typed<bool, int32_t, int32_t>(op_, axis_, reverse_, inclusive_, in, out);
      else
        scan_typed<bool, bool, bool>(op_, axis_, reverse_, inclusive_, in, out);
    } else {
      using A = std::conditional_t<std::is_floating_point_v<cpu::compute_t<T>>, float, T>;
      scan_typed<T, T, A>(op_, axis_, reverse_, inclusive_, in, out);
    }
  });
}

}  // namespace lmx
