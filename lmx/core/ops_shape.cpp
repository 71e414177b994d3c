// SPDX-License-Identifier: MIT
#include "lmx/core/ops_shape.h"

#include <algorithm>
#include <numeric>

#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives.h"

namespace lmx {

int normalize_axis(int axis, int ndim, const char* op) {
  int ax = axis < 0 ? axis + ndim : axis;
  LMX_CHECK(ax >= 0 && ax < ndim, ValueError, op, "axis {} is out of range for an array of {} dims",
            axis, ndim);
  return ax;
}

void View::eval(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  const Array& in = inputs[0];
  outputs[0].set_data(in.buffer(), strides_, in.offset() + offset_);
}

namespace {

template <typename P, typename... Args>
Array make_view(const Array& a, Shape shape, Strides strides, int64_t offset, Args&&... args) {
  return apply(std::make_shared<P>(std::forward<Args>(args)..., strides, offset), {a},
               std::move(shape), a.dtype());
}

// Strides for viewing `a` with `shape` without copying, if its layout allows.
bool reshape_strides(const Array& a, const Shape& shape, Strides& out) {
  if (a.is_contiguous()) {
    out = row_major_strides(shape);
    return true;
  }
  // Merge the input's dims into contiguous chunks, then split them to the new shape.
  const Shape& s = a.shape();
  const Strides& st = a.strides();
  std::vector<std::pair<int64_t, int64_t>> chunks;  // (size, innermost stride)
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == 1) continue;
    if (!chunks.empty() && chunks.back().second == st[i] * s[i]) {
      chunks.back().first *= s[i];
      chunks.back().second = st[i];
    } else {
      chunks.push_back({s[i], st[i]});
    }
  }
  out.assign(shape.size(), 0);
  size_t c = 0;
  int64_t remaining = chunks.empty() ? 1 : chunks[0].first;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) {
      out[i] = 1;
      continue;
    }
    if (c >= chunks.size()) return false;
    if (remaining % shape[i] != 0) return false;
    remaining /= shape[i];
    out[i] = chunks[c].second * remaining;
    if (remaining == 1) {
      ++c;
      remaining = c < chunks.size() ? chunks[c].first : 1;
    }
  }
  return c >= chunks.size();
}

}  // namespace

Array reshape(const Array& a, Shape shape) {
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      LMX_CHECK(infer < 0, ShapeError, "reshape", "more than one -1 in {}", shape_str(shape));
      infer = int(i);
    } else {
      LMX_CHECK(shape[i] >= 0, ShapeError, "reshape", "negative size in {}", shape_str(shape));
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    LMX_CHECK(known > 0 && a.size() % known == 0, ShapeError, "reshape",
              "cannot reshape array of shape {} into {}", shape_str(a.shape()), shape_str(shape));
    shape[infer] = a.size() / known;
  }
  LMX_CHECK(shape_size(shape) == a.size(), ShapeError, "reshape",
            "cannot reshape array of shape {} into {}", shape_str(a.shape()), shape_str(shape));
  if (shape == a.shape()) return a;
  // Nothing to address: any strides do (and the chunk split below would divide by 0).
  if (a.size() == 0) return make_view<Reshape>(a, shape, row_major_strides(shape), 0);
  Strides strides;
  if (reshape_strides(a, shape, strides)) return make_view<Reshape>(a, shape, strides, 0);
  Array c = contiguous(a);
  return make_view<Reshape>(c, shape, row_major_strides(shape), 0);
}

Array flatten(const Array& a, int start_axis, int end_axis) {
  if (a.ndim() == 0) return reshape(a, {1});
  int s = normalize_axis(start_axis, a.ndim(), "flatten");
  int e = normalize_axis(end_axis, a.ndim(), "flatten");
  if (s > e) return a;
  Shape shape(a.shape().begin(), a.shape().begin() + s);
  int64_t n = 1;
  for (int i = s; i <= e; ++i) n *= a.shape()[i];
  shape.push_back(n);
  shape.insert(shape.end(), a.shape().begin() + e + 1, a.shape().end());
  return reshape(a, shape);
}

Array unflatten(const Array& a, int axis, const Shape& shape) {
  int ax = normalize_axis(axis, a.ndim(), "unflatten");
  Shape s(a.shape().begin(), a.shape().begin() + ax);
  s.insert(s.end(), shape.begin(), shape.end());
  s.insert(s.end(), a.shape().begin() + ax + 1, a.shape().end());
  return reshape(a, s);
}

