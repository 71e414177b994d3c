// SPDX-License-Identifier: MIT
// Elementwise ops against double-precision references: every dtype, memory layout and
// broadcast pattern, MLX's type promotion, and the error cases.
#include "lmx/core/error.h"
#include "tests/core/test_util.h"

namespace lmx::test {
namespace {

struct UnaryCase {
  const char* name;
  Array (*fn)(const Array&);
  double (*ref)(double);
  double lo, hi;  // input domain for the test
  bool float_op;  // integer inputs compute in float32
};

double sigmoid_ref(double x) { return 1 / (1 + std::exp(-x)); }
double erfinv_ref(double y) {
  // Bisection on erf: slow but exact enough for a reference.
  if (y <= -1) return -INFINITY;
  if (y >= 1) return INFINITY;
  double lo = -10, hi = 10;
  for (int i = 0; i < 200; ++i) {
    double m = 0.5 * (lo + hi);
    (std::erf(m) < y ? lo : hi) = m;
  }
  return 0.5 * (lo + hi);
}

const UnaryCase kUnary[] = {
    {"abs", abs, [](double x) { return std::fabs(x); }, -4, 4, false},
    {"negative", negative, [](double x) { return -x; }, -4, 4, false},
    {"sign", sign, [](double x) { return double((x > 0) - (x < 0)); }, -4, 4, false},
    {"square", square, [](double x) { return x * x; }, -4, 4, false},
    {"floor", floor, [](double x) { return std::floor(x); }, -4, 4, false},
    {"ceil", ceil, [](double x) { return std::ceil(x); }, -4, 4, false},
    {"round", round, [](double x) { return std::nearbyint(x); }, -4, 4, false},
    {"sqrt", sqrt, [](double x) { return std::sqrt(x); }, 0.1, 4, true},
    {"rsqrt", rsqrt, [](double x) { return 1 / std::sqrt(x); }, 0.1, 4, true},
    {"reciprocal", reciprocal, [](double x) { return 1 / x; }, 0.25, 4, true},
    {"exp", exp, [](double x) { return std::exp(x); }, -4, 4, true},
    {"expm1", expm1, [](double x) { return std::expm1(x); }, -4, 4, true},
    {"log", log, [](double x) { return std::log(x); }, 0.1, 4, true},
    {"log1p", log1p, [](double x) { return std::log1p(x); }, -0.5, 4, true},
    {"log2", log2, [](double x) { return std::log2(x); }, 0.1, 4, true},
    {"log10", log10, [](double x) { return std::log10(x); }, 0.1, 4, true},
    {"sin", sin, [](double x) { return std::sin(x); }, -4, 4, true},
    {"cos", cos, [](double x) { return std::cos(x); }, -4, 4, true},
    {"tan", tan, [](double x) { return std::tan(x); }, -1.2, 1.2, true},
    {"arcsin", arcsin, [](double x) { return std::asin(x); }, -0.9, 0.9, true},
    {"arccos", arccos, [](double x) { return std::acos(x); }, -0.9, 0.9, true},
    {"arctan", arctan, [](double x) { return std::atan(x); }, -4, 4, true},
    {"sinh", sinh, [](double x) { return std::sinh(x); }, -3, 3, true},
    {"cosh", cosh, [](double x) { return std::cosh(x); }, -3, 3, true},
    {"tanh", tanh, [](double x) { return std::tanh(x); }, -4, 4, true},
    {"arcsinh", arcsinh, [](double x) { return std::asinh(x); }, -4, 4, true},
    {"arccosh", arccosh, [](double x) { return std::acosh(x); }, 1.1, 4, true},
    {"arctanh", arctanh, [](double x) { return std::atanh(x); }, -0.9, 0.9, true},
    {"erf", erf, [](double x) { return std::erf(x); }, -3, 3, true},
    {"erfinv", erfinv, erfinv_ref, -0.95, 0.95, true},
    {"sigmoid", sigmoid, sigmoid_ref, -6, 6, true},
};

const Shape kShapes[] = {{2, 3, 5}, {7}, {}, {0, 3}, {1, 9}};

TEST(Unary, AllOpsDtypesLayouts) {
  std::mt19937 rng(10);
  for (const auto& c : kUnary)
    for (Dtype dt : kAllDtypes) {
      if (dt == Dtype::bool_ && !c.float_op) continue;
      if (!is_signed(dt) && std::string(c.name) == "negative") continue;
      for (Layout l : kLayouts)
        for (const Shape& shape : kShapes) {
          // Integer inputs take the integers inside the domain.
          double lo = c.lo, hi = c.hi;
          if (!is_floating(dt)) {
            lo = std::ceil(lo);
            hi = std::floor(hi);
            if (hi < lo) continue;
          }
          auto s = make_sample(shape, dt, l, rng, lo, hi);
          Dtype out = c.float_op && !is_floating(dt) ? Dtype::float32 : dt;
          std::vector<double> want;
          for (double x : s.v) want.push_back(round_to(c.ref(x), out));
          double t = tolerance(out);
          expect_close(c.fn(s.a), want, shape, out, t, t, std::string(c.name) + " " + name(dt, l));
        }
    }
}

TEST(Unary, PredicatesAndLogical) {
  std::mt19937 rng(11);
  for (Dtype dt : kAllDtypes)
    for (Layout l : kLayouts) {
      auto s = make_sample({4, 6}, dt, l, rng);
      std::vector<double> nz, fin, zero;
      for (double x : s.v) {
        nz.push_back(x == 0);
        fin.push_back(1);
        zero.push_back(0);
      }
      expect_close(logical_not(s.a), nz, {4, 6}, Dtype::bool_, 0, 0, "logical_not " + name(dt, l));
      expect_close(isfinite(s.a), fin, {4, 6}, Dtype::bool_, 0, 0, "isfinite " + name(dt, l));
      expect_close(isnan(s.a), zero, {4, 6}, Dtype::bool_, 0, 0, "isnan " + name(dt, l));
      expect_close(isinf(s.a), zero, {4, 6}, Dtype::bool_, 0, 0, "isinf " + name(dt, l));
      if (!is_floating(dt)) {
        std::vector<double> inv;
        for (double x : s.v) inv.push_back(dt == Dtype::bool_ ? double(x == 0)
                                                               : round_to(double(~int64_t(x)), dt));
        expect_close(bitwise_invert(s.a), inv, {4, 6}, dt, 0, 0, "bitwise_invert " + name(dt, l));
      }
    }
  Array f = Array({1.0f, NAN, INFINITY, -INFINITY});
  EXPECT_EQ(isnan(f).to_vector<bool>(), (std::vector<bool>{false, true, false, false}));
  EXPECT_EQ(isinf(f).to_vector<bool>(), (std::vector<bool>{false, false, true, true}));
  EXPECT_EQ(isfinite(f).to_vector<bool>(), (std::vector<bool>{true, false, false, false}));
  EXPECT_THROW(bitwise_invert(f), DtypeError);
  EXPECT_THROW(negative(Array({true, false})), DtypeError);
}

// --- binary ---

struct BinaryCase {
  const char* name;
  Array (*fn)(const Array&, const Array&);
  double (*ref)(double, double, Dtype);  // dtype: the computation dtype
  enum Kind { arith, float_only, compare, logical, bitwise } kind;
  double blo, bhi;  // domain of b (a uses [-4, 4])
  bool nonzero_b;
};

int64_t ifloordiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

const BinaryCase kBinary[] = {
    {"add", add, [](double a, double b, Dtype) { return a + b; }, BinaryCase::arith, -4, 4, false},
    {"subtract", subtract, [](double a, double b, Dtype) { return a - b; }, BinaryCase::arith, -4,
     4, false},
    {"multiply", multiply, [](double a, double b, Dtype) { return a * b; }, BinaryCase::arith, -4,
     4, false},
    {"divide", divide, [](double a, double b, Dtype) { return a / b; }, BinaryCase::float_only, -4,
     4, true},
    {"floor_divide", floor_divide,
     [](double a, double b, Dtype d) {
       return is_floating(d) ? std::floor(a / b) : double(ifloordiv(int64_t(a), int64_t(b)));
     },
     BinaryCase::arith, -4, 4, true},
    {"remainder", remainder,
     [](double a, double b, Dtype d) {
       if (!is_floating(d)) return double(int64_t(a) - ifloordiv(int64_t(a), int64_t(b)) * int64_t(b));
       double r = std::fmod(a, b);
       return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
     },
     BinaryCase::arith, -4, 4, true},
    {"power", power, [](double a, double b, Dtype) { return std::pow(a, b); }, BinaryCase::arith, 0,
     3, false},
    {"maximum", maximum, [](double a, double b, Dtype) { return std::max(a, b); },
     BinaryCase::arith, -4, 4, false},
    {"minimum", minimum, [](double a, double b, Dtype) { return std::min(a, b); },
     BinaryCase::arith, -4, 4, false},
    {"logaddexp", logaddexp,
     [](double a, double b, Dtype) { return std::log(std::exp(a) + std::exp(b)); },
     BinaryCase::float_only, -4, 4, false},
    {"arctan2", arctan2, [](double a, double b, Dtype) { return std::atan2(a, b); },
     BinaryCase::float_only, -4, 4, true},
    {"equal", equal, [](double a, double b, Dtype) { return double(a == b); }, BinaryCase::compare,
     -4, 4, false},
    {"not_equal", not_equal, [](double a, double b, Dtype) { return double(a != b); },
     BinaryCase::compare, -4, 4, false},
    {"less", less, [](double a, double b, Dtype) { return double(a < b); }, BinaryCase::compare, -4,
     4, false},
    {"less_equal", less_equal, [](double a, double b, Dtype) { return double(a <= b); },
     BinaryCase::compare, -4, 4, false},
    {"greater", greater, [](double a, double b, Dtype) { return double(a > b); },
     BinaryCase::compare, -4, 4, false},
    {"greater_equal", greater_equal, [](double a, double b, Dtype) { return double(a >= b); },
     BinaryCase::compare, -4, 4, false},
    {"logical_and", logical_and, [](double a, double b, Dtype) { return double(a != 0 && b != 0); },
     BinaryCase::logical, -4, 4, false},
    {"logical_or", logical_or, [](double a, double b, Dtype) { return double(a != 0 || b != 0); },
     BinaryCase::logical, -4, 4, false},
    {"bitwise_and", bitwise_and,
     [](double a, double b, Dtype) { return double(int64_t(a) & int64_t(b)); },
     BinaryCase::bitwise, -4, 4, false},
    {"bitwise_or", bitwise_or,
     [](double a, double b, Dtype) { return double(int64_t(a) | int64_t(b)); },
     BinaryCase::bitwise, -4, 4, false},
    {"bitwise_xor", bitwise_xor,
     [](double a, double b, Dtype) { return double(int64_t(a) ^ int64_t(b)); },
     BinaryCase::bitwise, -4, 4, false},
    {"left_shift", left_shift,
     [](double a, double b, Dtype) { return double(int64_t(a) * (int64_t(1) << int64_t(b))); },
     BinaryCase::bitwise, 0, 3, false},
    {"right_shift", right_shift,
     [](double a, double b, Dtype) { return double(int64_t(a) >> int64_t(b)); },
     BinaryCase::bitwise, 0, 3, false},
};

struct ShapePair {
  Shape a, b, out;
};
const ShapePair kPairs[] = {
    {{4, 5}, {4, 5}, {4, 5}}, {{3, 1, 5}, {4, 1}, {3, 4, 5}}, {{}, {2, 3}, {2, 3}},
    {{0, 3}, {1, 3}, {0, 3}}, {{9}, {1}, {9}},
};

TEST(Binary, AllOpsDtypesLayoutsBroadcasts) {
  std::mt19937 rng(12);
  for (const auto& c : kBinary)
    for (Dtype dt : kAllDtypes) {
      bool is_bool = dt == Dtype::bool_;
      if (c.kind == BinaryCase::bitwise && is_floating(dt)) continue;
      if (is_bool && (c.kind == BinaryCase::bitwise ? c.blo == 0 : c.kind == BinaryCase::arith &&
                                                                      c.fn != add && c.fn != multiply &&
                                                                      c.fn != maximum &&
                                                                      c.fn != minimum))
        continue;
      if (is_bool && c.nonzero_b) continue;
      // The dtype the kernel computes in and the result's.
      Dtype compute = c.kind == BinaryCase::float_only && !is_floating(dt) ? Dtype::float32 : dt;
      Dtype out = c.kind == BinaryCase::compare || c.kind == BinaryCase::logical ? Dtype::bool_
                                                                                 : compute;
      for (Layout la : kLayouts)
        for (const auto& p : kPairs) {
          Layout lb = kLayouts[(int(la) + 1) % kLayouts.size()];
          auto sa = make_sample(p.a, dt, la, rng, c.fn == power ? 0.5 : -4, 4);
          double blo = c.blo, bhi = c.bhi;
          if (c.fn == power && is_floating(dt)) blo = -2, bhi = 2;
          auto sb = make_sample(p.b, dt, lb, rng, blo, bhi);
          if (c.nonzero_b)
            for (size_t i = 0; i < sb.v.size(); ++i)
              if (sb.v[i] == 0 || (is_floating(dt) && std::fabs(sb.v[i]) < 0.25)) {
                // Rebuild b with a safe value at this spot.
                sb.v[i] = 1;
              }
          Array b = c.nonzero_b ? make_array(sb.v, p.b, dt) : sb.a;
          auto va = broadcast_values(sa.v, p.a, p.out), vb = broadcast_values(sb.v, p.b, p.out);
          std::vector<double> want;
          for (size_t i = 0; i < va.size(); ++i)
            want.push_back(round_to(c.ref(va[i], vb[i], compute), out));
          double t = tolerance(out);
          expect_close(c.fn(sa.a, b), want, p.out, out, t, t,
                       std::string(c.name) + " " + name(dt, la) + " " + shape_str(p.a) + " with " +
                           shape_str(p.b));
        }
    }
}

TEST(Binary, NaNAndSpecialValues) {
  Array a = Array({1.0f, NAN, -INFINITY, 0.0f});
  Array b = Array({NAN, 2.0f, -INFINITY, -0.0f});
  auto mx = maximum(a, b).to_vector<float>();
  EXPECT_TRUE(std::isnan(mx[0]) && std::isnan(mx[1]));
  EXPECT_EQ(mx[2], -INFINITY);
  EXPECT_EQ(logaddexp(a, b).to_vector<float>()[2], -INFINITY);
  // Integer division by zero is defined (0), not a crash.
  Array i = Array({7, -7}), z = Array({0, 0});
  EXPECT_EQ(floor_divide(i, z).to_vector<int>(), (std::vector<int>{0, 0}));
  EXPECT_EQ(remainder(i, z).to_vector<int>(), (std::vector<int>{0, 0}));
  EXPECT_EQ(power(Array({2, 3}), Array({10, 0})).to_vector<int>(), (std::vector<int>{1024, 1}));
}

// MLX's promotion table over bool, u8, i8, u16, i16, u32, i32, i64, f16, bf16, f32.
TEST(Promotion, TableMatchesMlx) {
  using D = Dtype;
  const D b = D::bool_, u8 = D::uint8, i8 = D::int8, u16 = D::uint16, i16 = D::int16,
          u32 = D::uint32, i32 = D::int32, i64 = D::int64, f16 = D::float16, bf = D::bfloat16,
          f32 = D::float32;
  const D table[11][11] = {
      {b, u8, i8, u16, i16, u32, i32, i64, f16, bf, f32},
      {u8, u8, i16, u16, i16, u32, i32, i64, f16, bf, f32},
      {i8, i16, i8, i32, i16, i64, i32, i64, f16, bf, f32},
      {u16, u16, i32, u16, i32, u32, i32, i64, f16, bf, f32},
      {i16, i16, i16, i32, i16, i64, i32, i64, f16, bf, f32},
      {u32, u32, i64, u32, i64, u32, i64, i64, f16, bf, f32},
      {i32, i32, i32, i32, i32, i64, i32, i64, f16, bf, f32},
      {i64, i64, i64, i64, i64, i64, i64, i64, f16, bf, f32},
      {f16, f16, f16, f16, f16, f16, f16, f16, f16, f32, f32},
      {bf, bf, bf, bf, bf, bf, bf, bf, f32, bf, f32},
      {f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32},
  };
  for (int i = 0; i < 11; ++i)
    for (int j = 0; j < 11; ++j) {
      EXPECT_EQ(promote_types(kAllDtypes[i], kAllDtypes[j]), table[i][j])
          << dtype_name(kAllDtypes[i]) << " + " << dtype_name(kAllDtypes[j]);
      Array x = zeros({2}, kAllDtypes[i]), y = ones({2}, kAllDtypes[j]);
      EXPECT_EQ(add(x, y).dtype(), table[i][j]);
      EXPECT_EQ(where(Array(true), x, y).dtype(), table[i][j]);
    }
}

// Scalars from C++ literals are weak, as Python scalars are in MLX.
TEST(Promotion, WeakScalars) {
  for (Dtype dt : kAllDtypes) {
    Array x = zeros({2}, dt);
    Dtype int_result = dt == Dtype::bool_ ? Dtype::int32 : dt;
    Dtype float_result = is_floating(dt) ? dt : Dtype::float32;
    EXPECT_EQ(add(x, Array(1)).dtype(), int_result) << dtype_name(dt);
    EXPECT_EQ(add(Array(1), x).dtype(), int_result) << dtype_name(dt);
    EXPECT_EQ(multiply(x, Array(1.5f)).dtype(), float_result) << dtype_name(dt);
    EXPECT_EQ(multiply(Array(2.0), x).dtype(), float_result) << dtype_name(dt);
    EXPECT_EQ(add(x, Array(true)).dtype(), dt) << dtype_name(dt);
    EXPECT_EQ(maximum(x, Array(0)).dtype(), int_result) << dtype_name(dt);
    // A non-weak scalar promotes normally.
    EXPECT_EQ(add(x, Array(1.0, Dtype::float32)).dtype(), promote_types(dt, Dtype::float32));
  }
  EXPECT_EQ(add(Array(1), Array(2.5f)).dtype(), Dtype::float32);
  EXPECT_EQ(add(Array(1), Array(2)).item<int>(), 3);
  EXPECT_EQ(add(ones({2}, Dtype::bfloat16), Array(2.5f)).to_vector<float>()[0], 3.5f);
}

TEST(Elementwise, WhereClipActivations) {
  std::mt19937 rng(13);
  for (Dtype dt : kAllDtypes)
    for (Layout l : kLayouts) {
      auto c = make_sample({3, 4}, Dtype::bool_, l, rng);
      auto a = make_sample({3, 4}, dt, kLayouts[(int(l) + 1) % 4], rng);
      auto b = make_sample({4}, dt, l, rng);
      auto vb = broadcast_values(b.v, {4}, {3, 4});
      std::vector<double> want;
      for (size_t i = 0; i < c.v.size(); ++i) want.push_back(c.v[i] ? a.v[i] : vb[i]);
      expect_close(where(c.a, a.a, b.a), want, {3, 4}, dt, 0, 0, "where " + name(dt, l));
      if (dt == Dtype::bool_) continue;
      auto x = make_sample({3, 4}, dt, l, rng, -10, 10);
      want.clear();
      int lo = is_signed(dt) ? -2 : 1;  // a negative weak scalar does not fit unsigned
      for (double v : x.v) want.push_back(std::min(std::max(v, double(lo)), 3.0));
      expect_close(clip(x.a, Array(lo), Array(3)), want, {3, 4}, dt, 0, 0, "clip " + name(dt, l));
    }
  struct Act {
    const char* name;
    Array (*fn)(const Array&);
    double (*ref)(double);
  };
  const Act acts[] = {
      {"silu", silu, [](double x) { return x / (1 + std::exp(-x)); }},
      {"gelu", gelu, [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }},
      {"gelu_approx", gelu_approx,
       [](double x) {
         return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
       }},
      {"gelu_fast_approx", gelu_fast_approx, [](double x) { return x * sigmoid_ref(1.702 * x); }},
      {"softplus", softplus, [](double x) { return std::log1p(std::exp(x)); }},
      {"relu", relu, [](double x) { return std::max(x, 0.0); }},
      {"relu2", relu2, [](double x) { return std::max(x, 0.0) * std::max(x, 0.0); }},
      {"softsign", softsign, [](double x) { return x / (1 + std::fabs(x)); }},
  };
  for (const auto& act : acts)
    for (Dtype dt : kFloatDtypes)
      for (Layout l : kLayouts) {
        auto x = make_sample({5, 7}, dt, l, rng, -6, 6);
        std::vector<double> want;
        for (double v : x.v) want.push_back(act.ref(v));
        // Compositions round to the dtype at every step.
        double t = 3 * tolerance(dt);
        expect_close(act.fn(x.a), want, {5, 7}, dt, t, t, std::string(act.name) + " " + name(dt, l));
      }
}

// The vectorized contiguous paths: long rows, in-place-sized odd tails, extreme values.
TEST(Elementwise, VectorizedPaths) {
  std::mt19937 rng(14);
  for (Dtype dt : {Dtype::float32, Dtype::bfloat16})
    for (int64_t n : {1, 15, 33, 1000, 70001}) {
      auto a = random_values(n, dt, rng, -90, 90);
      auto b = random_values(n, dt, rng, -3, 3);
      a[0] = NAN;
      if (n > 3) {
        a[1] = INFINITY;
        a[2] = -INFINITY;
        a[3] = -87.5;
      }
      Array x = make_array(a, {n}, dt), y = make_array(b, {n}, dt);
      std::vector<double> e, sg, ad, sb, ml;
      for (int64_t i = 0; i < n; ++i) {
        e.push_back(round_to(std::exp(a[i]), dt));
        sg.push_back(round_to(1 / (1 + std::exp(-a[i])), dt));
        ad.push_back(round_to(a[i] + b[i], dt));
        sb.push_back(round_to(a[i] - b[i], dt));
        ml.push_back(round_to(a[i] * b[i], dt));
      }
      double t = dt == Dtype::float32 ? 4e-7 : 8e-3;
      std::string w = std::string(dtype_name(dt)) + " n=" + std::to_string(n);
      expect_close(exp(x), e, {n}, dt, t, 1e-37, "exp " + w);
      expect_close(sigmoid(x), sg, {n}, dt, t, 1e-37, "sigmoid " + w);
      // float32: exact; bf16: the float32 result rounded once more.
      double ta = dt == Dtype::float32 ? 0 : 4e-3;
      expect_close(add(x, y), ad, {n}, dt, ta, 0, "add " + w);
      expect_close(subtract(x, y), sb, {n}, dt, ta, 0, "subtract " + w);
      expect_close(multiply(x, y), ml, {n}, dt, ta, 0, "multiply " + w);
    }
}

TEST(Elementwise, Errors) {
  auto message = [](auto fn) -> std::string {
    try {
      fn();
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_THROW(add(ones({2, 3}), ones({3, 2})), ShapeError);
  EXPECT_NE(message([] { add(ones({2, 3}), ones({4})); }).find("(2, 3)"), std::string::npos);
  EXPECT_THROW(bitwise_and(ones({2}), ones({2})), DtypeError);
  EXPECT_EQ(message([] { left_shift(ones({2}), ones({2})); }).rfind("[left_shift]", 0), 0u);
  EXPECT_THROW(add(Array(), ones({2})), Error);
}

}  // namespace
}  // namespace lmx::test
