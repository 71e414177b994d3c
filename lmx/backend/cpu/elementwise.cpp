// SPDX-License-Identifier: MIT
// Unary, binary and select kernels over any strides; 16-bit floats compute in float32.
#include <cmath>
#include <cstring>
#include <limits>

#include "lmx/backend/cpu/simd_kernels.h"
#include "lmx/backend/cpu/strided.h"
#include "lmx/core/error.h"
#include "lmx/core/primitives.h"

namespace lmx {
namespace {

using cpu::cast;
using cpu::compute_t;

template <typename C>
C erfinv_impl(C x) {
  // Giles' single-precision approximation refined by two Newton steps.
  double xd = double(x);
  if (xd <= -1) return C(-INFINITY);
  if (xd >= 1) return C(INFINITY);
  double w = -std::log((1.0 - xd) * (1.0 + xd)), p;
  if (w < 5.0) {
    w -= 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w; p = -3.5233877e-06 + p * w; p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w; p = -0.00125372503 + p * w; p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w; p = 1.50140941 + p * w;
  } else {
    w = std::sqrt(w) - 3.0;
    p = -0.000200214257;
    p = 0.000100950558 + p * w; p = 0.00134934322 + p * w; p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w; p = -0.0076224613 + p * w; p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w; p = 2.83297682 + p * w;
  }
  double y = p * xd;
  for (int i = 0; i < 2; ++i) {
    double err = std::erf(y) - xd;
    y -= err / (2.0 / std::sqrt(M_PI) * std::exp(-y * y));
  }
  return C(y);
}

template <typename C>
inline C unary_apply(UnaryOp op, C x) {
  if constexpr (std::is_floating_point_v<C>) {
    switch (op) {
      case UnaryOp::abs: return std::fabs(x);
      case UnaryOp::negative: return -x;
      case UnaryOp::sign: return C((x > 0) - (x < 0));
      case UnaryOp::square: return x * x;
      case UnaryOp::sqrt: return std::sqrt(x);
      case UnaryOp::rsqrt: return C(1) / std::sqrt(x);
      case UnaryOp::reciprocal: return C(1) / x;
      case UnaryOp::exp: return std::exp(x);
      case UnaryOp::expm1: return std::expm1(x);
      case UnaryOp::log: return std::log(x);
      case UnaryOp::log1p: return std::log1p(x);
      case UnaryOp::log2: return std::log2(x);
      case UnaryOp::log10: return std::log10(x);
      case UnaryOp::sin: return std::sin(x);
      case UnaryOp::cos: return std::cos(x);
      case UnaryOp::tan: return std::tan(x);
      case UnaryOp::arcsin: return std::asin(x);
      case UnaryOp::arccos: return std::acos(x);
      case UnaryOp::arctan: return std::atan(x);
      case UnaryOp::sinh: return std::sinh(x);
      case UnaryOp::cosh: return std::cosh(x);
      case UnaryOp::tanh: return std::tanh(x);
      case UnaryOp::arcsinh: return std::asinh(x);
      case UnaryOp::arccosh: return std::acosh(x);
      case UnaryOp::arctanh: return std::atanh(x);
      case UnaryOp::erf: return std::erf(x);
      case UnaryOp::erfinv: return erfinv_impl(x);
      case UnaryOp::sigmoid: return C(1) / (C(1) + std::exp(-x));
      case UnaryOp::floor: return std::floor(x);
      case UnaryOp::ceil: return std::ceil(x);
      case UnaryOp::round: return std::nearbyint(x);  // half to even
      case UnaryOp::logical_not: return C(x == C(0));
      default: return x;
    }
  } else {
    switch (op) {
      case UnaryOp::abs:
        if constexpr (std::is_signed_v<C>) return x < 0 ? C(-x) : x;
        return x;
      case UnaryOp::negative: return C(-x);
      case UnaryOp::sign:
        if constexpr (std::is_same_v<C, bool>) return x;
        else return C((x > 0) - (x < C(0)));
      case UnaryOp::square: return C(x * x);
      case UnaryOp::logical_not: return C(!x);
      case UnaryOp::bitwise_invert:
        if constexpr (std::is_same_v<C, bool>) return !x;
        else return C(~x);
      default: return x;  // floor/ceil/round of integers
    }
  }
}

template <typename T>
void unary_typed(UnaryOp op, const Array& in, Array& out) {
  using C = compute_t<T>;
  bool to_bool = op == UnaryOp::isnan || op == UnaryOp::isinf || op == UnaryOp::isfinite;
  auto plan = cpu::collapse<2>(in.shape(), {&in.strides(), &out.strides()});
  const T* src = in.data<T>();
  if (to_bool) {
    bool* dst = out.data<bool>();
    cpu::for_each_row(plan, 4, [&](auto off, int64_t n, auto st) {
      for (int64_t i = 0; i < n; ++i) {
        C x = C(src[off[0] + i * st[0]]);
        bool r = false;
        if constexpr (std::is_floating_point_v<C>) {
          r = op == UnaryOp::isnan ? std::isnan(x) : op == UnaryOp::isinf ? std::isinf(x)
                                                                          : std::isfinite(x);
        } else {
          r = op == UnaryOp::isfinite;
        }
        dst[off[1] + i * st[1]] = r;
      }
    });
    return;
  }
  T* dst = out.data<T>();
  cpu::for_each_row(plan, 8, [&](auto off, int64_t n, auto st) {
    const T* s = src + off[0];
    T* d = dst + off[1];
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, bfloat16>) {
      // exp and sigmoid (silu, softplus, attention) get the vectorized polynomial.
      if (st[0] == 1 && st[1] == 1 && (op == UnaryOp::exp || op == UnaryOp::sigmoid)) {
        if constexpr (std::is_same_v<T, float>)
          (op == UnaryOp::exp ? cpu::simd::exp_f32 : cpu::simd::sigmoid_f32)(s, d, n);
        else
          (op == UnaryOp::exp ? cpu::simd::exp_bf16 : cpu::simd::sigmoid_bf16)(s, d, n);
        return;
      }
    }
    if (st[0] == 1 && st[1] == 1) {
      for (int64_t i = 0; i < n; ++i) d[i] = cast<T>(unary_apply<C>(op, C(s[i])));
    } else {
      for (int64_t i = 0; i < n; ++i)
        d[i * st[1]] = cast<T>(unary_apply<C>(op, C(s[i * st[0]])));
    }
  });
}

template <typename C>
inline C binary_apply(BinaryOp op, C a, C b) {
  switch (op) {
    case BinaryOp::add: return C(a + b);
    case BinaryOp::subtract: return C(a - b);
    case BinaryOp::multiply: return C(a * b);
    case BinaryOp::divide:
      if constexpr (std::is_floating_point_v<C>) return a / b;
      else return b == C(0) ? C(0) : C(a / b);
    case BinaryOp::floor_divide:
      if constexpr (std::is_floating_point_v<C>) {
        return std::floor(a / b);
      } else if constexpr (std::is_same_v<C, bool>) {
        return a;
      } else {
        if (b == C(0)) return C(0);
        C q = C(a / b);
        if constexpr (std::is_signed_v<C>)
          if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
        return q;
      }
    case BinaryOp::remainder:
      if constexpr (std::is_floating_point_v<C>) {
        C r = std::fmod(a, b);
        if (r != 0 && ((r < 0) != (b < 0))) r += b;
        return r;
      } else if constexpr (std::is_same_v<C, bool>) {
        return C(0);
      } else {
        if (b == C(0)) return C(0);
        C r = C(a % b);
        if constexpr (std::is_signed_v<C>)
          if (r != 0 && ((r < 0) != (b < 0))) r = C(r + b);
        return r;
      }
    case BinaryOp::power:
      if constexpr (std::is_floating_point_v<C>) {
        return std::pow(a, b);
      } else {
        if constexpr (std::is_signed_v<C>)
          if (b < 0) return C(0);
        C r = 1, base = a;
        auto e = b;
        while (e) {
          if (e & 1) r = C(r * base);
          base = C(base * base);
          e = decltype(e)(e >> 1);
        }
        return r;
      }
    case BinaryOp::maximum:
      if constexpr (std::is_floating_point_v<C>)
        if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<C>::quiet_NaN();
      return a > b ? a : b;
    case BinaryOp::minimum:
      if constexpr (std::is_floating_point_v<C>)
        if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<C>::quiet_NaN();
      return a < b ? a : b;
    case BinaryOp::logaddexp:
      if constexpr (std::is_floating_point_v<C>) {
        if (std::isinf(a) && a == b) return a;
        C m = a > b ? a : b;
        return m + std::log1p(std::exp(-std::fabs(a - b)));
      }
      return a;
    case BinaryOp::arctan2:
      if constexpr (std::is_floating_point_v<C>) return std::atan2(a, b);
      return a;
    case BinaryOp::bitwise_and:
      if constexpr (!std::is_floating_point_v<C>) return C(a & b);
      return a;
    case BinaryOp::bitwise_or:
      if constexpr (!std::is_floating_point_v<C>) return C(a | b);
      return a;
    case BinaryOp::bitwise_xor:
      if constexpr (!std::is_floating_point_v<C>) return C(a ^ b);
      return a;
    case BinaryOp::left_shift:
      if constexpr (!std::is_floating_point_v<C> && !std::is_same_v<C, bool>) return C(a << b);
      return a;
    case BinaryOp::right_shift:
      if constexpr (!std::is_floating_point_v<C> && !std::is_same_v<C, bool>) return C(a >> b);
      return a;
    default:
      return a;
  }
}

template <typename C>
inline bool compare_apply(BinaryOp op, C a, C b) {
  switch (op) {
    case BinaryOp::equal: return a == b;
    case BinaryOp::not_equal: return a != b;
    case BinaryOp::less: return a < b;
    case BinaryOp::less_equal: return a <= b;
    case BinaryOp::greater: return a > b;
    case BinaryOp::greater_equal: return a >= b;
    case BinaryOp::logical_and: return bool(a) && bool(b);
    case BinaryOp::logical_or: return bool(a) || bool(b);
    default: return false;
  }
}

template <typename T, typename Op>
inline void binary_row(const T* a, const T* b, T* d, int64_t n, int64_t sa, int64_t sb,
                       int64_t sd, Op op) {
  using C = compute_t<T>;
  if (sd == 1 && sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) d[i] = cast<T>(op(C(a[i]), C(b[i])));
  } else if (sd == 1 && sa == 1 && sb == 0) {
    C y = C(b[0]);
    for (int64_t i = 0; i < n; ++i) d[i] = cast<T>(op(C(a[i]), y));
  } else if (sd == 1 && sa == 0 && sb == 1) {
    C x = C(a[0]);
    for (int64_t i = 0; i < n; ++i) d[i] = cast<T>(op(x, C(b[i])));
  } else {
    for (int64_t i = 0; i < n; ++i) d[i * sd] = cast<T>(op(C(a[i * sa]), C(b[i * sb])));
  }
}