Array transpose(const Array& a, const std::vector<int>& axes_in) {
  int n = a.ndim();
  LMX_CHECK(int(axes_in.size()) == n, ValueError, "transpose",
            "got {} axes for an array of {} dims", axes_in.size(), n);
  std::vector<int> axes(n);
  std::vector<bool> used(n, false);
  for (int i = 0; i < n; ++i) {
    axes[i] = normalize_axis(axes_in[i], n, "transpose");
    LMX_CHECK(!used[axes[i]], ValueError, "transpose", "axis {} repeated", axes_in[i]);
    used[axes[i]] = true;
  }
  bool identity = true;
  for (int i = 0; i < n; ++i) identity = identity && axes[i] == i;
  if (identity) return a;
  Shape shape(n);
  Strides strides(n);
  for (int i = 0; i < n; ++i) {
    shape[i] = a.shape()[axes[i]];
    strides[i] = a.strides()[axes[i]];
  }
  return apply(std::make_shared<Transpose>(axes, strides, 0), {a}, shape, a.dtype());
}

Array transpose(const Array& a) {
  std::vector<int> axes(a.ndim());
  std::iota(axes.rbegin(), axes.rend(), 0);
  return transpose(a, axes);
}

Array swapaxes(const Array& a, int axis1, int axis2) {
  std::vector<int> axes(a.ndim());
  std::iota(axes.begin(), axes.end(), 0);
  std::swap(axes[normalize_axis(axis1, a.ndim(), "swapaxes")],
            axes[normalize_axis(axis2, a.ndim(), "swapaxes")]);
  return transpose(a, axes);
}

Array moveaxis(const Array& a, int source, int destination) {
  int s = normalize_axis(source, a.ndim(), "moveaxis");
  int d = normalize_axis(destination, a.ndim(), "moveaxis");
  std::vector<int> axes;
  for (int i = 0; i < a.ndim(); ++i)
    if (i != s) axes.push_back(i);
  axes.insert(axes.begin() + d, s);
  return transpose(a, axes);
}

Array expand_dims(const Array& a, const std::vector<int>& axes_in) {
  int n = a.ndim() + int(axes_in.size());
  std::vector<int> axes;
  for (int ax : axes_in) axes.push_back(normalize_axis(ax, n, "expand_dims"));
  std::sort(axes.begin(), axes.end());
  LMX_CHECK(std::adjacent_find(axes.begin(), axes.end()) == axes.end(), ValueError,
            "expand_dims", "repeated axis");
  Shape shape = a.shape();
  for (int ax : axes) shape.insert(shape.begin() + ax, 1);
  return reshape(a, shape);
}

Array expand_dims(const Array& a, int axis) { return expand_dims(a, std::vector<int>{axis}); }

Array squeeze(const Array& a, const std::vector<int>& axes_in) {
  std::vector<bool> drop(a.ndim(), false);
  for (int ax : axes_in) {
    int x = normalize_axis(ax, a.ndim(), "squeeze");
    LMX_CHECK(a.shape()[x] == 1, ShapeError, "squeeze", "axis {} has size {}, not 1", ax,
              a.shape()[x]);
    drop[x] = true;
  }
  Shape shape;
  for (int i = 0; i < a.ndim(); ++i)
    if (!drop[i]) shape.push_back(a.shape()[i]);
  return reshape(a, shape);
}

Array squeeze(const Array& a) {
  std::vector<int> axes;
  for (int i = 0; i < a.ndim(); ++i)
    if (a.shape()[i] == 1) axes.push_back(i);
  return squeeze(a, axes);
}

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1)
      raise<ShapeError>("broadcast", "shapes {} and {} cannot be broadcast", shape_str(a),
                        shape_str(b));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Array broadcast_to(const Array& a, const Shape& shape) {
  if (a.shape() == shape) return a;
  LMX_CHECK(shape.size() >= a.shape().size(), ShapeError, "broadcast_to",
            "cannot broadcast {} to {}", shape_str(a.shape()), shape_str(shape));
  size_t lead = shape.size() - a.shape().size();
  Strides strides(shape.size(), 0);
  for (size_t i = 0; i < a.shape().size(); ++i) {
    int64_t d = a.shape()[i];
    LMX_CHECK(d == shape[lead + i] || d == 1, ShapeError, "broadcast_to",
              "cannot broadcast {} to {}", shape_str(a.shape()), shape_str(shape));
    strides[lead + i] = d == 1 ? 0 : a.strides()[i];
  }
  return make_view<BroadcastTo>(a, shape, strides, 0);
}

