// SPDX-License-Identifier: MIT
// Indexing: take, gather, scatter, slice updates, triangular masks.
#pragma once

#include <vector>

#include "lmx/core/array.h"

namespace lmx {

// Elements of `a` at integer `indices` along `axis` (negative indices count from the end).
// Result shape: a.shape[:axis] + indices.shape + a.shape[axis+1:].
Array take(const Array& a, const Array& indices, int axis);
// Elements of the flattened `a` at `indices`.
Array take(const Array& a, const Array& indices);
// Picks along `axis` with `indices` broadcast against `a` (as numpy.take_along_axis).
Array take_along_axis(const Array& a, const Array& indices, int axis);
// Writes `values` into a copy of `a` at `indices` along `axis`.
Array put_along_axis(const Array& a, const Array& indices, const Array& values, int axis);

// MLX's gather: indices[i] indexes axis axes[i] of `a` (all indices broadcast together to
// shape I); each picks a block of `slice_sizes`. Result shape: I + slice_sizes.
Array gather(const Array& a, const std::vector<Array>& indices, const std::vector<int>& axes,
             const Shape& slice_sizes);
// MLX's scatter: writes `updates` (shape I + slice shape) into a copy of `a` at the
// positions given as in gather. scatter sets (last write wins), scatter_add adds.
Array scatter(const Array& a, const std::vector<Array>& indices, const Array& updates,
              const std::vector<int>& axes);
Array scatter_add(const Array& a, const std::vector<Array>& indices, const Array& updates,
                  const std::vector<int>& axes);

// A copy of `a` with a[start:stop:strides] = update.
Array slice_update(const Array& a, const Array& update, Shape start, Shape stop,
                   Shape strides = {});
// Writes `src` (broadcast) into the memory `dst` views, in place. For caches that own
// their buffers (KV caches); not differentiable.
void assign(const Array& dst, const Array& src);

// Lower/upper triangle of the last two axes (diagonal k kept); tri makes a 0/1 matrix.
Array tril(const Array& a, int k = 0);
Array triu(const Array& a, int k = 0);
Array tri(int64_t n, int64_t m = -1, int k = 0, Dtype dtype = Dtype::float32);

namespace detail {
// The strided window of `shape` at normalized `start` with `steps` (a view).
Array window(const Array& a, const Shape& start, const Shape& steps, const Shape& shape);
// A copy of `a` with that window (of update's shape) replaced by `update`.
Array window_update(const Array& a, const Array& update, const Shape& start, const Shape& steps);
}  // namespace detail

}  // namespace lmx