template <typename T>
void binary_typed(BinaryOp op, const Array& a, const Array& b, Array& out) {
  using C = compute_t<T>;
  auto plan = cpu::collapse<3>(out.shape(), {&a.strides(), &b.strides(), &out.strides()});
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  if (out.dtype() == Dtype::bool_ && (op >= BinaryOp::equal && op <= BinaryOp::logical_or)) {
    bool* pd = out.data<bool>();
    cpu::for_each_row(plan, 2, [&](auto off, int64_t n, auto st) {
      for (int64_t i = 0; i < n; ++i)
        pd[off[2] + i * st[2]] =
            compare_apply<C>(op, C(pa[off[0] + i * st[0]]), C(pb[off[1] + i * st[1]]));
    });
    return;
  }
  T* pd = out.data<T>();
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, bfloat16>) {
    // Contiguous add/subtract/multiply: the vectorized loops.
    if (op == BinaryOp::add || op == BinaryOp::subtract || op == BinaryOp::multiply) {
      auto sop = op == BinaryOp::add        ? cpu::simd::BinOp::add
                 : op == BinaryOp::subtract ? cpu::simd::BinOp::subtract
                                            : cpu::simd::BinOp::multiply;
      bool dense = plan.shape.size() == 1 && plan.strides[0][0] == 1 &&
                   plan.strides[1][0] == 1 && plan.strides[2][0] == 1;
      if (dense) {
        cpu::parallel_for(plan.shape[0], 1, [&](int64_t b, int64_t e) {
          if constexpr (std::is_same_v<T, float>)
            cpu::simd::binary_f32(sop, pa + b, pb + b, pd + b, e - b);
          else
            cpu::simd::binary_bf16(sop, pa + b, pb + b, pd + b, e - b);
        });
        return;
      }
    }
  }
  auto run = [&](auto fn) {
    cpu::for_each_row(plan, 2, [&](auto off, int64_t n, auto st) {
      binary_row<T>(pa + off[0], pb + off[1], pd + off[2], n, st[0], st[1], st[2], fn);
    });
  };
  // The hot ops get their own instantiation so the inner loop vectorizes.
  switch (op) {
    case BinaryOp::add: run([](C x, C y) { return C(x + y); }); break;
    case BinaryOp::subtract: run([](C x, C y) { return C(x - y); }); break;
    case BinaryOp::multiply: run([](C x, C y) { return C(x * y); }); break;
    default: run([op](C x, C y) { return binary_apply<C>(op, x, y); }); break;
  }
}

}  // namespace

