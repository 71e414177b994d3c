// SPDX-License-Identifier: MIT
// Elementwise math with NumPy broadcasting and MLX's type promotion.
#pragma once

#include "lmx/core/array.h"

namespace lmx {

enum class UnaryOp : uint8_t {
  abs, negative, sign, square, sqrt, rsqrt, reciprocal, exp, expm1, log, log1p, log2, log10,
  sin, cos, tan, arcsin, arccos, arctan, sinh, cosh, tanh, arcsinh, arccosh, arctanh, erf,
  erfinv, sigmoid, floor, ceil, round, logical_not, bitwise_invert, isnan, isinf, isfinite,
};
enum class BinaryOp : uint8_t {
  add, subtract, multiply, divide, floor_divide, remainder, power, maximum, minimum,
  equal, not_equal, less, less_equal, greater, greater_equal, logical_and, logical_or,
  bitwise_and, bitwise_or, bitwise_xor, left_shift, right_shift, logaddexp, arctan2,
};
const char* op_name(UnaryOp op);
const char* op_name(BinaryOp op);

Array unary(UnaryOp op, const Array& a);
Array binary(BinaryOp op, const Array& a, const Array& b);

// Unary math. Float ops on integer inputs compute in float32.
inline Array abs(const Array& a) { return unary(UnaryOp::abs, a); }
inline Array negative(const Array& a) { return unary(UnaryOp::negative, a); }
inline Array sign(const Array& a) { return unary(UnaryOp::sign, a); }
inline Array square(const Array& a) { return unary(UnaryOp::square, a); }
inline Array sqrt(const Array& a) { return unary(UnaryOp::sqrt, a); }
inline Array rsqrt(const Array& a) { return unary(UnaryOp::rsqrt, a); }
inline Array reciprocal(const Array& a) { return unary(UnaryOp::reciprocal, a); }
inline Array exp(const Array& a) { return unary(UnaryOp::exp, a); }
inline Array expm1(const Array& a) { return unary(UnaryOp::expm1, a); }
inline Array log(const Array& a) { return unary(UnaryOp::log, a); }
inline Array log1p(const Array& a) { return unary(UnaryOp::log1p, a); }
inline Array log2(const Array& a) { return unary(UnaryOp::log2, a); }
inline Array log10(const Array& a) { return unary(UnaryOp::log10, a); }
inline Array sin(const Array& a) { return unary(UnaryOp::sin, a); }
inline Array cos(const Array& a) { return unary(UnaryOp::cos, a); }
inline Array tan(const Array& a) { return unary(UnaryOp::tan, a); }
inline Array arcsin(const Array& a) { return unary(UnaryOp::arcsin, a); }
inline Array arccos(const Array& a) { return unary(UnaryOp::arccos, a); }
inline Array arctan(const Array& a) { return unary(UnaryOp::arctan, a); }
inline Array sinh(const Array& a) { return unary(UnaryOp::sinh, a); }
inline Array cosh(const Array& a) { return unary(UnaryOp::cosh, a); }
inline Array tanh(const Array& a) { return unary(UnaryOp::tanh, a); }
inline Array arcsinh(const Array& a) { return unary(UnaryOp::arcsinh, a); }
inline Array arccosh(const Array& a) { return unary(UnaryOp::arccosh, a); }
inline Array arctanh(const Array& a) { return unary(UnaryOp::arctanh, a); }
inline Array erf(const Array& a) { return unary(UnaryOp::erf, a); }
inline Array erfinv(const Array& a) { return unary(UnaryOp::erfinv, a); }
inline Array sigmoid(const Array& a) { return unary(UnaryOp::sigmoid, a); }
inline Array floor(const Array& a) { return unary(UnaryOp::floor, a); }
inline Array ceil(const Array& a) { return unary(UnaryOp::ceil, a); }
inline Array round(const Array& a) { return unary(UnaryOp::round, a); }
inline Array logical_not(const Array& a) { return unary(UnaryOp::logical_not, a); }
inline Array bitwise_invert(const Array& a) { return unary(UnaryOp::bitwise_invert, a); }
inline Array isnan(const Array& a) { return unary(UnaryOp::isnan, a); }
inline Array isinf(const Array& a) { return unary(UnaryOp::isinf, a); }
inline Array isfinite(const Array& a) { return unary(UnaryOp::isfinite, a); }

// Binary math with broadcasting.
inline Array add(const Array& a, const Array& b) { return binary(BinaryOp::add, a, b); }
inline Array subtract(const Array& a, const Array& b) { return binary(BinaryOp::subtract, a, b); }
inline Array multiply(const Array& a, const Array& b) { return binary(BinaryOp::multiply, a, b); }
inline Array divide(const Array& a, const Array& b) { return binary(BinaryOp::divide, a, b); }
inline Array floor_divide(const Array& a, const Array& b) { return binary(BinaryOp::floor_divide, a, b); }
inline Array remainder(const Array& a, const Array& b) { return binary(BinaryOp::remainder, a, b); }
inline Array power(const Array& a, const Array& b) { return binary(BinaryOp::power, a, b); }
inline Array maximum(const Array& a, const Array& b) { return binary(BinaryOp::maximum, a, b); }
inline Array minimum(const Array& a, const Array& b) { return binary(BinaryOp::minimum, a, b); }
inline Array equal(const Array& a, const Array& b) { return binary(BinaryOp::equal, a, b); }
inline Array not_equal(const Array& a, const Array& b) { return binary(BinaryOp::not_equal, a, b); }
inline Array less(const Array& a, const Array& b) { return binary(BinaryOp::less, a, b); }
inline Array less_equal(const Array& a, const Array& b) { return binary(BinaryOp::less_equal, a, b); }
inline Array greater(const Array& a, const Array& b) { return binary(BinaryOp::greater, a, b); }
inline Array greater_equal(const Array& a, const Array& b) { return binary(BinaryOp::greater_equal, a, b); }
inline Array logical_and(const Array& a, const Array& b) { return binary(BinaryOp::logical_and, a, b); }
inline Array logical_or(const Array& a, const Array& b) { return binary(BinaryOp::logical_or, a, b); }
inline Array bitwise_and(const Array& a, const Array& b) { return binary(BinaryOp::bitwise_and, a, b); }
inline Array bitwise_or(const Array& a, const Array& b) { return binary(BinaryOp::bitwise_or, a, b); }
inline Array bitwise_xor(const Array& a, const Array& b) { return binary(BinaryOp::bitwise_xor, a, b); }
inline Array left_shift(const Array& a, const Array& b) { return binary(BinaryOp::left_shift, a, b); }
inline Array right_shift(const Array& a, const Array& b) { return binary(BinaryOp::right_shift, a, b); }
inline Array logaddexp(const Array& a, const Array& b) { return binary(BinaryOp::logaddexp, a, b); }
inline Array arctan2(const Array& a, const Array& b) { return binary(BinaryOp::arctan2, a, b); }

// cond ? a : b, broadcast together.
Array where(const Array& cond, const Array& a, const Array& b);
// min(max(a, lo), hi); a null bound is ignored.
Array clip(const Array& a, const Array& lo, const Array& hi);

// Activations (compositions of the above).
Array silu(const Array& a);             // a * sigmoid(a)
Array gelu(const Array& a);             // exact, with erf
Array gelu_approx(const Array& a);      // tanh approximation
Array gelu_fast_approx(const Array& a); // a * sigmoid(1.702 a)
Array softplus(const Array& a);         // log(1 + exp(a)), stable
Array relu(const Array& a);
Array relu2(const Array& a);            // relu(a)^2
Array softsign(const Array& a);

inline Array operator+(const Array& a, const Array& b) { return add(a, b); }
inline Array operator-(const Array& a, const Array& b) { return subtract(a, b); }
inline Array operator*(const Array& a, const Array& b) { return multiply(a, b); }
inline Array operator/(const Array& a, const Array& b) { return divide(a, b); }
inline Array operator-(const Array& a) { return negative(a); }
inline Array operator<(const Array& a, const Array& b) { return less(a, b); }
inline Array operator<=(const Array& a, const Array& b) { return less_equal(a, b); }
inline Array operator>(const Array& a, const Array& b) { return greater(a, b); }
inline Array operator>=(const Array& a, const Array& b) { return greater_equal(a, b); }
inline Array operator&&(const Array& a, const Array& b) { return logical_and(a, b); }
inline Array operator||(const Array& a, const Array& b) { return logical_or(a, b); }
inline Array operator!(const Array& a) { return logical_not(a); }

// The dtype of binary(op, a, b) (weak scalars adapt to the other operand).
Dtype result_dtype(const Array& a, const Array& b);

}  // namespace lmx