std::vector<Array> broadcast_arrays(const std::vector<Array>& arrays) {
  Shape shape;
  for (const auto& a : arrays) shape = broadcast_shapes(shape, a.shape());
  std::vector<Array> out;
  for (const auto& a : arrays) out.push_back(broadcast_to(a, shape));
  return out;
}

Array slice(const Array& a, Shape start, Shape stop, Shape steps) {
  int n = a.ndim();
  if (steps.empty()) steps.assign(n, 1);
  LMX_CHECK(int(start.size()) == n && int(stop.size()) == n && int(steps.size()) == n, ValueError,
            "slice", "start/stop/steps need {} entries for shape {}", n, shape_str(a.shape()));
  Shape shape(n);
  Strides strides(n);
  int64_t offset = 0;
  for (int i = 0; i < n; ++i) {
    int64_t d = a.shape()[i], st = steps[i];
    LMX_CHECK(st != 0, ValueError, "slice", "step 0 on axis {}", i);
    int64_t b = start[i], e = stop[i];
    if (st > 0) {
      b = b < 0 ? std::max<int64_t>(b + d, 0) : std::min(b, d);
      e = e < 0 ? std::max<int64_t>(e + d, 0) : std::min(e, d);
      shape[i] = e > b ? (e - b + st - 1) / st : 0;
    } else {
      b = b < 0 ? std::max<int64_t>(b + d, -1) : std::min(b, d - 1);
      e = e < 0 ? std::max<int64_t>(e + d, -1) : std::min(e, d - 1);
      shape[i] = b > e ? (b - e - st - 1) / (-st) : 0;
    }
    start[i] = b;
    stop[i] = e;
    strides[i] = a.strides()[i] * st;
    if (shape[i] > 0) offset += b * a.strides()[i];
  }
  for (int i = 0; i < n; ++i)
    if (shape[i] == 0) start[i] = 0;
  return apply(std::make_shared<Slice>(start, steps, strides, offset), {a}, shape, a.dtype());
}

Array slice(const Array& a, int axis, int64_t start, int64_t stop, int64_t step) {
  int ax = normalize_axis(axis, a.ndim(), "slice");
  Shape b(a.ndim(), 0), e = a.shape(), s(a.ndim(), 1);
  b[ax] = start;
  e[ax] = stop;
  s[ax] = step;
  return slice(a, b, e, s);
}

Array as_strided(const Array& a, Shape shape, Strides strides, int64_t offset) {
  LMX_CHECK(shape.size() == strides.size(), ValueError, "as_strided",
            "shape {} and {} strides do not match", shape_str(shape), strides.size());
  // Check that every element stays inside the buffer.
  Array c = contiguous(a);
  int64_t lo = offset, hi = offset;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0) lo = hi = offset;
    int64_t span = (shape[i] - 1) * strides[i];
    (span < 0 ? lo : hi) += span;
  }
  LMX_CHECK(lo >= 0 && (shape_size(shape) == 0 || hi < c.size()), ValueError, "as_strided",
            "view reaches outside the {} elements of the array", c.size());
  return make_view<AsStrided>(c, shape, strides, offset);
}

Array concatenate(const std::vector<Array>& arrays, int axis) {
  LMX_CHECK(!arrays.empty(), ValueError, "concatenate", "no arrays given");
  int n = arrays[0].ndim();
  int ax = normalize_axis(axis, n, "concatenate");
  Shape shape = arrays[0].shape();
  Dtype dtype = arrays[0].dtype();
  shape[ax] = 0;
  for (const auto& a : arrays) {
    LMX_CHECK(a.ndim() == n, ShapeError, "concatenate", "arrays have {} and {} dims", n, a.ndim());
    for (int i = 0; i < n; ++i)
      LMX_CHECK(i == ax || a.shape()[i] == arrays[0].shape()[i], ShapeError, "concatenate",
                "shapes {} and {} differ outside axis {}", shape_str(arrays[0].shape()),
                shape_str(a.shape()), axis);
    shape[ax] += a.shape()[ax];
    dtype = promote_types(dtype, a.dtype());
  }
  if (arrays.size() == 1) return astype(arrays[0], dtype);
  std::vector<Array> ins;
  for (const auto& a : arrays) ins.push_back(astype(a, dtype));
  return apply(std::make_shared<Concatenate>(ax), ins, shape, dtype);
}

