// SPDX-License-Identifier: MIT
#include "lmx/nn/layers.h"

#include "lmx/core/error.h"
#include "lmx/core/fast.h"
#include "lmx/core/ops.h"
#include "lmx/core/quantized.h"

namespace lmx::nn {

namespace {
Array param(Shape shape, Dtype dtype = Dtype::float32) {
  return Array::placeholder(std::move(shape), dtype, default_device());
}
}  // namespace

Linear::Linear(int64_t in, int64_t out, bool bias) : in_(in), out_(out), has_bias_(bias) {
  weight = param({out, in});
  register_parameter("weight", weight);
  if (bias) {
    this->bias = param({out});
    register_parameter("bias", this->bias);
  }
}

Array Linear::operator()(const Array& x) {
  LMX_CHECK(x.shape(-1) == in_, ShapeError, "Linear", "input has {} features, the layer expects {}",
            x.shape(-1), in_);
  Array y = matmul(x, transpose(weight));
  return has_bias_ ? add(y, bias) : y;
}

QuantizedLinear::QuantizedLinear(int64_t in, int64_t out, bool bias, QuantParams q)
    : Linear(in, out, bias), q_(std::move(q)) {
  LMX_CHECK(in % q_.group_size == 0, ValueError, "QuantizedLinear",
            "input features {} are not a multiple of the group size {}", in, q_.group_size);
  weight = param({out, in * q_.bits / 32}, Dtype::uint32);
  scales = param({out, in / q_.group_size});
  biases = param({out, in / q_.group_size});
  register_parameter("scales", scales);
  register_parameter("biases", biases);
}

Array QuantizedLinear::operator()(const Array& x) {
  LMX_CHECK(x.shape(-1) == in_, ShapeError, "QuantizedLinear",
            "input has {} features, the layer expects {}", x.shape(-1), in_);
  Array y = quantized_matmul(x, weight, scales, biases, true, q_.group_size, q_.bits, q_.mode);
  return has_bias_ ? add(y, bias) : y;
}

Embedding::Embedding(int64_t num, int64_t dims) : num_(num), dims_(dims) {
  weight = param({num, dims});
  register_parameter("weight", weight);
}

Array Embedding::operator()(const Array& ids) { return take(weight, ids, 0); }

Array Embedding::as_linear(const Array& x) { return matmul(x, transpose(weight)); }

QuantizedEmbedding::QuantizedEmbedding(int64_t num, int64_t dims, QuantParams q)
    : Embedding(num, dims), q_(std::move(q)) {
  weight = param({num, dims * q_.bits / 32}, Dtype::uint32);
  scales = param({num, dims / q_.group_size});
  biases = param({num, dims / q_.group_size});
  register_parameter("scales", scales);
  register_parameter("biases", biases);
}

Array QuantizedEmbedding::operator()(const Array& ids) {
  Array w = take(weight, ids, 0);
  Array s = take(scales, ids, 0);
  Array b = take(biases, ids, 0);
  return dequantize(w, s, b, q_.group_size, q_.bits, q_.mode);
}

Array QuantizedEmbedding::as_linear(const Array& x) {
  return quantized_matmul(x, weight, scales, biases, true, q_.group_size, q_.bits, q_.mode);
}

RMSNorm::RMSNorm(int64_t dims, float eps, float offset) : eps_(eps), offset_(offset) {
  weight = param({dims});
  register_parameter("weight", weight);
}

Array RMSNorm::operator()(const Array& x) {
  Array w = offset_ != 0.0f ? add(weight, Array(offset_)) : weight;
  return fast::rms_norm(x, w, eps_);
}

LayerNorm::LayerNorm(int64_t dims, float eps, LayerNormOptions options) : eps_(eps), o_(options) {
  if (!o_.affine) return;
  Shape shape = o_.heads > 0 ? Shape{o_.heads, dims} : Shape{dims};
  weight = param(shape);
  register_parameter("weight", weight);
  if (o_.bias) {
    bias = param(shape);
    register_parameter("bias", bias);
  }
}

Array LayerNorm::operator()(const Array& x) {
  Array w = o_.affine && o_.offset != 0.0f ? add(weight, Array(o_.offset)) : weight;
  if (o_.heads == 0) return fast::layer_norm(x, w, bias, eps_);
  // Per-head parameters (heads, dims) broadcast over x (..., heads, dims).
  Array y = fast::layer_norm(x, Array(), Array(), eps_);
  if (w.valid()) y = multiply(y, w);
  return bias.valid() ? add(y, bias) : y;
}

}  // namespace lmx::nn
