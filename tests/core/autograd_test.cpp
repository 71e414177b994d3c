// SPDX-License-Identifier: MIT
// Gradients of every differentiable core op against central finite differences, and the
// autograd API (value_and_grad, argnums, vjp, higher order, stop_gradient).
#include "lmx/core/error.h"
#include "tests/core/test_util.h"

namespace lmx::test {
namespace {

using Fn = std::function<Array(const std::vector<Array>&)>;

Array rand_f32(const Shape& s, std::mt19937& rng, double lo, double hi) {
  return make_array(random_values(shape_size(s), Dtype::float32, rng, lo, hi), s, Dtype::float32);
}

TEST(Grad, Unary) {
  struct Case {
    const char* name;
    Array (*fn)(const Array&);
    double lo, hi;
  };
  const Case cases[] = {
      {"abs", abs, 0.2, 2},       {"negative", negative, -2, 2}, {"square", square, -2, 2},
      {"sqrt", sqrt, 0.3, 3},     {"rsqrt", rsqrt, 0.3, 3},      {"reciprocal", reciprocal, 0.3, 3},
      {"exp", exp, -2, 2},        {"expm1", expm1, -2, 2},       {"log", log, 0.3, 3},
      {"log1p", log1p, -0.5, 2},  {"log2", log2, 0.3, 3},        {"log10", log10, 0.3, 3},
      {"sin", sin, -3, 3},        {"cos", cos, -3, 3},           {"tan", tan, -1, 1},
      {"arcsin", arcsin, -0.8, 0.8}, {"arccos", arccos, -0.8, 0.8}, {"arctan", arctan, -2, 2},
      {"sinh", sinh, -2, 2},      {"cosh", cosh, -2, 2},         {"tanh", tanh, -2, 2},
      {"arcsinh", arcsinh, -2, 2}, {"arccosh", arccosh, 1.2, 3}, {"arctanh", arctanh, -0.8, 0.8},
      {"erf", erf, -2, 2},        {"erfinv", erfinv, -0.8, 0.8}, {"sigmoid", sigmoid, -3, 3},
      {"silu", silu, -3, 3},      {"gelu", gelu, -3, 3},         {"gelu_approx", gelu_approx, -3, 3},
      {"softplus", softplus, -3, 3}, {"relu2", relu2, 0.1, 2},   {"softsign", softsign, -3, 3},
  };
  std::mt19937 rng(70);
  for (const auto& c : cases) {
    Array x = rand_f32({2, 3}, rng, c.lo, c.hi);
    check_grad([&](const std::vector<Array>& in) { return c.fn(in[0]); }, {x}, c.name);
    // Through a non-contiguous view.
    check_grad([&](const std::vector<Array>& in) { return c.fn(transpose(in[0])); }, {x},
               std::string(c.name) + " transposed");
  }
}

TEST(Grad, BinaryWithBroadcasting) {
  struct Case {
    const char* name;
    Array (*fn)(const Array&, const Array&);
    double lo, hi;
  };
  const Case cases[] = {
      {"add", add, -2, 2},         {"subtract", subtract, -2, 2}, {"multiply", multiply, -2, 2},
      {"divide", divide, 0.5, 2},  {"maximum", maximum, -2, 2},   {"minimum", minimum, -2, 2},
      {"power", power, 0.5, 2},    {"logaddexp", logaddexp, -2, 2}, {"arctan2", arctan2, 0.5, 2},
      {"remainder", remainder, 0.7, 3},
  };
  std::mt19937 rng(71);
  for (const auto& c : cases) {
    Array a = rand_f32({3, 1}, rng, c.lo, c.hi);
    Array b = rand_f32({1, 4}, rng, c.lo, c.hi);
    if (c.fn == remainder) b = rand_f32({1, 4}, rng, 1.1, 1.3);  // away from the jumps
    check_grad([&](const std::vector<Array>& in) { return c.fn(in[0], in[1]); }, {a, b}, c.name);
  }
  Array cond = Array({true, false, true, false, true, false}, {2, 3});
  Array x = rand_f32({2, 3}, rng, -1, 1), y = rand_f32({3}, rng, -1, 1);
  check_grad([&](const std::vector<Array>& in) { return where(cond, in[0], in[1]); }, {x, y},
             "where");
  check_grad([&](const std::vector<Array>& in) { return clip(in[0], Array(-0.5f), Array(0.5f)); },
             {rand_f32({8}, rng, -1, 1)}, "clip");
}

TEST(Grad, Reductions) {
  std::mt19937 rng(72);
  Array x = rand_f32({3, 4}, rng, 0.5, 2);
  const std::vector<std::pair<const char*, Fn>> fns = {
      {"sum", [](auto& in) { return sum(in[0], {1}); }},
      {"sum all", [](auto& in) { return sum(in[0]); }},
      {"mean", [](auto& in) { return mean(in[0], {0}, true); }},
      {"prod", [](auto& in) { return prod(in[0], {1}); }},
      {"max", [](auto& in) { return max(in[0], 0); }},
      {"min", [](auto& in) { return min(in[0], {0, 1}); }},
      {"var", [](auto& in) { return var(in[0], {1}); }},
      {"std", [](auto& in) { return std(in[0], {0}, false, 1); }},
      {"logsumexp last", [](auto& in) { return logsumexp(in[0], -1); }},
      {"logsumexp first", [](auto& in) { return logsumexp(in[0], 0); }},
      {"softmax last", [](auto& in) { return softmax(in[0], -1); }},
      {"softmax first", [](auto& in) { return softmax(in[0], 0); }},
      {"log_softmax", [](auto& in) { return log_softmax(in[0], -1); }},
      {"cumsum", [](auto& in) { return cumsum(in[0], 1); }},
  };
  for (const auto& [n, f] : fns) {
    check_grad(f, {x}, n);
    check_grad([&](auto& in) { return f({transpose(transpose(in[0]))}); }, {x}, n);
  }
}

TEST(Grad, MatmulAndLinalg) {
  std::mt19937 rng(73);
  Array a = rand_f32({2, 3, 4}, rng, -1, 1), b = rand_f32({4, 5}, rng, -1, 1);
  check_grad([](auto& in) { return matmul(in[0], in[1]); }, {a, b}, "matmul batched");
  check_grad([](auto& in) { return matmul(transpose(in[1]), transpose(in[0], {0, 2, 1})); },
             {a, b}, "matmul transposed");
  Array v = rand_f32({4}, rng, -1, 1);
  check_grad([](auto& in) { return matmul(in[0], in[1]); }, {v, b}, "matmul vec");
  Array c = rand_f32({3, 5}, rng, -1, 1), m = rand_f32({3, 4}, rng, -1, 1);
  check_grad([](auto& in) { return addmm(in[0], in[1], in[2], 0.5f, 2.0f); }, {c, m, b}, "addmm");
}

TEST(Grad, ShapeAndIndexOps) {
  std::mt19937 rng(74);
  Array x = rand_f32({3, 4}, rng, -1, 1);
  Array y = rand_f32({3, 2}, rng, -1, 1);
  const std::vector<std::pair<const char*, Fn>> fns = {
      {"reshape", [](auto& in) { return reshape(in[0], {2, 6}); }},
      {"transpose", [](auto& in) { return transpose(in[0]); }},
      {"slice", [](auto& in) { return slice(in[0], {2, 3}, {-4, 0}, {-1, -2}); }},
      {"broadcast", [](auto& in) { return broadcast_to(reshape(in[0], {3, 1, 4}), {3, 2, 4}); }},
      {"expand/squeeze", [](auto& in) { return squeeze(expand_dims(in[0], 1), {1}); }},
      {"concatenate", [](auto& in) { return concatenate({in[0], in[1], in[0]}, 1); }},
      {"stack", [](auto& in) { return stack({in[0], in[0]}, 0); }},
      {"split", [](auto& in) { return split(in[0], Shape{1}, 1)[1]; }},
      {"pad", [](auto& in) { return pad(in[0], {{1, 0}, {2, 1}}); }},
      {"repeat", [](auto& in) { return repeat(in[0], 2, 0); }},
      {"tile", [](auto& in) { return tile(in[0], {2, 1}); }},
      {"as_strided", [](auto& in) { return as_strided(in[0], {4, 3}, {2, 1}, 1); }},
      {"take", [](auto& in) { return take(in[0], Array({2, 0, 2, -1}), 1); }},
      {"take flat", [](auto& in) { return take(in[0], Array({5, 5, 0})); }},
      {"take_along_axis", [](auto& in) { return take_along_axis(in[0], Array({1, 3, 0}, {3, 1}), 1); }},
      {"gather", [](auto& in) { return gather(in[0], {Array({2, 0})}, {0}, {1, 3}); }},
      {"scatter_add",
       [](auto& in) { return scatter_add(in[0], {Array({1, 1})}, reshape(in[1], {2, 1, 3}), {0}); }},
      {"scatter",
       [](auto& in) { return scatter(in[0], {Array({2, 0})}, reshape(in[1], {2, 1, 3}), {0}); }},
      {"slice_update", [](auto& in) { return slice_update(in[0], in[1], {0, 1}, {3, 4}, {1, 2}); }},
      {"put_along_axis",
       [](auto& in) { return put_along_axis(in[0], Array({3, 0}, {1, 2}), in[1], 1); }},
      {"tril", [](auto& in) { return tril(in[0], 1); }},
      {"triu", [](auto& in) { return triu(in[0]); }},
  };
  for (const auto& [n, f] : fns) check_grad(f, {x, y}, n);
  // Through a 16-bit cast the gradient is cast back (finite differences cannot see it).
  auto g = grad([](const std::vector<Array>& in) {
    return std::vector<Array>{sum(multiply(astype(in[0], Dtype::bfloat16), Array(3.0f)))};
  })({x});
  EXPECT_EQ(g[0].dtype(), Dtype::float32);
  EXPECT_EQ(g[0].to_vector<float>(), std::vector<float>(12, 3.0f));
}

TEST(Grad, Api) {
  Array x = Array({1.0f, 2.0f, 3.0f});
  Array y = Array({4.0f, 5.0f, 6.0f});
  auto f = [](const std::vector<Array>& in) {
    return std::vector<Array>{sum(multiply(in[0], in[1])), in[0]};
  };
  auto [vals, grads] = value_and_grad(f, {1})({x, y});
  EXPECT_EQ(vals[0].item<float>(), 32.0f);
  ASSERT_EQ(grads.size(), 1u);
  EXPECT_EQ(grads[0].to_vector<float>(), x.to_vector<float>());
  // Unused inputs get zeros; repeated use accumulates.
  auto g = grad([](const std::vector<Array>& in) {
    return std::vector<Array>{add(sum(in[0]), sum(in[0]))};
  }, {0, 1})({x, y});
  EXPECT_EQ(g[0].to_vector<float>(), (std::vector<float>{2, 2, 2}));
  EXPECT_EQ(g[1].to_vector<float>(), (std::vector<float>{0, 0, 0}));
  // vjp with an explicit cotangent.
  auto [outs, cots] = vjp([](const std::vector<Array>& in) { return std::vector<Array>{square(in[0])}; },
                          {x}, {Array({1.0f, 0.0f, 2.0f})});
  EXPECT_EQ(cots[0].to_vector<float>(), (std::vector<float>{2, 0, 12}));
  // Second derivative of sum(x^3) is 6x.
  std::function<Array(const Array&)> cube = [](const Array& a) { return sum(power(a, Array(3.0f))); };
  auto d1 = grad(cube);
  auto d2 = grad(std::function<Array(const Array&)>([&](const Array& a) { return sum(d1(a)); }));
  EXPECT_EQ(d2(x).to_vector<float>(), (std::vector<float>{6, 12, 18}));
  // Errors.
  EXPECT_THROW(value_and_grad([](const std::vector<Array>& in) { return std::vector<Array>{in[0]}; })({x}),
               ValueError);
  EXPECT_THROW(value_and_grad(f, {2})({x, y}), ValueError);
  EXPECT_THROW(vjp([](const std::vector<Array>& in) { return std::vector<Array>{in[0]}; }, {x},
                   {ones({2})}),
               ShapeError);
  EXPECT_THROW(grad([](const std::vector<Array>& in) {
                 return std::vector<Array>{sum(cummax(in[0], 0))};
               })({x}),
               ValueError);
}

}  // namespace
}  // namespace lmx::test