Array stack(const std::vector<Array>& arrays, int axis) {
  LMX_CHECK(!arrays.empty(), ValueError, "stack", "no arrays given");
  int ax = normalize_axis(axis, arrays[0].ndim() + 1, "stack");
  std::vector<Array> ex;
  for (const auto& a : arrays) {
    LMX_CHECK(a.shape() == arrays[0].shape(), ShapeError, "stack", "shapes {} and {} differ",
              shape_str(arrays[0].shape()), shape_str(a.shape()));
    ex.push_back(expand_dims(a, ax));
  }
  return concatenate(ex, ax);
}

std::vector<Array> split(const Array& a, const Shape& indices, int axis) {
  int ax = normalize_axis(axis, a.ndim(), "split");
  std::vector<Array> out;
  int64_t prev = 0;
  for (size_t i = 0; i <= indices.size(); ++i) {
    int64_t next = i < indices.size() ? indices[i] : a.shape()[ax];
    out.push_back(slice(a, ax, prev, std::max(prev, next)));
    prev = std::max(prev, next);
  }
  return out;
}

std::vector<Array> split(const Array& a, int num_splits, int axis) {
  int ax = normalize_axis(axis, a.ndim(), "split");
  LMX_CHECK(num_splits > 0 && a.shape()[ax] % num_splits == 0, ValueError, "split",
            "axis {} of size {} cannot be split into {} equal parts", axis, a.shape()[ax],
            num_splits);
  Shape idx;
  int64_t part = a.shape()[ax] / num_splits;
  for (int i = 1; i < num_splits; ++i) idx.push_back(i * part);
  return split(a, idx, ax);
}

Array pad(const Array& a, const std::vector<std::pair<int64_t, int64_t>>& pad_width,
          const Array& value) {
  LMX_CHECK(int(pad_width.size()) == a.ndim(), ValueError, "pad",
            "{} pad widths for an array of {} dims", pad_width.size(), a.ndim());
  Shape shape = a.shape(), start(a.ndim()), stop(a.ndim());
  for (int i = 0; i < a.ndim(); ++i) {
    LMX_CHECK(pad_width[i].first >= 0 && pad_width[i].second >= 0, ValueError, "pad",
              "negative pad width on axis {}", i);
    shape[i] += pad_width[i].first + pad_width[i].second;
    start[i] = pad_width[i].first;
    stop[i] = start[i] + a.shape()[i];
  }
  Array base = full(shape, astype(value, a.dtype()), a.dtype());
  return slice_update(base, a, start, stop);
}

Array repeat(const Array& a, int64_t repeats, int axis) {
  int ax = normalize_axis(axis, a.ndim(), "repeat");
  LMX_CHECK(repeats >= 0, ValueError, "repeat", "negative repeats {}", repeats);
  Shape s = a.shape();
  s.insert(s.begin() + ax + 1, repeats);
  Array e = broadcast_to(expand_dims(a, ax + 1), s);
  return flatten(e, ax, ax + 1);
}

Array tile(const Array& a, const Shape& reps_in) {
  int n = std::max<int>(a.ndim(), int(reps_in.size()));
  Shape reps(n - reps_in.size(), 1);
  reps.insert(reps.end(), reps_in.begin(), reps_in.end());
  Shape shape(n - a.ndim(), 1);
  shape.insert(shape.end(), a.shape().begin(), a.shape().end());
  Array x = reshape(a, shape);
  // (r0, d0, r1, d1, ...) broadcast, then merge pairs.
  Shape expanded, bshape, final_shape;
  for (int i = 0; i < n; ++i) {
    expanded.push_back(1);
    expanded.push_back(shape[i]);
    bshape.push_back(reps[i]);
    bshape.push_back(shape[i]);
    final_shape.push_back(reps[i] * shape[i]);
  }
  return reshape(broadcast_to(reshape(x, expanded), bshape), final_shape);
}

}  // namespace lmx
