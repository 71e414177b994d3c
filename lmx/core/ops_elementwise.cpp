// SPDX-License-Identifier: MIT
#include "lmx/core/ops_elementwise.h"

#include <cmath>

#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives.h"

namespace lmx {

const char* op_name(UnaryOp op) {
  static const char* names[] = {
      "abs", "negative", "sign", "square", "sqrt", "rsqrt", "reciprocal", "exp", "expm1", "log",
      "log1p", "log2", "log10", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh",
      "tanh", "arcsinh", "arccosh", "arctanh", "erf", "erfinv", "sigmoid", "floor", "ceil",
      "round", "logical_not", "bitwise_invert", "isnan", "isinf", "isfinite"};
  return names[int(op)];
}

const char* op_name(BinaryOp op) {
  static const char* names[] = {
      "add", "subtract", "multiply", "divide", "floor_divide", "remainder", "power", "maximum",
      "minimum", "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
      "logical_and", "logical_or", "bitwise_and", "bitwise_or", "bitwise_xor", "left_shift",
      "right_shift", "logaddexp", "arctan2"};
  return names[int(op)];
}

namespace {

bool is_float_unary(UnaryOp op) {
  switch (op) {
    case UnaryOp::abs: case UnaryOp::negative: case UnaryOp::sign: case UnaryOp::square:
    case UnaryOp::floor: case UnaryOp::ceil: case UnaryOp::round: case UnaryOp::logical_not:
    case UnaryOp::bitwise_invert: case UnaryOp::isnan: case UnaryOp::isinf:
    case UnaryOp::isfinite:
      return false;
    default:
      return true;
  }
}

bool is_comparison(BinaryOp op) {
  return op >= BinaryOp::equal && op <= BinaryOp::greater_equal;
}

}  // namespace

namespace {
// A weak scalar takes the array's dtype, except that a float scalar makes an integer or
// bool array float32 and an integer scalar makes a bool array int32 (as MLX's Python
// scalars do).
Dtype weak_result(Dtype scalar, Dtype arr) {
  if (is_floating(scalar) && !is_floating(arr)) return Dtype::float32;
  if (is_integral(scalar) && arr == Dtype::bool_) return promote_types(scalar, arr);
  return arr;
}
}  // namespace

Dtype result_dtype(const Array& a, const Array& b) {
  LMX_CHECK(a.valid() && b.valid(), ValueError, "array", "operation on a null array");
  bool wa = a.impl()->weak, wb = b.impl()->weak;
  if (wa && !wb) return weak_result(a.dtype(), b.dtype());
  if (wb && !wa) return weak_result(b.dtype(), a.dtype());
  return promote_types(a.dtype(), b.dtype());
}

Array unary(UnaryOp op, const Array& a_in) {
  Array a = a_in;
  Dtype out = a.dtype();
  if (is_float_unary(op) && !is_floating(a.dtype())) {
    a = astype(a, Dtype::float32);
    out = Dtype::float32;
  }
  switch (op) {
    case UnaryOp::logical_not:
      if (a.dtype() != Dtype::bool_) a = astype(a, Dtype::bool_);
      out = Dtype::bool_;
      break;
    case UnaryOp::isnan: case UnaryOp::isinf: case UnaryOp::isfinite:
      out = Dtype::bool_;
      break;
    case UnaryOp::negative:
      LMX_CHECK(a.dtype() != Dtype::bool_, DtypeError, "negative",
                "not supported for bool, use logical_not");
      break;
    case UnaryOp::bitwise_invert:
      LMX_CHECK(!is_floating(a.dtype()), DtypeError, "bitwise_invert",
                "needs an integer or bool array, got {}", dtype_name(a.dtype()));
      break;
    default:
      break;
  }
  return apply(std::make_shared<Unary>(op), {a}, a.shape(), out);
}

Array binary(BinaryOp op, const Array& a_in, const Array& b_in) {
  Dtype common = result_dtype(a_in, b_in);
  Dtype out = common;
  switch (op) {
    case BinaryOp::divide: case BinaryOp::logaddexp: case BinaryOp::arctan2:
      if (!is_floating(common)) common = out = Dtype::float32;
      break;
    case BinaryOp::power:
      if (common == Dtype::bool_) common = out = Dtype::int32;
      break;
    case BinaryOp::logical_and: case BinaryOp::logical_or:
      common = out = Dtype::bool_;
      break;
    case BinaryOp::bitwise_and: case BinaryOp::bitwise_or: case BinaryOp::bitwise_xor:
    case BinaryOp::left_shift: case BinaryOp::right_shift:
      LMX_CHECK(!is_floating(common), DtypeError, op_name(op),
                "needs integer or bool arrays, got {} and {}", dtype_name(a_in.dtype()),
                dtype_name(b_in.dtype()));
      break;
    default:
      if (is_comparison(op)) out = Dtype::bool_;
      break;
  }
  Shape shape = broadcast_shapes(a_in.shape(), b_in.shape());
  Array a = broadcast_to(astype(a_in, common), shape);
  Array b = broadcast_to(astype(b_in, common), shape);
  return apply(std::make_shared<Binary>(op), {a, b}, shape, out);
}

Array where(const Array& cond, const Array& a_in, const Array& b_in) {
  Dtype dt = result_dtype(a_in, b_in);
  Shape shape = broadcast_shapes(broadcast_shapes(cond.shape(), a_in.shape()), b_in.shape());
  Array c = broadcast_to(astype(cond, Dtype::bool_), shape);
  Array a = broadcast_to(astype(a_in, dt), shape);
  Array b = broadcast_to(astype(b_in, dt), shape);
  return apply(std::make_shared<Select>(), {c, a, b}, shape, dt);
}

Array clip(const Array& a, const Array& lo, const Array& hi) {
  Array r = a;
  if (lo.valid()) r = maximum(r, lo);
  if (hi.valid()) r = minimum(r, hi);
  return r;
}

Array silu(const Array& a) { return multiply(a, sigmoid(a)); }
Array gelu(const Array& a) {
  return multiply(multiply(a, add(Array(1.0f), erf(multiply(a, Array(float(M_SQRT1_2)))))),
                  Array(0.5f));
}
Array gelu_approx(const Array& a) {
  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  const float c = 0.7978845608028654f;
  Array inner = multiply(add(a, multiply(Array(0.044715f), multiply(a, square(a)))), Array(c));
  return multiply(multiply(Array(0.5f), a), add(Array(1.0f), tanh(inner)));
}
Array gelu_fast_approx(const Array& a) { return multiply(a, sigmoid(multiply(Array(1.702f), a))); }
Array softplus(const Array& a) { return logaddexp(a, Array(0.0f)); }
Array relu(const Array& a) { return maximum(a, Array(0.0f)); }
Array relu2(const Array& a) { return square(relu(a)); }
Array softsign(const Array& a) { return divide(a, add(Array(1.0f), abs(a))); }

// --- vector-Jacobian products ---

std::vector<Array> Unary::vjp(const std::vector<Array>& primals, const std::vector<Array>& cots,
                              const std::vector<int>&, const std::vector<Array>& outputs) {
  const Array& x = primals[0];
  const Array& g = cots[0];
  const Array& y = outputs[0];
  switch (op_) {
    case UnaryOp::abs: return {multiply(g, sign(x))};
    case UnaryOp::negative: return {negative(g)};
    case UnaryOp::square: return {multiply(g, multiply(Array(2.0f), x))};
    case UnaryOp::sqrt: return {divide(g, multiply(Array(2.0f), y))};
    case UnaryOp::rsqrt: return {multiply(g, multiply(Array(-0.5f), divide(y, x)))};
    case UnaryOp::reciprocal: return {negative(multiply(g, square(y)))};
    case UnaryOp::exp: return {multiply(g, y)};
    case UnaryOp::expm1: return {multiply(g, add(y, Array(1.0f)))};
    case UnaryOp::log: return {divide(g, x)};
    case UnaryOp::log1p: return {divide(g, add(x, Array(1.0f)))};
    case UnaryOp::log2: return {divide(g, multiply(x, Array(float(M_LN2))))};
    case UnaryOp::log10: return {divide(g, multiply(x, Array(float(M_LN10))))};
    case UnaryOp::sin: return {multiply(g, cos(x))};
    case UnaryOp::cos: return {negative(multiply(g, sin(x)))};
    case UnaryOp::tan: return {divide(g, square(cos(x)))};
    case UnaryOp::arcsin: return {multiply(g, rsqrt(subtract(Array(1.0f), square(x))))};
    case UnaryOp::arccos: return {negative(multiply(g, rsqrt(subtract(Array(1.0f), square(x)))))};
    case UnaryOp::arctan: return {divide(g, add(Array(1.0f), square(x)))};
    case UnaryOp::sinh: return {multiply(g, cosh(x))};
    case UnaryOp::cosh: return {multiply(g, sinh(x))};
    case UnaryOp::tanh: return {multiply(g, subtract(Array(1.0f), square(y)))};
    case UnaryOp::arcsinh: return {multiply(g, rsqrt(add(square(x), Array(1.0f))))};
    case UnaryOp::arccosh: return {multiply(g, rsqrt(subtract(square(x), Array(1.0f))))};
    case UnaryOp::arctanh: return {divide(g, subtract(Array(1.0f), square(x)))};
    case UnaryOp::erf:
      return {multiply(g, multiply(Array(float(M_2_SQRTPI)), exp(negative(square(x)))))};
    case UnaryOp::erfinv:
      return {multiply(g, multiply(Array(float(0.5 * std::sqrt(M_PI))), exp(square(y))))};
    case UnaryOp::sigmoid: return {multiply(g, multiply(y, subtract(Array(1.0f), y)))};
    default:  // piecewise constant or not differentiable
      return {zeros_like(x)};
  }
}

std::vector<Array> Binary::vjp(const std::vector<Array>& primals, const std::vector<Array>& cots,
                               const std::vector<int>& argnums, const std::vector<Array>& outputs) {
  const Array& a = primals[0];
  const Array& b = primals[1];
  const Array& g = cots[0];
  std::vector<Array> out;
  for (int arg : argnums) {
    bool first = arg == 0;
    const Array& x = first ? a : b;
    Array r;
    switch (op_) {
      case BinaryOp::add: r = g; break;
      case BinaryOp::subtract: r = first ? g : negative(g); break;
      case BinaryOp::multiply: r = multiply(g, first ? b : a); break;
      case BinaryOp::divide:
        r = first ? divide(g, b) : negative(divide(multiply(g, a), square(b)));
        break;
      case BinaryOp::maximum:
      case BinaryOp::minimum: {
        Array pick = op_ == BinaryOp::maximum ? greater_equal(a, b) : less_equal(a, b);
        if (!first) pick = logical_not(pick);
        r = where(pick, g, Array(0.0f));
        break;
      }
      case BinaryOp::power:
        r = first ? multiply(g, multiply(b, power(a, subtract(b, Array(1.0f)))))
                  : multiply(g, multiply(outputs[0], log(a)));
        break;
      case BinaryOp::logaddexp: {
        Array other = first ? b : a;
        r = multiply(g, sigmoid(subtract(x, other)));
        break;
      }
      case BinaryOp::arctan2: {
        Array denom = add(square(a), square(b));
        r = first ? divide(multiply(g, b), denom) : negative(divide(multiply(g, a), denom));
        break;
      }
      case BinaryOp::remainder:
        r = first ? g : negative(multiply(g, floor_divide(a, b)));
        break;
      default:
        r = zeros_like(x);
        break;
    }
    out.push_back(r);
  }
  return out;
}

std::vector<Array> Select::vjp(const std::vector<Array>& primals, const std::vector<Array>& cots,
                               const std::vector<int>& argnums, const std::vector<Array>&) {
  std::vector<Array> out;
  for (int arg : argnums) {
    if (arg == 0)
      out.push_back(zeros_like(primals[0]));
    else if (arg == 1)
      out.push_back(where(primals[0], cots[0], Array(0.0f)));
    else
      out.push_back(where(primals[0], Array(0.0f), cots[0]));
  }
  return out;
}

std::vector<Array> AsType::vjp(const std::vector<Array>& primals, const std::vector<Array>& cots,
                               const std::vector<int>&, const std::vector<Array>&) {
  return {astype(cots[0], primals[0].dtype())};
}

std::vector<Array> ToDevice::vjp(const std::vector<Array>& primals, const std::vector<Array>& cots,
                                 const std::vector<int>&, const std::vector<Array>&) {
  return {to_device(cots[0], primals[0].device())};
}

}  // namespace lmx
