// SPDX-License-Identifier: MIT
// Slice updates, in-place assignment and triangular masks.
#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives.h"

namespace lmx {

namespace detail {

Array window(const Array& a, const Shape& start, const Shape& steps, const Shape& shape) {
  Strides strides(a.ndim());
  int64_t offset = 0;
  for (int i = 0; i < a.ndim(); ++i) {
    strides[i] = a.strides()[i] * steps[i];
    if (shape[i] > 0) offset += start[i] * a.strides()[i];
  }
  return apply(std::make_shared<Slice>(start, steps, strides, offset), {a}, shape, a.dtype());
}

Array window_update(const Array& a, const Array& update, const Shape& start,
                    const Shape& steps) {
  Array u = update.dtype() == a.dtype() ? update : astype(update, a.dtype());
  return apply(std::make_shared<SliceUpdate>(start, steps), {a, u}, a.shape(), a.dtype());
}

}  // namespace detail

Array slice_update(const Array& a, const Array& update, Shape start, Shape stop, Shape steps) {
  // Normalize the window exactly as slice() does.
  Array win = slice(a, start, stop, steps);
  if (steps.empty()) steps.assign(a.ndim(), 1);
  for (int i = 0; i < a.ndim(); ++i) {
    int64_t d = a.shape()[i], b = start[i];
    if (steps[i] > 0)
      b = b < 0 ? std::max<int64_t>(b + d, 0) : std::min(b, d);
    else
      b = b < 0 ? std::max<int64_t>(b + d, -1) : std::min(b, d - 1);
    start[i] = win.shape()[i] > 0 ? b : 0;
  }
  Array u = broadcast_to(update, win.shape());
  return detail::window_update(a, u, start, steps);
}

void assign(const Array& dst, const Array& src) {
  LMX_CHECK(dst.buffer() != nullptr, ValueError, "assign", "destination has no data");
  Array s = broadcast_to(src, dst.shape());
  if (s.device() != dst.device()) s = to_device(s, dst.device());
  std::vector<Array> outs{dst};
  AsType p;
  if (dst.device().type == DeviceType::cuda)
    p.eval_cuda({s}, outs);
  else
    p.eval_cpu({s}, outs);
}

Array tri(int64_t n, int64_t m, int k, Dtype dtype) {
  if (m < 0) m = n;
  Array rows = reshape(arange(n, Dtype::int64), {n, 1});
  Array cols = reshape(arange(m, Dtype::int64), {1, m});
  return astype(greater_equal(add(rows, Array(double(k), Dtype::int64)), cols), dtype);
}

Array tril(const Array& a, int k) {
  LMX_CHECK(a.ndim() >= 2, ShapeError, "tril", "needs at least 2 dims, got {}",
            shape_str(a.shape()));
  Array mask = tri(a.shape(-2), a.shape(-1), k, Dtype::bool_);
  return where(mask, a, zeros({}, a.dtype()));
}

Array triu(const Array& a, int k) {
  LMX_CHECK(a.ndim() >= 2, ShapeError, "triu", "needs at least 2 dims, got {}",
            shape_str(a.shape()));
  Array mask = tri(a.shape(-2), a.shape(-1), k - 1, Dtype::bool_);
  return where(mask, zeros({}, a.dtype()), a);
}

}  // namespace lmx
