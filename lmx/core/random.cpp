// SPDX-License-Identifier: MIT
// Samplers built from random bits with ordinary ops, as MLX builds them.
#include "lmx/core/random.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>

#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives_random.h"

namespace lmx::random {

namespace {

struct KeySequence {
  std::mutex mu;
  Array key;
  bool seeded = false;
};

KeySequence& sequence() {
  static KeySequence seq;
  return seq;
}

// The key to use: the given one, or the next of the global sequence.
Array next_key(const Array& k) {
  if (k.valid()) return k;
  auto& seq = sequence();
  std::lock_guard<std::mutex> lock(seq.mu);
  if (!seq.seeded) {
    seq.key = key(uint64_t(std::chrono::system_clock::now().time_since_epoch().count()));
    seq.seeded = true;
  }
  auto [next, out] = random::split(seq.key);
  seq.key = next;
  return out;
}

void check_float(Dtype dtype, const char* op) {
  LMX_CHECK(is_floating(dtype), DtypeError, op, "needs a float dtype, got {}", dtype_name(dtype));
}

void check_fits(const Shape& shape, const Shape& other, const char* op) {
  Shape b = broadcast_shapes(shape, other);
  LMX_CHECK(b == shape, ShapeError, op, "parameters of shape {} do not fit the sample shape {}",
            shape_str(other), shape_str(shape));
}

// The largest value below 1 in `dtype`, as float32.
float below_one(Dtype dtype) {
  switch (dtype) {
    case Dtype::float16: return float16::to_float(uint16_t(float16::from_float(1.0f) - 1));
    case Dtype::bfloat16: return bfloat16::to_float(uint16_t(bfloat16::from_float(1.0f) - 1));
    default: return std::nextafter(1.0f, 0.0f);
  }
}

}  // namespace

void seed(uint64_t s) {
  auto& seq = sequence();
  std::lock_guard<std::mutex> lock(seq.mu);
  seq.key = key(s);
  seq.seeded = true;
}

Array key(uint64_t s) {
  uint32_t k[2] = {uint32_t(s >> 32), uint32_t(s)};
  return Array(k, Shape{2}, Dtype::uint32, kCpu);
}

Array bits(const Shape& shape, int width, const Array& key_in) {
  LMX_CHECK(width == 1 || width == 2 || width == 4, ValueError, "bits",
            "width must be 1, 2 or 4 bytes, got {}", width);
  Array k = next_key(key_in);
  LMX_CHECK(k.dtype() == Dtype::uint32 && k.shape() == Shape{2}, ValueError, "bits",
            "a key is a uint32 array of shape (2,), got {} {}", dtype_name(k.dtype()),
            shape_str(k.shape()));
  Dtype dt = width == 4 ? Dtype::uint32 : width == 2 ? Dtype::uint16 : Dtype::uint8;
  return apply(std::make_shared<RandomBits>(width), {k}, shape, dt);
}

Array split(const Array& key, int num) {
  LMX_CHECK(num >= 0, ValueError, "split", "negative number of keys {}", num);
  return bits({num, 2}, 4, key);
}

std::pair<Array, Array> split(const Array& key) {
  Array ks = random::split(key, 2);
  return {reshape(slice(ks, 0, 0, 1), {2}), reshape(slice(ks, 0, 1, 2), {2})};
}

Array uniform(const Array& low, const Array& high, const Shape& shape, Dtype dtype,
              const Array& key) {
  check_float(dtype, "uniform");
  Array lo = astype(low, dtype), hi = astype(high, dtype);
  Array range = subtract(hi, lo);
  check_fits(shape, range.shape(), "uniform");
  // bits / (2^32 - 1) in [0, 1], capped below 1 so samples stay in [low, high).
  Array u = divide(bits(shape, 4, key), Array(double(std::numeric_limits<uint32_t>::max()),
                                              Dtype::float32));
  u = astype(minimum(u, Array(below_one(dtype), Dtype::float32)), dtype);
  return add(multiply(range, u), lo);
}

Array uniform(const Shape& shape, Dtype dtype, const Array& key) {
  return uniform(Array(0.0, dtype), Array(1.0, dtype), shape, dtype, key);
}

Array normal(const Shape& shape, Dtype dtype, const Array& loc, const Array& scale,
             const Array& key) {
  check_float(dtype, "normal");
  // sqrt(2) erfinv(u) for u uniform in (-1, 1).
  Array u = uniform(Array(std::nextafter(-1.0f, 0.0f), Dtype::float32),
                    Array(1.0, Dtype::float32), shape, Dtype::float32, key);
  Array s = Array(std::sqrt(2.0), dtype);
  if (scale.valid()) s = multiply(s, astype(scale, dtype));
  Array out = multiply(s, astype(erfinv(u), dtype));
  if (loc.valid()) out = add(astype(loc, dtype), out);
  LMX_CHECK(out.shape() == shape, ShapeError, "normal",
            "loc/scale do not fit the sample shape {}", shape_str(shape));
  return out;
}

Array truncated_normal(const Array& lower, const Array& upper, const Shape& shape, Dtype dtype,
                       const Array& key) {
  check_float(dtype, "truncated_normal");
  // Invert the normal CDF between its values at the bounds.
  Array sqrt2 = Array(std::sqrt(2.0), dtype);
  Array lo = astype(lower, dtype), hi = astype(upper, dtype);
  Array a = erf(divide(lo, sqrt2)), b = erf(divide(hi, sqrt2));
  Array out = multiply(sqrt2, erfinv(uniform(a, b, shape, dtype, key)));
  return maximum(minimum(hi, out), lo);
}

Array randint(const Array& low, const Array& high, const Shape& shape, Dtype dtype,
              const Array& key) {
  LMX_CHECK(!is_floating(dtype), DtypeError, "randint", "needs an integer dtype, got {}",
            dtype_name(dtype));
  // Sample in integer space (exact for any bounds): raw bits modulo the range.
  Array lo = astype(low, Dtype::int64), hi = astype(high, Dtype::int64);
  Array range = subtract(hi, lo);
  check_fits(shape, range.shape(), "randint");
  Array safe = where(less_equal(hi, lo), Array(1.0, Dtype::int64), range);
  Array raw;
  if (dtype == Dtype::int64) {
    // 63 bits from two draws (ranges beyond 2^63 are not supported).
    Array k = key.valid() ? key : next_key(key);
    auto [k1, k2] = random::split(k);
    Array hi_bits = astype(right_shift(bits(shape, 4, k2), Array(1.0, Dtype::uint32)),
                           Dtype::int64);
    Array lo_bits = astype(bits(shape, 4, k1), Dtype::int64);
    raw = bitwise_or(left_shift(hi_bits, Array(32.0, Dtype::int64)), lo_bits);
  } else {
    raw = astype(bits(shape, 4, key), Dtype::int64);
  }
  return astype(add(lo, remainder(raw, safe)), dtype);
}

Array bernoulli(const Array& p, const Shape& shape, const Array& key) {
  LMX_CHECK(is_floating(p.dtype()), DtypeError, "bernoulli",
            "the probability p must be a float array, got {}", dtype_name(p.dtype()));
  check_fits(shape, p.shape(), "bernoulli");
  // Compare raw bits with p scaled just past 2^32 - 1, so p >= 1 is always true and
  // p <= 0 always false.
  float upper = std::nextafter(float(std::numeric_limits<uint32_t>::max()),
                               std::numeric_limits<float>::max());
  return less(bits(shape, 4, key), multiply(astype(p, Dtype::float32), Array(upper)));
}

Array bernoulli(const Array& p, const Array& key) { return bernoulli(p, p.shape(), key); }

Array gumbel(const Shape& shape, Dtype dtype, const Array& key) {
  return negative(log(negative(log(uniform(shape, dtype, key)))));
}

namespace {
// Gumbel-max sampling: argmax over `axis` of logits + noise of `shape` with the axis
// inserted at `axis`.
Array categorical_impl(const Array& logits, int axis, const Shape& shape, const Array& key) {
  Shape gshape = shape;
  int offset = axis + int(shape.size()) - logits.ndim() + 1;
  LMX_CHECK(offset >= 0, ShapeError, "categorical", "shape {} does not fit logits of shape {}",
            shape_str(shape), shape_str(logits.shape()));
  gshape.insert(gshape.begin() + offset, logits.shape()[axis]);
  Array g = gumbel(gshape, Dtype::float32, key);
  Array x = add(g, logits);
  LMX_CHECK(x.shape() == gshape, ShapeError, "categorical",
            "shape {} does not fit logits of shape {}", shape_str(shape),
            shape_str(logits.shape()));
  return argmax(x, offset);
}

Shape without_axis(const Shape& s, int axis) {
  Shape out = s;
  out.erase(out.begin() + axis);
  return out;
}
}  // namespace

Array categorical(const Array& logits, int axis, const Array& key) {
  int ax = normalize_axis(axis, logits.ndim(), "categorical");
  return categorical_impl(logits, ax, without_axis(logits.shape(), ax), key);
}

Array categorical(const Array& logits, int axis, int num_samples, const Array& key) {
  int ax = normalize_axis(axis, logits.ndim(), "categorical");
  LMX_CHECK(num_samples >= 0, ValueError, "categorical", "negative num_samples {}",
            num_samples);
  Shape shape = without_axis(logits.shape(), ax);
  shape.push_back(num_samples);
  return categorical_impl(expand_dims(logits, -1), ax, shape, key);
}

Array categorical(const Array& logits, int axis, const Shape& shape, const Array& key) {
  int ax = normalize_axis(axis, logits.ndim(), "categorical");
  check_fits(shape, without_axis(logits.shape(), ax), "categorical");
  return categorical_impl(logits, ax, shape, key);
}

}  // namespace lmx::random
