// SPDX-License-Identifier: MIT
#include "lmx/core/array.h"

#include <cstring>

#include "lmx/core/backend_api.h"
#include "lmx/core/error.h"
#include "lmx/core/ops.h"

namespace lmx {

int64_t shape_size(const Shape& shape) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

Strides row_major_strides(const Shape& shape) {
  Strides s(shape.size());
  int64_t acc = 1;
  for (int i = int(shape.size()) - 1; i >= 0; --i) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

std::string shape_str(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

namespace {

bool compute_contiguous(const Shape& shape, const Strides& strides) {
  int64_t acc = 1;
  for (int i = int(shape.size()) - 1; i >= 0; --i) {
    if (shape[i] == 1) continue;
    if (strides[i] != acc) return false;
    acc *= shape[i];
  }
  return true;
}

std::shared_ptr<Array::Impl> make_impl(Shape shape, Dtype dtype, Device device) {
  for (auto d : shape)
    LMX_CHECK(d >= 0, ValueError, "array", "negative dimension in shape {}", shape_str(shape));
  auto impl = std::make_shared<Array::Impl>();
  impl->strides = row_major_strides(shape);
  impl->shape = std::move(shape);
  impl->dtype = dtype;
  impl->device = device;
  return impl;
}

void copy_from_host(const Array& a, const void* host) {
  if (a.nbytes() == 0) return;
  if (a.device().type == DeviceType::cuda)
    cuda::copy_to_device(a.raw_data(), host, a.nbytes(), a.device().index);
  else
    std::memcpy(a.raw_data(), host, a.nbytes());
}

Array scalar(double v, Dtype dtype, bool weak) {
  Array a = Array::empty({}, dtype, default_device());
  dispatch_dtype(dtype, [&](auto t) {
    using T = decltype(t);
    T x;
    if constexpr (std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>)
      x = T(float(v));
    else
      x = static_cast<T>(v);
    copy_from_host(a, &x);
  });
  a.impl()->weak = weak;
  return a;
}

}  // namespace

Array::Array(float value) : Array(scalar(value, Dtype::float32, true)) {}
Array::Array(double value) : Array(scalar(value, Dtype::float32, true)) {}
Array::Array(int value) : Array(scalar(value, Dtype::int32, true)) {}
Array Array::from_bool(bool value) { return scalar(value, Dtype::bool_, true); }
Array::Array(double value, Dtype dtype) : Array(scalar(value, dtype, false)) {}

Array::Array(const void* host, Shape shape, Dtype dtype, Device device)
    : Array(empty(std::move(shape), dtype, device)) {
  copy_from_host(*this, host);
}

Array Array::borrow(const void* data, Shape shape, Dtype dtype, std::shared_ptr<const void> owner,
                    Device device) {
  auto impl = make_impl(std::move(shape), dtype, device);
  size_t bytes = size_t(shape_size(impl->shape)) * size_of(dtype);
  impl->buffer = lmx::borrow(data, bytes, device, std::move(owner));
  return Array(std::move(impl));
}

Array Array::empty(Shape shape, Dtype dtype, Device device) {
  Array a(make_impl(std::move(shape), dtype, device));
  a.allocate();
  return a;
}

Array Array::placeholder(Shape shape, Dtype dtype, Device device) {
  return Array(make_impl(std::move(shape), dtype, device));
}

void Array::allocate() {
  impl_->strides = row_major_strides(impl_->shape);
  impl_->offset = 0;
  impl_->contiguous = true;
  impl_->buffer = lmx::allocate(std::max<size_t>(nbytes(), 1), impl_->device);
}

void Array::set_data(std::shared_ptr<Buffer> buf, Strides strides, int64_t offset) {
  impl_->buffer = std::move(buf);
  impl_->contiguous = compute_contiguous(impl_->shape, strides);
  impl_->strides = std::move(strides);
  impl_->offset = offset;
}

Array Array::view(Shape shape, Strides strides, int64_t offset) const {
  auto impl = std::make_shared<Impl>();
  impl->contiguous = compute_contiguous(shape, strides);
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = impl_->dtype;
  impl->device = impl_->device;
  impl->buffer = impl_->buffer;
  return Array(std::move(impl));
}

static const Array::Impl& checked(const std::shared_ptr<Array::Impl>& p) {
  if (!p) throw ValueError("[array] operation on a null array");
  return *p;
}

const Shape& Array::shape() const { return checked(impl_).shape; }
int64_t Array::shape(int axis) const {
  int n = ndim();
  int ax = axis < 0 ? axis + n : axis;
  LMX_CHECK(ax >= 0 && ax < n, ValueError, "shape", "axis {} out of range for {} dims", axis, n);
  return impl_->shape[ax];
}
const Strides& Array::strides() const { return checked(impl_).strides; }
int64_t Array::offset() const { return checked(impl_).offset; }
int64_t Array::size() const { return shape_size(shape()); }
Dtype Array::dtype() const { return checked(impl_).dtype; }
Device Array::device() const { return checked(impl_).device; }
bool Array::is_contiguous() const { return checked(impl_).contiguous; }
const std::shared_ptr<Buffer>& Array::buffer() const { return checked(impl_).buffer; }

void* Array::raw_data() const {
  const auto& im = checked(impl_);
  if (!im.buffer) throw ValueError("[array] array has no data");
  return static_cast<char*>(im.buffer->data()) + im.offset * int64_t(size_of(im.dtype));
}

namespace {
// Row-major host copy of `a` as raw bytes of its dtype.
std::vector<char> host_bytes(const Array& a) {
  Array c = contiguous(a);
  std::vector<char> out(c.nbytes());
  if (out.empty()) return out;
  if (c.device().type == DeviceType::cuda)
    cuda::copy_to_host(out.data(), c.raw_data(), c.nbytes(), c.device().index);
  else
    std::memcpy(out.data(), c.raw_data(), c.nbytes());
  return out;
}

template <typename T, typename S>
T convert(S s) {
  if constexpr (std::is_same_v<S, float16> || std::is_same_v<S, bfloat16>)
    return static_cast<T>(float(s));
  else if constexpr (std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>)
    return T(float(s));
  else
    return static_cast<T>(s);
}
}  // namespace

template <typename T>
std::vector<T> Array::to_vector() const {
  auto bytes = host_bytes(*this);
  std::vector<T> out(static_cast<size_t>(size()));
  dispatch_dtype(dtype(), [&](auto s) {
    using S = decltype(s);
    const S* src = reinterpret_cast<const S*>(bytes.data());
    for (size_t i = 0; i < out.size(); ++i) out[i] = convert<T>(src[i]);
  });
  return out;
}

template <typename T>
T Array::item() const {
  LMX_CHECK(size() == 1, ValueError, "item", "array of shape {} has {} elements, not 1",
            shape_str(shape()), size());
  return to_vector<T>()[0];
}

#define LMX_INSTANTIATE(T)                          \
  template std::vector<T> Array::to_vector() const; \
  template T Array::item() const;
LMX_INSTANTIATE(bool)
LMX_INSTANTIATE(uint8_t)
LMX_INSTANTIATE(int8_t)
LMX_INSTANTIATE(uint16_t)
LMX_INSTANTIATE(int16_t)
LMX_INSTANTIATE(uint32_t)
LMX_INSTANTIATE(int32_t)
LMX_INSTANTIATE(int64_t)
LMX_INSTANTIATE(float16)
LMX_INSTANTIATE(bfloat16)
LMX_INSTANTIATE(float)
LMX_INSTANTIATE(double)
#undef LMX_INSTANTIATE

}  // namespace lmx
