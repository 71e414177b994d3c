// SPDX-License-Identifier: MIT
// Reductions over any axes (empty axes = all), softmax, scans and sorting.
#pragma once

#include <vector>

#include "lmx/core/array.h"

namespace lmx {

using Axes = std::vector<int>;

// sum/prod of bool and small signed integers give int32, of small unsigned integers
// uint32 (as MLX).
Array sum(const Array& a, const Axes& axes = {}, bool keepdims = false);
Array sum(const Array& a, int axis, bool keepdims = false);
Array mean(const Array& a, const Axes& axes = {}, bool keepdims = false);
Array mean(const Array& a, int axis, bool keepdims = false);
Array prod(const Array& a, const Axes& axes = {}, bool keepdims = false);
Array prod(const Array& a, int axis, bool keepdims = false);
Array max(const Array& a, const Axes& axes = {}, bool keepdims = false);
Array max(const Array& a, int axis, bool keepdims = false);
Array min(const Array& a, const Axes& axes = {}, bool keepdims = false);
Array min(const Array& a, int axis, bool keepdims = false);
Array all(const Array& a, const Axes& axes = {}, bool keepdims = false);
Array all(const Array& a, int axis, bool keepdims = false);
Array any(const Array& a, const Axes& axes = {}, bool keepdims = false);
Array any(const Array& a, int axis, bool keepdims = false);
// Variance with `ddof` degrees of freedom removed.
Array var(const Array& a, const Axes& axes = {}, bool keepdims = false, int ddof = 0);
Array std(const Array& a, const Axes& axes = {}, bool keepdims = false, int ddof = 0);
Array logsumexp(const Array& a, const Axes& axes = {}, bool keepdims = false);
Array logsumexp(const Array& a, int axis, bool keepdims = false);
// Index (uint32) of the largest/smallest value along `axis` (first on ties).
Array argmax(const Array& a, int axis, bool keepdims = false);
Array argmin(const Array& a, int axis, bool keepdims = false);
Array argmax(const Array& a);  // over the flattened array

// Numerically stable softmax over `axes` (computed in float32 for 16-bit inputs when
// `precise`).
Array softmax(const Array& a, const Axes& axes, bool precise = false);
Array softmax(const Array& a, int axis = -1, bool precise = false);
Array log_softmax(const Array& a, int axis = -1);

// Scans along one axis.
Array cumsum(const Array& a, int axis, bool reverse = false, bool inclusive = true);
Array cumprod(const Array& a, int axis, bool reverse = false, bool inclusive = true);
Array cummax(const Array& a, int axis, bool reverse = false, bool inclusive = true);
Array cummin(const Array& a, int axis, bool reverse = false, bool inclusive = true);

// Sorting along one axis (ascending, stable). argsort returns uint32 indices.
Array sort(const Array& a, int axis = -1);
Array argsort(const Array& a, int axis = -1);
// Elements/indices arranged so position kth holds the kth smallest, smaller before it
// and larger after it (unordered within each side).
Array partition(const Array& a, int kth, int axis = -1);
Array argpartition(const Array& a, int kth, int axis = -1);
// The k largest values along `axis` (unordered, as MLX).
Array topk(const Array& a, int k, int axis = -1);

}  // namespace lmx
