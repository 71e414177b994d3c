// SPDX-License-Identifier: MIT
#include "lmx/core/ops_reduce.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives.h"

namespace lmx {

namespace {

std::vector<int> normalize_axes(const Axes& axes, int ndim, const char* op) {
  std::vector<int> out;
  if (axes.empty()) {
    out.resize(ndim);
    std::iota(out.begin(), out.end(), 0);
    return out;
  }
  for (int a : axes) out.push_back(normalize_axis(a, ndim, op));
  std::sort(out.begin(), out.end());
  LMX_CHECK(std::adjacent_find(out.begin(), out.end()) == out.end(), ValueError, op,
            "repeated axis");
  return out;
}

Shape reduced_shape(const Shape& s, const std::vector<int>& axes) {
  Shape out = s;
  for (int a : axes) out[a] = 1;
  return out;
}

Array finish(const Array& r, const std::vector<int>& axes, bool keepdims) {
  return keepdims ? r : squeeze(r, axes);
}

Array reduce(ReduceOp op, const Array& a, const Axes& axes_in, bool keepdims, const char* name) {
  auto axes = normalize_axes(axes_in, a.ndim(), name);
  Dtype dt = a.dtype();
  if (op == ReduceOp::all || op == ReduceOp::any) {
    dt = Dtype::bool_;
  } else if (op == ReduceOp::sum || op == ReduceOp::prod) {
    // As MLX: bool and small signed ints give int32, small unsigned ints uint32.
    if (dt == Dtype::bool_ || dt == Dtype::int8 || dt == Dtype::int16)
      dt = Dtype::int32;
    else if (dt == Dtype::uint8 || dt == Dtype::uint16)
      dt = Dtype::uint32;
  }
  if (op == ReduceOp::max || op == ReduceOp::min)
    for (int ax : axes)
      LMX_CHECK(a.shape()[ax] > 0, ValueError, name, "cannot reduce an empty axis {}", ax);
  if (axes.empty()) return a.dtype() == dt ? a : astype(a, dt);
  Array in = a.dtype() == dt || dt == Dtype::bool_ ? a : astype(a, dt);
  Array r = apply(std::make_shared<Reduce>(op, axes), {in}, reduced_shape(a.shape(), axes), dt);
  return finish(r, axes, keepdims);
}

}  // namespace

const char* Reduce::name() const {
  static const char* names[] = {"sum", "prod", "max", "min", "all", "any"};
  return names[int(op_)];
}

Array sum(const Array& a, const Axes& axes, bool keepdims) {
  return reduce(ReduceOp::sum, a, axes, keepdims, "sum");
}
Array sum(const Array& a, int axis, bool keepdims) { return sum(a, Axes{axis}, keepdims); }
Array prod(const Array& a, const Axes& axes, bool keepdims) {
  return reduce(ReduceOp::prod, a, axes, keepdims, "prod");
}
Array prod(const Array& a, int axis, bool keepdims) { return prod(a, Axes{axis}, keepdims); }
Array max(const Array& a, const Axes& axes, bool keepdims) {
  return reduce(ReduceOp::max, a, axes, keepdims, "max");
}
Array max(const Array& a, int axis, bool keepdims) { return max(a, Axes{axis}, keepdims); }
Array min(const Array& a, const Axes& axes, bool keepdims) {
  return reduce(ReduceOp::min, a, axes, keepdims, "min");
}
Array min(const Array& a, int axis, bool keepdims) { return min(a, Axes{axis}, keepdims); }
Array all(const Array& a, const Axes& axes, bool keepdims) {
  return reduce(ReduceOp::all, a, axes, keepdims, "all");
}
Array any(const Array& a, const Axes& axes, bool keepdims) {
  return reduce(ReduceOp::any, a, axes, keepdims, "any");
}

Array all(const Array& a, int axis, bool keepdims) { return all(a, Axes{axis}, keepdims); }
Array any(const Array& a, int axis, bool keepdims) { return any(a, Axes{axis}, keepdims); }

Array mean(const Array& a, const Axes& axes_in, bool keepdims) {
  auto axes = normalize_axes(axes_in, a.ndim(), "mean");
  int64_t n = 1;
  for (int ax : axes) n *= a.shape()[ax];
  Array x = is_floating(a.dtype()) ? a : astype(a, Dtype::float32);
  Array s = sum(x, axes, keepdims);
  return multiply(s, Array(float(1.0 / double(std::max<int64_t>(n, 1)))));
}
Array mean(const Array& a, int axis, bool keepdims) { return mean(a, Axes{axis}, keepdims); }

Array var(const Array& a, const Axes& axes_in, bool keepdims, int ddof) {
  auto axes = normalize_axes(axes_in, a.ndim(), "var");
  int64_t n = 1;
  for (int ax : axes) n *= a.shape()[ax];
  Array x = is_floating(a.dtype()) ? a : astype(a, Dtype::float32);
  Array mu = mean(x, axes, true);
  Array ss = sum(square(subtract(x, mu)), axes, keepdims);
  return multiply(ss, Array(float(1.0 / double(std::max<int64_t>(n - ddof, 0)))));
}

Array std(const Array& a, const Axes& axes, bool keepdims, int ddof) {
  return sqrt(var(a, axes, keepdims, ddof));
}

Array logsumexp(const Array& a, const Axes& axes_in, bool keepdims) {
  auto axes = normalize_axes(axes_in, a.ndim(), "logsumexp");
  Array x = is_floating(a.dtype()) ? a : astype(a, Dtype::float32);
  if (axes.size() == 1 && axes[0] == a.ndim() - 1 && a.shape(-1) > 0) {
    Array r = apply(std::make_shared<LogSumExp>(), {x}, reduced_shape(x.shape(), axes), x.dtype());
    return finish(r, axes, keepdims);
  }
  // Move the axes last, flatten them, and use the fused kernel.
  std::vector<int> perm;
  for (int i = 0; i < a.ndim(); ++i)
    if (!std::binary_search(axes.begin(), axes.end(), i)) perm.push_back(i);
  Shape kept;
  for (int i : perm) kept.push_back(a.shape()[i]);
  perm.insert(perm.end(), axes.begin(), axes.end());
  Shape flat = kept;
  flat.push_back(-1);
  Array r = logsumexp(reshape(transpose(x, perm), flat), Axes{-1}, false);
  return keepdims ? reshape(r, reduced_shape(a.shape(), axes)) : r;
}
Array logsumexp(const Array& a, int axis, bool keepdims) {
  return logsumexp(a, Axes{axis}, keepdims);
}

Array argmax(const Array& a, int axis, bool keepdims) {
  int ax = normalize_axis(axis, a.ndim(), "argmax");
  LMX_CHECK(a.shape()[ax] > 0, ValueError, "argmax", "empty axis {}", axis);
  Array r = apply(std::make_shared<ArgReduce>(true, ax), {a}, reduced_shape(a.shape(), {ax}),
                  Dtype::uint32);
  return keepdims ? r : squeeze(r, {ax});
}
Array argmin(const Array& a, int axis, bool keepdims) {
  int ax = normalize_axis(axis, a.ndim(), "argmin");
  LMX_CHECK(a.shape()[ax] > 0, ValueError, "argmin", "empty axis {}", axis);
  Array r = apply(std::make_shared<ArgReduce>(false, ax), {a}, reduced_shape(a.shape(), {ax}),
                  Dtype::uint32);
  return keepdims ? r : squeeze(r, {ax});
}
Array argmax(const Array& a) { return argmax(flatten(a), 0); }

Array softmax(const Array& a, const Axes& axes_in, bool precise) {
  auto axes = normalize_axes(axes_in, a.ndim(), "softmax");
  Array x = is_floating(a.dtype()) ? a : astype(a, Dtype::float32);
  if (axes.size() == 1 && axes[0] == a.ndim() - 1)
    return apply(std::make_shared<Softmax>(precise), {x}, x.shape(), x.dtype());
  Array m = stop_gradient(max(x, axes, true));
  Array e = exp(subtract(x, m));
  return divide(e, sum(e, axes, true));
}
Array softmax(const Array& a, int axis, bool precise) { return softmax(a, Axes{axis}, precise); }

Array log_softmax(const Array& a, int axis) {
  Array x = is_floating(a.dtype()) ? a : astype(a, Dtype::float32);
  return subtract(x, logsumexp(x, Axes{axis}, true));
}

// --- vjps ---

std::vector<Array> Reduce::vjp(const std::vector<Array>& primals, const std::vector<Array>& cots,
                               const std::vector<int>&, const std::vector<Array>& outputs) {
  const Array& x = primals[0];
  const Array& g = cots[0];  // reduced axes kept as size 1
  switch (op_) {
    case ReduceOp::sum:
      return {broadcast_to(g, x.shape())};
    case ReduceOp::prod: {
      // d/dx_i prod = prod / x_i (inputs with zeros are not handled specially)
      return {multiply(broadcast_to(multiply(g, outputs[0]), x.shape()), reciprocal(x))};
    }
    case ReduceOp::max:
    case ReduceOp::min: {
      // Split the gradient evenly between tied extrema.
      Array mask = astype(equal(x, outputs[0]), g.dtype());
      Array count = sum(mask, axes_, true);
      return {multiply(mask, divide(g, count))};
    }
    default:
      return {zeros_like(x)};
  }
}

std::vector<Array> Softmax::vjp(const std::vector<Array>&, const std::vector<Array>& cots,
                                const std::vector<int>&, const std::vector<Array>& outputs) {
  const Array& y = outputs[0];
  Array gy = multiply(cots[0], y);
  return {subtract(gy, multiply(y, sum(gy, Axes{-1}, true)))};
}

std::vector<Array> LogSumExp::vjp(const std::vector<Array>& primals, const std::vector<Array>& cots,
                                  const std::vector<int>&, const std::vector<Array>& outputs) {
  return {multiply(cots[0], exp(subtract(primals[0], outputs[0])))};
}

}  // namespace lmx
