// SPDX-License-Identifier: MIT
// rope: argument checks, the composite reference and the vjp.
#include <cmath>

#include "lmx/core/error.h"
#include "lmx/core/fast.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives_fast.h"

namespace lmx::fast {

namespace {

// Checks rope's arguments; returns the offset as int32 and x's shape folded to 4-D.
std::pair<Array, Shape> check_rope(const Array& x, int dims, std::optional<float> base,
                                   const Array& offset, const Array& freqs) {
  const char* op = "rope";
  LMX_CHECK(x.valid() && x.ndim() >= 2, ShapeError, op,
            "input must have at least 2 dims (..., L, D), got {}",
            x.valid() ? shape_str(x.shape()) : std::string("a null array"));
  LMX_CHECK(is_floating(x.dtype()), DtypeError, op, "input must be float, got {}",
            dtype_name(x.dtype()));
  LMX_CHECK(dims > 0 && dims % 2 == 0, ValueError, op, "dims must be positive and even, got {}",
            dims);
  LMX_CHECK(dims <= x.shape(-1), ValueError, op, "dims {} exceed the input's {} features", dims,
            x.shape(-1));
  LMX_CHECK(freqs.valid() != base.has_value(), ValueError, op,
            "give exactly one of base and freqs");
  if (freqs.valid())
    LMX_CHECK(freqs.ndim() == 1 && freqs.size() == dims / 2, ShapeError, op,
              "freqs must have shape ({},), got {}", dims / 2, shape_str(freqs.shape()));
  LMX_CHECK(offset.valid() && is_integral(offset.dtype()), DtypeError, op,
            "offset must be an integer array, got {}",
            offset.valid() ? dtype_name(offset.dtype()) : std::string_view("a null array"));
  int64_t B = x.ndim() >= 3 ? x.shape(0) : 1;
  LMX_CHECK(offset.ndim() <= 1 && (offset.size() == 1 || offset.size() == B), ShapeError, op,
            "offset must be a scalar or have {} elements (one per batch row), got shape {}", B,
            shape_str(offset.shape()));
  Shape s4;
  const Shape& s = x.shape();
  int n = x.ndim();
  if (n == 2) {
    s4 = {1, 1, s[0], s[1]};
  } else {
    int64_t heads = 1;
    for (int i = 1; i < n - 2; ++i) heads *= s[i];
    s4 = {s[0], heads, s[n - 2], s[n - 1]};
  }
  return {astype(reshape(offset, {offset.size()}), Dtype::int32), s4};
}

// The composite rotation; forward=false applies the inverse rotation.
Array rope_composite(const Array& x, int dims, bool traditional, float base, float scale,
                     const Array& offset, const Array& freqs, bool forward, const Shape& s4) {
  int64_t B = s4[0], N = s4[1], L = s4[2], D = s4[3], half = dims / 2;
  Array x4 = astype(reshape(x, s4), Dtype::float32);
  Array off = astype(offset, Dtype::float32);
  if (offset.size() > 1) off = reshape(off, {B, 1, 1});
  Array pos = add(arange(0.0, double(L), 1.0, Dtype::float32), off);  // (L) or (B, 1, L)
  pos = multiply(pos, Array(scale));
  Array inv = freqs.valid() ? reciprocal(astype(freqs, Dtype::float32))
                            : exp(multiply(arange(0.0, double(-half), -1.0, Dtype::float32),
                                           Array(float(std::log(base) / double(half)))));
  Array theta = multiply(expand_dims(pos, -1), inv);  // (L, half) or (B, 1, L, half)
  Array c = cos(theta), s = sin(theta);
  if (!forward) s = negative(s);
  Array x1, x2;
  if (traditional) {
    x1 = slice(x4, {0, 0, 0, 0}, {B, N, L, dims}, {1, 1, 1, 2});
    x2 = slice(x4, {0, 0, 0, 1}, {B, N, L, dims}, {1, 1, 1, 2});
  } else {
    x1 = slice(x4, {0, 0, 0, 0}, {B, N, L, half});
    x2 = slice(x4, {0, 0, 0, half}, {B, N, L, dims});
  }
  Array o1 = subtract(multiply(x1, c), multiply(x2, s));
  Array o2 = add(multiply(x1, s), multiply(x2, c));
  Array rot =
      traditional ? reshape(stack({o1, o2}, -1), {B, N, L, dims}) : concatenate({o1, o2}, -1);
  if (dims < D) rot = concatenate({rot, slice(x4, {0, 0, 0, dims}, {B, N, L, D})}, -1);
  return reshape(astype(rot, x.dtype()), x.shape());
}

}  // namespace

Array rope(const Array& x, int dims, bool traditional, std::optional<float> base, float scale,
           int offset, const Array& freqs) {
  return rope(x, dims, traditional, base, scale, Array(offset), freqs);
}

Array rope(const Array& x, int dims, bool traditional, std::optional<float> base, float scale,
           const Array& offset, const Array& freqs) {
  auto [off, s4] = check_rope(x, dims, base, offset, freqs);
  // 4-D without copying where possible: kernels take strided (B, N, L) axes.
  Array x4 = x.ndim() == 4 ? x : x.ndim() == 3 ? expand_dims(x, 1) : reshape(x, s4);
  if (x4.strides().back() != 1 && x4.shape(-1) > 1) x4 = contiguous(x4);
  std::vector<Array> inputs{x4, off};
  if (freqs.valid()) inputs.push_back(contiguous(astype(freqs, Dtype::float32)));
  auto p = std::make_shared<RoPE>(dims, traditional, base.value_or(1.0f), scale, true);
  return reshape(apply(std::move(p), std::move(inputs), s4, x.dtype()), x.shape());
}

Array rope_reference(const Array& x, int dims, bool traditional, std::optional<float> base,
                     float scale, const Array& offset, const Array& freqs) {
  auto [off, s4] = check_rope(x, dims, base, offset, freqs);
  return rope_composite(x, dims, traditional, base.value_or(1.0f), scale, off, freqs, true, s4);
}

std::vector<Array> RoPE::vjp(const std::vector<Array>& primals, const std::vector<Array>& cots,
                             const std::vector<int>& argnums, const std::vector<Array>&) {
  // The rotation is orthogonal: its vjp is the inverse rotation of the cotangent.
  for (int a : argnums)
    LMX_CHECK(a == 0, ValueError, "rope", "has no gradient with respect to offset or freqs");
  std::vector<Array> inputs{contiguous(cots[0]), primals[1]};
  if (primals.size() > 2) inputs.push_back(primals[2]);
  auto p = std::make_shared<RoPE>(dims_, traditional_, base_, scale_, !forward_);
  return {apply(std::move(p), std::move(inputs), cots[0].shape(), cots[0].dtype())};
}

}  // namespace lmx::fast