void Unary::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  out.allocate();
  dispatch_dtype(inputs[0].dtype(), [&](auto t) { unary_typed<decltype(t)>(op_, inputs[0], out); });
}

void Binary::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  out.allocate();
  dispatch_dtype(inputs[0].dtype(),
                 [&](auto t) { binary_typed<decltype(t)>(op_, inputs[0], inputs[1], out); });
}

void Select::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  out.allocate();
  const Array &c = inputs[0], &a = inputs[1], &b = inputs[2];
  auto plan = cpu::collapse<4>(out.shape(), {&c.strides(), &a.strides(), &b.strides(),
                                             &out.strides()});
  dispatch_dtype(out.dtype(), [&](auto t) {
    using T = decltype(t);
    const bool* pc = c.data<bool>();
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* pd = out.data<T>();
    cpu::for_each_row(plan, 2, [&](auto off, int64_t n, auto st) {
      for (int64_t i = 0; i < n; ++i)
        pd[off[3] + i * st[3]] =
            pc[off[0] + i * st[0]] ? pa[off[1] + i * st[1]] : pb[off[2] + i * st[2]];
    });
  });
}

void AsType::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  if (!out.buffer()) out.allocate();
  const Array& in = inputs[0];
  if (in.dtype() == out.dtype() && in.is_contiguous() && out.is_contiguous()) {
    std::memcpy(out.raw_data(), in.raw_data(), in.nbytes());
    return;
  }
  auto plan = cpu::collapse<2>(out.shape(), {&in.strides(), &out.strides()});
  dispatch_dtype(in.dtype(), [&](auto s) {
    using S = decltype(s);
    dispatch_dtype(out.dtype(), [&](auto d) {
      using D = decltype(d);
      const S* src = in.data<S>();
      D* dst = out.data<D>();
      cpu::for_each_row(plan, 1, [&](auto off, int64_t n, auto st) {
        const S* ps = src + off[0];
        D* pd = dst + off[1];
        if (st[0] == 1 && st[1] == 1) {
          for (int64_t i = 0; i < n; ++i) pd[i] = cast<D>(ps[i]);
        } else {
          for (int64_t i = 0; i < n; ++i) pd[i * st[1]] = cast<D>(ps[i * st[0]]);
        }
      });
    });
  });
}

void Arange::eval_cpu(const std::vector<Array>&, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  out.allocate();
  dispatch_dtype(out.dtype(), [&](auto t) {
    using T = decltype(t);
    T* d = out.data<T>();
    for (int64_t i = 0; i < out.size(); ++i) d[i] = cast<T>(start_ + double(i) * step_);
  });
}

void ToDevice::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  // cpu -> cpu; copies that involve a GPU run in ToDevice::eval_cuda.
  outputs[0].allocate();
  std::memcpy(outputs[0].raw_data(), inputs[0].raw_data(), inputs[0].nbytes());
}

}  // namespace lmx
