// SPDX-License-Identifier: MIT
#include "lmx/core/ops_creation.h"

#include <cmath>

#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives.h"

namespace lmx {

Array full(const Shape& shape, const Array& value, Dtype dtype) {
  LMX_CHECK(value.size() == 1 || value.shape().size() <= shape.size(), ShapeError, "full",
            "value of shape {} does not fit {}", shape_str(value.shape()), shape_str(shape));
  Array v = value.dtype() == dtype ? value : astype(value, dtype);
  return copy(broadcast_to(v, shape));
}

Array full(const Shape& shape, double value, Dtype dtype) {
  return full(shape, Array(value, dtype), dtype);
}
Array zeros(const Shape& shape, Dtype dtype) { return full(shape, 0.0, dtype); }
Array ones(const Shape& shape, Dtype dtype) { return full(shape, 1.0, dtype); }
Array zeros_like(const Array& a) { return full(a.shape(), 0.0, a.dtype()); }
Array ones_like(const Array& a) { return full(a.shape(), 1.0, a.dtype()); }
Array full_like(const Array& a, double value) { return full(a.shape(), value, a.dtype()); }

Array arange(double start, double stop, double step, Dtype dtype) {
  LMX_CHECK(step != 0, ValueError, "arange", "step is 0");
  double n = std::ceil((stop - start) / step);
  int64_t size = n > 0 ? int64_t(n) : 0;
  return apply(std::make_shared<Arange>(start, step), {}, Shape{size}, dtype);
}

Array arange(int64_t stop, Dtype dtype) { return arange(0.0, double(stop), 1.0, dtype); }

Array linspace(double start, double stop, int64_t num, Dtype dtype) {
  LMX_CHECK(num >= 0, ValueError, "linspace", "negative num {}", num);
  if (num == 1) return full({1}, start, dtype);
  double step = num > 1 ? (stop - start) / double(num - 1) : 0.0;
  Array r = add(multiply(arange(num, Dtype::float32), Array(float(step))), Array(float(start)));
  return astype(r, dtype);
}

Array eye(int64_t n, int64_t m, int64_t k, Dtype dtype) {
  if (m < 0) m = n;
  Array rows = reshape(arange(n, Dtype::int64), {n, 1});
  Array cols = reshape(arange(m, Dtype::int64), {1, m});
  return astype(equal(add(rows, Array(double(k), Dtype::int64)), cols), dtype);
}

Array identity(int64_t n, Dtype dtype) { return eye(n, n, 0, dtype); }

Array astype(const Array& a, Dtype dtype) {
  if (a.dtype() == dtype) return a;
  return apply(std::make_shared<AsType>(), {a}, a.shape(), dtype);
}

Array contiguous(const Array& a) {
  if (a.is_contiguous()) return a;
  return copy(a);
}

Array copy(const Array& a) { return apply(std::make_shared<AsType>(), {a}, a.shape(), a.dtype()); }

Array to_device(const Array& a, Device device) {
  if (a.device() == device) return a;
  if (device.type == DeviceType::cuda && !cuda_available())
    raise<DeviceError>("to_device", "{} is not available in this build or machine", device.str());
  Array c = contiguous(a);
  Array out = Array::placeholder(c.shape(), c.dtype(), device);
  std::vector<Array> outs{out};
  ToDevice p;
  if (device.type == DeviceType::cuda || c.device().type == DeviceType::cuda)
    p.eval_cuda({c}, outs);
  else
    p.eval_cpu({c}, outs);
  return outs[0];
}

void StopGradient::eval(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  outputs[0].set_data(inputs[0].buffer(), inputs[0].strides(), inputs[0].offset());
}

std::vector<Array> StopGradient::vjp(const std::vector<Array>& primals, const std::vector<Array>&,
                                     const std::vector<int>& argnums, const std::vector<Array>&) {
  return {zeros_like(primals[0])};
}

Array stop_gradient(const Array& a) {
  return apply(std::make_shared<StopGradient>(), {a}, a.shape(), a.dtype());
}

}  // namespace lmx
