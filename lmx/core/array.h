// SPDX-License-Identifier: MIT
// Array: an n-dimensional, strided view of a Buffer on a device. Arrays are cheap handles
// (copying one shares the data) and values are immutable: operations return new arrays.
// Views (reshape of contiguous data, transpose, slicing, broadcasting) share the buffer.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "lmx/core/allocator.h"
#include "lmx/core/device.h"
#include "lmx/core/dtype.h"

namespace lmx {

using Shape = std::vector<int64_t>;
using Strides = std::vector<int64_t>;  // in elements

class Primitive;
struct Node;

// Number of elements of a shape.
int64_t shape_size(const Shape& shape);
// Row-major (C order) strides of a shape.
Strides row_major_strides(const Shape& shape);
// "(2, 3, 4)".
std::string shape_str(const Shape& shape);

class Array {
 public:
  // A null array (no data); most operations reject it.
  Array() = default;

  // A scalar of the given dtype (default: the C++ type's).
  // Scalars from C++ values are "weak" as in MLX: in a binary op with an array they take
  // that array's dtype (a float scalar with an integer array gives float32).
  Array(float value);   // NOLINT(google-explicit-constructor)
  Array(double value);  // NOLINT(google-explicit-constructor): float32
  Array(int value);     // NOLINT(google-explicit-constructor): int32
  // Exactly bool (a template, so pointers and other types do not convert silently).
  template <typename B, std::enable_if_t<std::is_same_v<B, bool>, int> = 0>
  Array(B value) : Array(from_bool(value)) {}  // NOLINT(google-explicit-constructor)
  // A scalar of an explicit dtype (not weak).
  Array(double value, Dtype dtype);

  // Copies host values into a new array of `shape` on the default device.
  template <typename T>
  Array(std::span<const T> values, Shape shape) : Array(values.data(), std::move(shape), dtype_of_v<T>) {}
  template <typename T>
  Array(std::initializer_list<T> values, Shape shape)
      : Array(std::data(values), std::move(shape), dtype_of_v<T>) {}
  template <typename T>
  Array(const std::vector<T>& values, Shape shape)
      : Array(values.data(), std::move(shape), dtype_of_v<T>) {}
  // 1-D from a list of values.
  template <typename T>
  Array(std::initializer_list<T> values)
      : Array(std::data(values), Shape{int64_t(values.size())}, dtype_of_v<T>) {}
  // Copies `shape_size(shape)` elements of `dtype` from host memory.
  Array(const void* host, Shape shape, Dtype dtype, Device device = default_device());

  // An array over existing memory without copying (e.g. a memory-mapped tensor);
  // `owner` stays alive as long as any view of the array.
  static Array borrow(const void* data, Shape shape, Dtype dtype,
                      std::shared_ptr<const void> owner, Device device = kCpu);
  // A fresh row-major array with uninitialized contents (for kernels and loaders).
  static Array empty(Shape shape, Dtype dtype, Device device = default_device());

  bool valid() const { return impl_ != nullptr; }
  const Shape& shape() const;
  // Size of one axis; negative axes count from the end.
  int64_t shape(int axis) const;
  const Strides& strides() const;
  int64_t offset() const;  // elements from the buffer start
  int ndim() const { return int(shape().size()); }
  int64_t size() const;
  Dtype dtype() const;
  size_t itemsize() const { return size_of(dtype()); }
  size_t nbytes() const { return size_t(size()) * itemsize(); }
  Device device() const;

  // Row-major and dense: element i is at data() + i.
  bool is_contiguous() const;
  // Pointer to element (0, ..., 0); only for arrays on the cpu unless `any_device`.
  void* raw_data() const;
  template <typename T>
  T* data() const {
    return static_cast<T*>(raw_data());
  }
  const std::shared_ptr<Buffer>& buffer() const;

  // The value of a one-element array, converted to T (copies from the device).
  template <typename T>
  T item() const;
  // All values in row-major order, converted to T (copies from the device).
  template <typename T>
  std::vector<T> to_vector() const;

  // Identity of the underlying node (two handles of the same array compare equal).
  const void* id() const { return impl_.get(); }

  // --- internals used by ops, backends and autograd ---
  static Array from_bool(bool value);
  struct Impl;
  explicit Array(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  const std::shared_ptr<Impl>& impl() const { return impl_; }
  // An array with this shape/dtype and no data yet (a primitive's output).
  static Array placeholder(Shape shape, Dtype dtype, Device device);
  // Allocates a row-major buffer for a placeholder.
  void allocate();
  // Sets data for a placeholder: a view of `buf` with the given strides and offset.
  void set_data(std::shared_ptr<Buffer> buf, Strides strides, int64_t offset);
  // A view of this array's buffer with a new shape, strides and offset.
  Array view(Shape shape, Strides strides, int64_t offset) const;

 private:
  std::shared_ptr<Impl> impl_;
};

struct Array::Impl {
  Shape shape;
  Strides strides;
  int64_t offset = 0;
  Dtype dtype = Dtype::float32;
  Device device;
  bool contiguous = true;
  std::shared_ptr<Buffer> buffer;
  // Autograd: the operation that made this array while gradients were being traced.
  std::shared_ptr<Node> node;
  int output_index = 0;
  bool tracked = false;  // depends on an input of value_and_grad
  bool weak = false;     // a scalar from a C++ literal (see the scalar constructors)
};

}  // namespace lmx
