// SPDX-License-Identifier: MIT
// Reductions, arg-reductions, softmax and logsumexp on the CPU.
#include <algorithm>
#include <cmath>
#include <limits>

#include "lmx/backend/cpu/simd_kernels.h"
#include "lmx/backend/cpu/strided.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives.h"

namespace lmx {
namespace {

using cpu::cast;

template <typename T>
struct Acc {
  using type = std::conditional_t<std::is_floating_point_v<cpu::compute_t<T>>, float,
                                  std::conditional_t<std::is_same_v<T, bool>, bool, T>>;
};

template <typename A>
A init_value(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum: return A(0);
    case ReduceOp::prod: return A(1);
    case ReduceOp::max:
      if constexpr (std::is_floating_point_v<A>) return -std::numeric_limits<A>::infinity();
      else return std::numeric_limits<A>::lowest();
    case ReduceOp::min:
      if constexpr (std::is_floating_point_v<A>) return std::numeric_limits<A>::infinity();
      else return std::numeric_limits<A>::max();
    case ReduceOp::all: return A(1);
    case ReduceOp::any: return A(0);
  }
  return A(0);
}

template <typename A>
inline A combine(ReduceOp op, A acc, A x) {
  switch (op) {
    case ReduceOp::sum: return A(acc + x);
    case ReduceOp::prod: return A(acc * x);
    // NaN is sticky: once seen it stays (a plain compare would drop it on the next x).
    case ReduceOp::max:
      if constexpr (std::is_floating_point_v<A>)
        if (std::isnan(acc) || std::isnan(x)) return std::numeric_limits<A>::quiet_NaN();
      return acc > x ? acc : x;
    case ReduceOp::min:
      if constexpr (std::is_floating_point_v<A>)
        if (std::isnan(acc) || std::isnan(x)) return std::numeric_limits<A>::quiet_NaN();
      return acc < x ? acc : x;
    case ReduceOp::all: return A(bool(acc) && bool(x));
    case ReduceOp::any: return A(bool(acc) || bool(x));
  }
  return acc;
}

// Input of type T, output of type O (bool for all/any, else T or the promoted sum type).
template <typename T, typename O>
void reduce_typed(ReduceOp op, const std::vector<int>& axes, const Array& in, Array& out) {
  using A = std::conditional_t<std::is_same_v<O, bool>, bool, typename Acc<T>::type>;
  int nd = in.ndim();
  std::vector<bool> red(nd, false);
  for (int a : axes) red[a] = true;
  Shape kept_shape, red_shape;
  Strides kept_in, red_in;
  for (int d = 0; d < nd; ++d) {
    if (red[d]) {
      red_shape.push_back(in.shape()[d]);
      red_in.push_back(in.strides()[d]);
    } else {
      kept_shape.push_back(in.shape()[d]);
      kept_in.push_back(in.strides()[d]);
    }
  }
  Strides kept_out = row_major_strides(kept_shape);
  auto red_plan = cpu::collapse<1>(red_shape, {&red_in});
  auto kept_plan = cpu::collapse<2>(kept_shape, {&kept_in, &kept_out});
  const T* src = in.data<T>();
  O* dst = out.data<O>();
  int64_t red_size = shape_size(red_shape);
  // Reduce `red_plan` starting at base offset `o`.
  auto reduce_at = [&](int64_t o) {
    A acc = init_value<A>(op);
    const int rn = int(red_plan.shape.size());
    if (rn == 1) {
      int64_t n = red_plan.shape[0], s = red_plan.strides[0][0];
      const T* p = src + o;
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, bfloat16>) {
        // Unit-stride rows (reductions over the last axis): many-lane vector loops.
        if (s == 1 && op == ReduceOp::sum) {
          if constexpr (std::is_same_v<T, float>)
            return A(cpu::simd::sum_f32(p, n));
          else
            return A(cpu::simd::sum_bf16(p, n));
        }
        if constexpr (std::is_same_v<T, float>)
          if (s == 1 && op == ReduceOp::max) return A(cpu::simd::max_f32(p, n));
      }
      if (s == 1 && op == ReduceOp::sum) {
        for (int64_t i = 0; i < n; ++i) acc = A(acc + A(cpu::compute_t<T>(p[i])));
      } else {
        for (int64_t i = 0; i < n; ++i) acc = combine<A>(op, acc, A(cpu::compute_t<T>(p[i * s])));
      }
      return acc;
    }
    std::vector<int64_t> idx(rn, 0);
    int64_t off = o;
    for (int64_t i = 0; i < red_size; ++i) {
      acc = combine<A>(op, acc, A(cpu::compute_t<T>(src[off])));
      for (int d = rn - 1; d >= 0; --d) {
        off += red_plan.strides[0][d];
        if (++idx[d] < red_plan.shape[d]) break;
        off -= red_plan.strides[0][d] * red_plan.shape[d];
        idx[d] = 0;
      }
    }
    return acc;
  };
  cpu::for_each_row(kept_plan, red_size, [&](auto off, int64_t n, auto st) {
    for (int64_t i = 0; i < n; ++i) dst[off[1] + i * st[1]] = cast<O>(reduce_at(off[0] + i * st[0]));
  });
}

}  // namespace

