// SPDX-License-Identifier: MIT
// Shape manipulation. These return views sharing the input's data where the layout allows
// (transpose, slicing, broadcasting, expand/squeeze, reshape of contiguous data).
#pragma once

#include <vector>

#include "lmx/core/array.h"

namespace lmx {

// Reshape; one dimension may be -1.
Array reshape(const Array& a, Shape shape);
// Collapses axes start..end (inclusive) into one.
Array flatten(const Array& a, int start_axis = 0, int end_axis = -1);
// Splits `axis` into `shape`.
Array unflatten(const Array& a, int axis, const Shape& shape);
// Permutes axes; no axes reverses them.
Array transpose(const Array& a, const std::vector<int>& axes);
Array transpose(const Array& a);
Array swapaxes(const Array& a, int axis1, int axis2);
Array moveaxis(const Array& a, int source, int destination);
Array expand_dims(const Array& a, int axis);
Array expand_dims(const Array& a, const std::vector<int>& axes);
Array squeeze(const Array& a, const std::vector<int>& axes);
Array squeeze(const Array& a);  // all size-1 axes
Array broadcast_to(const Array& a, const Shape& shape);
// The shape two shapes broadcast to; throws ShapeError if they do not.
Shape broadcast_shapes(const Shape& a, const Shape& b);
std::vector<Array> broadcast_arrays(const std::vector<Array>& arrays);
// a[start:stop:step] along every axis (negative and out-of-range values as in Python).
Array slice(const Array& a, Shape start, Shape stop, Shape strides = {});
// a[start:stop:step] along one axis.
Array slice(const Array& a, int axis, int64_t start, int64_t stop, int64_t step = 1);
// A view with explicit shape, strides and offset (in elements) over a's data.
Array as_strided(const Array& a, Shape shape, Strides strides, int64_t offset = 0);

// Joining and splitting.
Array concatenate(const std::vector<Array>& arrays, int axis = 0);
Array stack(const std::vector<Array>& arrays, int axis = 0);
// Splits into `num_splits` equal parts, or at the given indices.
std::vector<Array> split(const Array& a, int num_splits, int axis = 0);
std::vector<Array> split(const Array& a, const Shape& indices, int axis = 0);
// Pads with a constant: pad_width[i] = {before, after} for axis i.
Array pad(const Array& a, const std::vector<std::pair<int64_t, int64_t>>& pad_width,
          const Array& value = Array(0.0f));
Array repeat(const Array& a, int64_t repeats, int axis);
Array tile(const Array& a, const Shape& reps);

// Normalizes a possibly negative axis; throws ValueError naming `op` when out of range.
int normalize_axis(int axis, int ndim, const char* op);

}  // namespace lmx
