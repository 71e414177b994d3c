// SPDX-License-Identifier: MIT
// Creating arrays, changing dtype and device, making data contiguous.
#pragma once

#include "lmx/core/array.h"

namespace lmx {

Array zeros(const Shape& shape, Dtype dtype = Dtype::float32);
Array ones(const Shape& shape, Dtype dtype = Dtype::float32);
// An array of `shape` filled with `value` (a scalar array), in `dtype`.
Array full(const Shape& shape, const Array& value, Dtype dtype);
Array full(const Shape& shape, double value, Dtype dtype = Dtype::float32);
Array zeros_like(const Array& a);
Array ones_like(const Array& a);
Array full_like(const Array& a, double value);
// [start, stop) in steps of `step`.
Array arange(double start, double stop, double step = 1.0, Dtype dtype = Dtype::float32);
Array arange(int64_t stop, Dtype dtype = Dtype::int32);
// `num` evenly spaced values from start to stop inclusive.
Array linspace(double start, double stop, int64_t num, Dtype dtype = Dtype::float32);
// n x m with ones on diagonal k.
Array eye(int64_t n, int64_t m = -1, int64_t k = 0, Dtype dtype = Dtype::float32);
Array identity(int64_t n, Dtype dtype = Dtype::float32);

// Converts the values to `dtype` (round to nearest even for floats, C casts for ints).
Array astype(const Array& a, Dtype dtype);
// `a` itself if row-major dense, else a dense copy.
Array contiguous(const Array& a);
// A dense copy that shares nothing with `a`.
Array copy(const Array& a);
// The same values on another device.
Array to_device(const Array& a, Device device);
// Stops gradients flowing through `a` (identity otherwise).
Array stop_gradient(const Array& a);

}  // namespace lmx
