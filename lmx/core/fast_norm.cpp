// SPDX-License-Identifier: MIT
// rms_norm and layer_norm: argument checks, composite references and vjps.
#include "lmx/core/error.h"
#include "lmx/core/fast.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives_fast.h"

namespace lmx::fast {

namespace {

// Checks a norm's optional (D,) parameter; `what` is "weight" or "bias".
void check_param(const char* op, const char* what, const Array& p, const Array& x) {
  if (!p.valid()) return;
  LMX_CHECK(p.ndim() == 1, ShapeError, op, "{} must have 1 dim, got shape {}", what,
            shape_str(p.shape()));
  LMX_CHECK(p.size() == x.shape(-1), ShapeError, op, "{} has {} elements, input has {} features",
            what, p.size(), x.shape(-1));
}

Dtype norm_dtype(const char* op, const Array& x, const Array& w, const Array& b) {
  LMX_CHECK(x.valid() && x.ndim() >= 1, ShapeError, op, "input must have at least 1 dim, got {}",
            x.valid() ? shape_str(x.shape()) : std::string("a null array"));
  check_param(op, "weight", w, x);
  check_param(op, "bias", b, x);
  Dtype out = x.dtype();
  if (w.valid()) out = promote_types(out, w.dtype());
  if (b.valid()) out = promote_types(out, b.dtype());
  LMX_CHECK(is_floating(out), DtypeError, op, "needs float arrays, got {}", dtype_name(out));
  return out;
}

}  // namespace

Array rms_norm(const Array& x, const Array& weight, float eps) {
  Dtype out = norm_dtype("rms_norm", x, weight, Array());
  std::vector<Array> inputs{contiguous(astype(x, out))};
  if (weight.valid()) inputs.push_back(contiguous(astype(weight, out)));
  return apply(std::make_shared<RMSNorm>(eps), std::move(inputs), x.shape(), out);
}

Array rms_norm_reference(const Array& x, const Array& weight, float eps) {
  Dtype out = norm_dtype("rms_norm", x, weight, Array());
  Array xf = astype(x, Dtype::float32);
  Array y = multiply(xf, rsqrt(add(mean(square(xf), -1, true), Array(eps))));
  if (weight.valid()) y = multiply(y, astype(weight, Dtype::float32));
  return astype(y, out);
}

std::vector<Array> RMSNorm::vjp(const std::vector<Array>& primals, const std::vector<Array>& cots,
                                const std::vector<int>& argnums, const std::vector<Array>&) {
  float eps = eps_;
  bool has_w = primals.size() > 1;
  auto fn = [eps, has_w](const std::vector<Array>& in) {
    return std::vector<Array>{rms_norm_reference(in[0], has_w ? in[1] : Array(), eps)};
  };
  return detail::composite_vjp(fn, primals, cots, argnums);
}

Array layer_norm(const Array& x, const Array& weight, const Array& bias, float eps) {
  Dtype out = norm_dtype("layer_norm", x, weight, bias);
  std::vector<Array> inputs{contiguous(astype(x, out))};
  if (weight.valid()) inputs.push_back(contiguous(astype(weight, out)));
  if (bias.valid()) inputs.push_back(contiguous(astype(bias, out)));
  return apply(std::make_shared<LayerNorm>(eps, weight.valid(), bias.valid()), std::move(inputs),
               x.shape(), out);
}

Array layer_norm_reference(const Array& x, const Array& weight, const Array& bias, float eps) {
  Dtype out = norm_dtype("layer_norm", x, weight, bias);
  Array xf = astype(x, Dtype::float32);
  Array xc = subtract(xf, mean(xf, -1, true));
  Array y = multiply(xc, rsqrt(add(mean(square(xc), -1, true), Array(eps))));
  if (weight.valid()) y = multiply(y, astype(weight, Dtype::float32));
  if (bias.valid()) y = add(y, astype(bias, Dtype::float32));
  return astype(y, out);
}

std::vector<Array> LayerNorm::vjp(const std::vector<Array>& primals, const std::vector<Array>& cots,
                                  const std::vector<int>& argnums, const std::vector<Array>&) {
  float eps = eps_;
  bool hw = has_weight_, hb = has_bias_;
  auto fn = [eps, hw, hb](const std::vector<Array>& in) {
    Array w = hw ? in[1] : Array();
    Array b = hb ? in[hw ? 2 : 1] : Array();
    return std::vector<Array>{layer_norm_reference(in[0], w, b, eps)};
  };
  return detail::composite_vjp(fn, primals, cots, argnums);
}

}  // namespace lmx::fast