void Reduce::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  out.allocate();
  const Array& in = inputs[0];
  dispatch_dtype(in.dtype(), [&](auto t) {
    using T = decltype(t);
    if (out.dtype() == Dtype::bool_)
      reduce_typed<T, bool>(op_, axes_, in, out);
    else
      reduce_typed<T, T>(op_, axes_, in, out);
  });
}

void ArgReduce::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  out.allocate();
  const Array& in = inputs[0];
  Shape kept = in.shape();
  kept[axis_] = 1;
  Strides in_st = in.strides();
  in_st[axis_] = 0;
  Strides out_st = out.strides();
  auto plan = cpu::collapse<2>(kept, {&in_st, &out_st});
  int64_t n = in.shape()[axis_], s = in.strides()[axis_];
  dispatch_dtype(in.dtype(), [&](auto t) {
    using T = decltype(t);
    using C = cpu::compute_t<T>;
    const T* src = in.data<T>();
    uint32_t* dst = out.data<uint32_t>();
    cpu::for_each_row(plan, n, [&](auto off, int64_t rows, auto st) {
      for (int64_t r = 0; r < rows; ++r) {
        const T* p = src + off[0] + r * st[0];
        C best = C(p[0]);
        uint32_t bi = 0;
        for (int64_t i = 1; i < n; ++i) {
          C v = C(p[i * s]);
          bool better = is_max_ ? v > best : v < best;
          if constexpr (std::is_floating_point_v<C>) {
            if (std::isnan(best))
              better = false;
            else if (std::isnan(v))
              better = true;
          }
          if (better) {
            best = v;
            bi = uint32_t(i);
          }
        }
        dst[off[1] + r * st[1]] = bi;
      }
    });
  });
}

namespace {

// Calls f(in_row, out_row, n) for every row of the last axis of a contiguous input.
template <typename T, typename O, typename F>
void for_rows(const Array& in, Array& out, F&& f) {
  int64_t n = in.shape().empty() ? 1 : in.shape().back();
  int64_t rows = n ? in.size() / n : 0;
  const T* src = in.data<T>();
  O* dst = out.data<O>();
  int64_t out_n = out.shape().empty() ? 1 : out.shape().back();
  cpu::parallel_for(rows, n * 8, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) f(src + r * n, dst + r * out_n, n);
  });
}

}  // namespace

void Softmax::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array in = contiguous(inputs[0]);
  Array& out = outputs[0];
  out.allocate();
  dispatch_dtype(in.dtype(), [&](auto t) {
    using T = decltype(t);
    if constexpr (std::is_floating_point_v<cpu::compute_t<T>>) {
      for_rows<T, T>(in, out, [](const T* x, T* y, int64_t n) {
        // (n,) row in float32: max, exp(x - max) and its sum, scale.
        std::vector<float> xf, e(n);
        const float* xr;
        if constexpr (std::is_same_v<T, float>) {
          xr = x;
        } else {
          xf.resize(n);
          for (int64_t i = 0; i < n; ++i) xf[i] = float(x[i]);
          xr = xf.data();
        }
        float m = cpu::simd::max_f32(xr, n);
        if (std::isinf(m) && m < 0) m = 0;  // an all -inf row gives NaN, as exp/sum would
        float inv = 1.0f / cpu::simd::exp_shift_sum_f32(xr, m, e.data(), n);
        for (int64_t i = 0; i < n; ++i) y[i] = cast<T>(e[i] * inv);
      });
    }
  });
}

void LogSumExp::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array in = contiguous(inputs[0]);
  Array& out = outputs[0];
  out.allocate();
  dispatch_dtype(in.dtype(), [&](auto t) {
    using T = decltype(t);
    if constexpr (std::is_floating_point_v<cpu::compute_t<T>>) {
      for_rows<T, T>(in, out, [](const T* x, T* y, int64_t n) {
        float m = -INFINITY;
        for (int64_t i = 0; i < n; ++i) m = std::max(m, float(x[i]));
        if (std::isinf(m)) {
          y[0] = cast<T>(m);
          return;
        }
        float s = 0;
        for (int64_t i = 0; i < n; ++i) s += std::exp(float(x[i]) - m);
        y[0] = cast<T>(m + std::log(s));
      });
    }
  });
}

}  // namespace lmx
