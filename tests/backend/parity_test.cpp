// SPDX-License-Identifier: MIT
// Cross-backend parity: every op with a CUDA kernel runs on random inputs (non-contiguous
// views, broadcasts, odd sizes) on the CPU and on the GPU, and the results are compared
// with a per-op tolerance. Without a GPU (or without the CUDA backend) every case skips.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "lmx/backend/cpu/quantized.h"
#include "lmx/core/error.h"
#include "lmx/core/fast.h"
#include "lmx/core/ops.h"
#include "lmx/core/quantized.h"

namespace lmx {
namespace {

// The CPU's decode GEMV quantizes bf16/fp16 x to int8 for speed; the backends are
// compared with x exact on both.
struct ExactCpuGemv {
  ExactCpuGemv() { cpu::quant::set_int8_x_enabled(false); }
  ~ExactCpuGemv() { cpu::quant::set_int8_x_enabled(true); }
};

}  // namespace

namespace {

const Device kGpu{DeviceType::cuda, 0};

#define LMX_REQUIRE_GPU() \
  if (!cuda_available())  \
  GTEST_SKIP() << "no usable GPU (or a build without -DLMX_CUDA=ON): CUDA parity skipped"

// Sets the default device for a scope (scalars and creation ops inside ops use it).
struct DeviceScope {
  Device prev;
  explicit DeviceScope(Device d) : prev(default_device()) { set_default_device(d); }
  ~DeviceScope() { set_default_device(prev); }
};

using Fn = std::function<Array(const std::vector<Array>&)>;

struct Tol {
  double atol = 0.0, rtol = 0.0;
};

// Tolerance of a float result of `dt` for a computation that is exact up to a few float32
// roundings (`scale` widens it for long sums).
Tol float_tol(Dtype dt, double scale = 1.0) {
  switch (dt) {
    case Dtype::bfloat16:
      return {1e-2 * scale, 1e-2 * scale};
    case Dtype::float16:
      return {2e-3 * scale, 2e-3 * scale};
    case Dtype::float32:
      return {1e-5 * scale, 1e-5 * scale};
    default:
      return {0.0, 0.0};
  }
}

// Uniform values in [lo, hi) (integers: rounded down) as a CPU array of `dt`.
Array rand_array(const Shape& shape, Dtype dt, double lo, double hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<float> v(size_t(shape_size(shape)));
  for (auto& x : v) {
    double d = u(gen);
    x = float(is_floating(dt) ? d : std::floor(d));
  }
  DeviceScope cpu(kCpu);
  return astype(Array(v, shape), dt);
}

// Runs fn on the inputs on the CPU and on copies on the GPU; compares element by element.
void check(const std::string& what, const Fn& fn, const std::vector<Array>& inputs, Tol tol) {
  SCOPED_TRACE(what);
  Array ref, got;
  {
    DeviceScope s(kCpu);
    ref = fn(inputs);
  }
  {
    DeviceScope s(kGpu);
    std::vector<Array> gin;
    for (const auto& a : inputs) gin.push_back(to_device(a, kGpu));
    got = fn(gin);
    ASSERT_EQ(got.device(), kGpu);
    got = to_device(got, kCpu);
  }
  ASSERT_EQ(ref.shape(), got.shape());
  ASSERT_EQ(ref.dtype(), got.dtype());
  auto r = ref.to_vector<double>(), g = got.to_vector<double>();
  int64_t bad = 0, first = -1;
  for (size_t i = 0; i < r.size(); ++i) {
    bool ok = (std::isnan(r[i]) && std::isnan(g[i])) || r[i] == g[i] ||
              std::fabs(r[i] - g[i]) <= tol.atol + tol.rtol * std::fabs(r[i]);
    if (!ok && bad++ == 0) first = int64_t(i);
  }
  EXPECT_EQ(bad, 0) << bad << " of " << r.size() << " elements differ; first at " << first
                    << ": cpu " << r[first] << ", cuda " << g[first];
}

const std::vector<Dtype> kAll = {Dtype::bool_,   Dtype::uint8,    Dtype::int8,   Dtype::uint16,
                                 Dtype::int16,   Dtype::uint32,   Dtype::int32,  Dtype::int64,
                                 Dtype::float16, Dtype::bfloat16, Dtype::float32};
const std::vector<Dtype> kFloats = {Dtype::float32, Dtype::bfloat16, Dtype::float16};

TEST(CudaParity, AsTypeAllPairsOnViews) {
  LMX_REQUIRE_GPU();
  for (Dtype from : kAll) {
    Array x = rand_array({5, 9}, from, 0, 100, 1);
    for (Dtype to : kAll) {
      std::string name = std::string(dtype_name(from)) + "->" + std::string(dtype_name(to));
      check(name + " transposed", [to](auto& in) { return astype(transpose(in[0]), to); }, {x}, {});
      check(name + " reversed",
            [to](auto& in) {
              return astype(slice(in[0], {4, 8}, {-6, -10}, {-1, -2}), to);
            },
            {x}, {});
    }
  }
}

TEST(CudaParity, Unary) {
  LMX_REQUIRE_GPU();
  struct Case {
    UnaryOp op;
    double lo, hi;
  };
  const std::vector<Case> cases = {
      {UnaryOp::abs, -3, 3},         {UnaryOp::negative, -3, 3},    {UnaryOp::sign, -3, 3},
      {UnaryOp::square, -3, 3},      {UnaryOp::sqrt, 0.1, 9},       {UnaryOp::rsqrt, 0.1, 9},
      {UnaryOp::reciprocal, 0.5, 4}, {UnaryOp::exp, -5, 5},         {UnaryOp::expm1, -2, 2},
      {UnaryOp::log, 0.1, 9},        {UnaryOp::log1p, -0.5, 9},     {UnaryOp::log2, 0.1, 9},
      {UnaryOp::log10, 0.1, 9},      {UnaryOp::sin, -4, 4},         {UnaryOp::cos, -4, 4},
      {UnaryOp::tan, -1.2, 1.2},     {UnaryOp::arcsin, -0.9, 0.9},  {UnaryOp::arccos, -0.9, 0.9},
      {UnaryOp::arctan, -4, 4},      {UnaryOp::sinh, -3, 3},        {UnaryOp::cosh, -3, 3},
      {UnaryOp::tanh, -3, 3},        {UnaryOp::arcsinh, -3, 3},     {UnaryOp::arccosh, 1.1, 5},
      {UnaryOp::arctanh, -0.9, 0.9}, {UnaryOp::erf, -2, 2},         {UnaryOp::erfinv, -0.9, 0.9},
      {UnaryOp::sigmoid, -6, 6},     {UnaryOp::floor, -3, 3},       {UnaryOp::ceil, -3, 3},
      {UnaryOp::round, -3, 3},       {UnaryOp::logical_not, -1, 1}, {UnaryOp::isnan, -1, 1},
      {UnaryOp::isinf, -1, 1},       {UnaryOp::isfinite, -1, 1}};
  for (Dtype dt : kFloats) {
    for (const auto& c : cases) {
      Array x = rand_array({7, 33}, dt, c.lo, c.hi, 2 + int(c.op));
      check(
          std::string(op_name(c.op)) + " " + std::string(dtype_name(dt)),
          [op = c.op](auto& in) { return unary(op, transpose(in[0])); }, {x}, float_tol(dt, 4.0));
    }
  }
  for (Dtype dt : {Dtype::int8, Dtype::uint8, Dtype::int16, Dtype::int32, Dtype::int64,
                   Dtype::uint32, Dtype::bool_}) {
    for (UnaryOp op : {UnaryOp::abs, UnaryOp::sign, UnaryOp::square, UnaryOp::logical_not,
                       UnaryOp::bitwise_invert, UnaryOp::floor, UnaryOp::isfinite}) {
      Array x = rand_array({6, 11}, dt, dt == Dtype::bool_ ? 0 : -50, 50, 3);
      check(std::string(op_name(op)) + " " + std::string(dtype_name(dt)),
            [op](auto& in) {
              return unary(op, slice(in[0], {0, 1}, {6, 11}, {2, 3}));
            },
            {x}, {});
    }
  }
}

TEST(CudaParity, BinaryBroadcastAndStrided) {
  LMX_REQUIRE_GPU();
  const std::vector<BinaryOp> float_ops = {
      BinaryOp::add,          BinaryOp::subtract,  BinaryOp::multiply,      BinaryOp::divide,
      BinaryOp::floor_divide, BinaryOp::remainder, BinaryOp::power,         BinaryOp::maximum,
      BinaryOp::minimum,      BinaryOp::equal,     BinaryOp::not_equal,     BinaryOp::less,
      BinaryOp::less_equal,   BinaryOp::greater,   BinaryOp::greater_equal, BinaryOp::logical_and,
      BinaryOp::logical_or,   BinaryOp::logaddexp, BinaryOp::arctan2};
  for (Dtype dt : kFloats) {
    Array a = rand_array({3, 1, 17}, dt, 0.5, 4, 10);
    Array b = rand_array({17, 5}, dt, 0.5, 4, 11);  // used transposed: (5, 17)
    for (BinaryOp op : float_ops)
      check(
          std::string(op_name(op)) + " " + std::string(dtype_name(dt)),
          [op](auto& in) { return binary(op, in[0], transpose(in[1])); }, {a, b},
          float_tol(dt, 4.0));
  }
  const std::vector<BinaryOp> int_ops = {
      BinaryOp::add,          BinaryOp::subtract,    BinaryOp::multiply,   BinaryOp::divide,
      BinaryOp::floor_divide, BinaryOp::remainder,   BinaryOp::power,      BinaryOp::maximum,
      BinaryOp::minimum,      BinaryOp::equal,       BinaryOp::less,       BinaryOp::bitwise_and,
      BinaryOp::bitwise_or,   BinaryOp::bitwise_xor, BinaryOp::left_shift, BinaryOp::right_shift};
  for (Dtype dt :
       {Dtype::int8, Dtype::uint8, Dtype::int16, Dtype::int32, Dtype::uint32, Dtype::int64}) {
    bool is_unsigned = !is_signed(dt);
    Array a = rand_array({4, 9}, dt, is_unsigned ? 0 : -20, 20, 12);
    Array b = rand_array({9}, dt, 1, 5, 13);
    for (BinaryOp op : int_ops)
      check(
          std::string(op_name(op)) + " " + std::string(dtype_name(dt)),
          [op](auto& in) { return binary(op, transpose(transpose(in[0])), in[1]); }, {a, b},
          float_tol(Dtype::float32));
  }
}

TEST(CudaParity, WhereArangeSliceUpdateConcatenate) {
  LMX_REQUIRE_GPU();
  Array c = rand_array({4, 1}, Dtype::bool_, 0, 2, 20);
  for (Dtype dt : {Dtype::float32, Dtype::bfloat16, Dtype::int32, Dtype::uint8}) {
    Array a = rand_array({4, 7}, dt, 0, 50, 21), b = rand_array({7}, dt, 0, 50, 22);
    check("where " + std::string(dtype_name(dt)),
          [](auto& in) { return where(in[0], in[1], in[2]); }, {c, a, b}, {});
    check("slice_update " + std::string(dtype_name(dt)),
          [](auto& in) {
            Array u = transpose(slice(in[1], {0, 0}, {4, 6}, {2, 2}));  // (3, 2)
            return slice_update(in[1], u, {1, 1}, {4, 7}, {1, 3});
          },
          {c, a}, {});
    check("concatenate " + std::string(dtype_name(dt)),
          [](auto& in) {
            return concatenate({in[0], transpose(in[0]), slice(in[0], {0, 0}, {7, 3})}, 1);
          },
          {rand_array({7, 7}, dt, 0, 50, 23)}, {});
  }
  for (Dtype dt : {Dtype::float32, Dtype::int32, Dtype::bfloat16, Dtype::int64})
    check("arange " + std::string(dtype_name(dt)),
          [dt](auto&) { return arange(-3.5, 40.0, 0.75, dt); }, {}, {});
}

TEST(CudaParity, Reductions) {
  LMX_REQUIRE_GPU();
  const std::vector<Axes> axes_list = {{0}, {1}, {2}, {0, 2}, {1, 2}, {}};
  for (Dtype dt : {Dtype::float32, Dtype::bfloat16, Dtype::int32, Dtype::int16}) {
    Array x = rand_array({6, 70, 9}, dt, is_floating(dt) ? 0.9 : -3, is_floating(dt) ? 1.1 : 4, 30);
    for (const auto& ax : axes_list) {
      std::string tag = std::string(dtype_name(dt)) + " axes " + std::to_string(ax.size());
      // A permuted view: reductions see non-contiguous strides.
      auto view = [](const Array& a) { return transpose(a, {1, 0, 2}); };
      check(
          "sum " + tag, [&](auto& in) { return sum(view(in[0]), ax); }, {x}, float_tol(dt, 50.0));
      check("max " + tag, [&](auto& in) { return max(view(in[0]), ax, true); }, {x}, {});
      check("min " + tag, [&](auto& in) { return min(view(in[0]), ax); }, {x}, {});
      check("any " + tag, [&](auto& in) { return any(greater(view(in[0]), Array(1)), ax); }, {x},
            {});
      check("all " + tag, [&](auto& in) { return all(view(in[0]), ax); }, {x}, {});
      if (is_floating(dt) && ax.size() == 1)
        check(
            "prod " + tag, [&](auto& in) { return prod(view(in[0]), ax); }, {x},
            float_tol(dt, 50.0));
    }
    for (int axis : {0, 1, 2}) {
      check("argmax " + std::string(dtype_name(dt)),
            [axis](auto& in) {
              return argmax(transpose(in[0], {2, 1, 0}), axis);
            },
            {x}, {});
      check("argmin " + std::string(dtype_name(dt)),
            [axis](auto& in) { return argmin(in[0], axis, true); }, {x}, {});
    }
  }
}

TEST(CudaParity, Scans) {
  LMX_REQUIRE_GPU();
  for (Dtype dt : {Dtype::float32, Dtype::bfloat16, Dtype::int32, Dtype::bool_}) {
    Array x = rand_array({4, 37, 5}, dt, is_floating(dt) ? 0.9 : -3, is_floating(dt) ? 1.1 : 4, 35);
    for (int axis : {0, 1, 2})
      for (bool rev : {false, true}) {
        std::string tag =
            std::string(dtype_name(dt)) + " axis " + std::to_string(axis) + (rev ? " reverse" : "");
        check(
            "cumsum " + tag, [=](auto& in) { return cumsum(in[0], axis, rev); }, {x},
            float_tol(dt, 10.0));
        check(
            "cumsum exclusive " + tag,
            [=](auto& in) {
              return cumsum(transpose(in[0], {2, 0, 1}), axis, rev, false);
            },
            {x}, float_tol(dt, 10.0));
        if (dt != Dtype::bool_) {
          check("cummax " + tag, [=](auto& in) { return cummax(in[0], axis, rev); }, {x}, {});
          if (is_floating(dt))  // integer products overflow
            check(
                "cumprod " + tag, [=](auto& in) { return cumprod(in[0], axis, rev); }, {x},
                float_tol(dt, 10.0));
        }
      }
  }
}

TEST(CudaParity, SortAndPartition) {
  LMX_REQUIRE_GPU();
  for (Dtype dt : {Dtype::float32, Dtype::bfloat16, Dtype::int32, Dtype::uint8, Dtype::int64}) {
    // Few distinct values, so ties show whether the order is stable.
    Array x = rand_array({5, 300, 3}, dt, 0, 40, 37);
    std::string tag = std::string(dtype_name(dt));
    for (int axis : {1, 0, 2}) {
      std::string t = tag + " axis " + std::to_string(axis);
      check("sort " + t, [axis](auto& in) { return sort(in[0], axis); }, {x}, {});
      check("argsort " + t, [axis](auto& in) { return argsort(in[0], axis); }, {x}, {});
      int kth = int(x.shape(axis) / 2);
      check(
          "partition kth " + t,
          [axis, kth](auto& in) { return slice(partition(in[0], kth, axis), axis, kth, kth + 1); },
          {x}, {});
      check("argpartition values " + t,
            [axis, kth](auto& in) {
              return sort(take_along_axis(in[0], argpartition(in[0], kth, axis), axis), axis);
            },
            {x}, {});
    }
  }
}

TEST(CudaParity, SoftmaxLogSumExp) {
  LMX_REQUIRE_GPU();
  for (Dtype dt : kFloats) {
    for (Shape s : {Shape{3, 1000}, Shape{7, 33}, Shape{2, 5, 3}}) {
      Array x = rand_array(s, dt, -8, 8, 40);
      check(
          "softmax " + shape_str(s), [](auto& in) { return softmax(in[0], -1); }, {x},
          float_tol(dt));
      check(
          "softmax of a view " + shape_str(s), [](auto& in) { return softmax(in[0], 0); }, {x},
          float_tol(dt));
      check(
          "logsumexp " + shape_str(s), [](auto& in) { return logsumexp(in[0], -1); }, {x},
          float_tol(dt, 2.0));
    }
  }
}

TEST(CudaParity, Matmul) {
  LMX_REQUIRE_GPU();
  for (Dtype dt : kFloats) {
    Tol tol = dt == Dtype::float32 ? Tol{1e-4, 1e-4} : float_tol(dt, 2.0);
    Array a = rand_array({2, 3, 65, 129}, dt, -1, 1, 50);
    Array b = rand_array({129, 33}, dt, -1, 1, 51);
    Array bt = rand_array({3, 33, 129}, dt, -1, 1, 52);
    check(
        "batched @ shared", [](auto& in) { return matmul(in[0], in[1]); }, {a, b}, tol);
    check(
        "batched @ transposed batch",
        [](auto& in) { return matmul(in[0], swapaxes(in[1], -1, -2)); }, {a, bt}, tol);
    check(
        "transposed lhs",
        [](auto& in) {
          return matmul(swapaxes(in[0], -1, -2), swapaxes(in[0], -1, -2));  // (129,65)@...
        },
        {rand_array({65, 65}, dt, -1, 1, 53)}, tol);
    check(
        "gemv", [](auto& in) { return matmul(in[0], in[1]); },
        {rand_array({1, 129}, dt, -1, 1, 54), b}, tol);
    check(
        "strided rows",
        [](auto& in) {
          return matmul(slice(in[0], {0, 0}, {65, 129}, {2, 1}), in[1]);
        },
        {rand_array({65, 129}, dt, -1, 1, 55), b}, tol);
  }
}

TEST(CudaParity, GatherScatter) {
  LMX_REQUIRE_GPU();
  for (Dtype dt : {Dtype::float32, Dtype::bfloat16, Dtype::int8, Dtype::int64}) {
    Array a = rand_array({9, 13}, dt, -20, 20, 60);
    Array idx = astype(rand_array({4, 3}, Dtype::int32, -9, 9, 61), Dtype::int32);
    std::string tag = std::string(dtype_name(dt));
    check("take axis 0 " + tag, [](auto& in) { return take(in[0], in[1], 0); }, {a, idx}, {});
    check("take axis 1 of a view " + tag, [](auto& in) { return take(transpose(in[0]), in[1], 1); },
          {a, idx}, {});
    Array ia = astype(rand_array({9, 5}, Dtype::int32, 0, 13, 62), Dtype::uint32);
    check("take_along_axis " + tag, [](auto& in) { return take_along_axis(in[0], in[1], 1); },
          {a, ia}, {});
    Array vals = rand_array({9, 5}, dt, -20, 20, 63);
    check("put_along_axis " + tag, [](auto& in) { return put_along_axis(in[0], in[1], in[2], 1); },
          {a, ia, vals}, {});
    Array rows = astype(rand_array({6}, Dtype::int32, 0, 9, 64), Dtype::int64);
    Array upd = rand_array({6, 1, 13}, dt, -5, 5, 65);
    check(
        "scatter_add (repeated rows) " + tag,
        [](auto& in) { return scatter_add(in[0], {in[1]}, in[2], {0}); }, {a, rows, upd},
        float_tol(dt, 4.0));
    check("scatter " + tag, [](auto& in) { return scatter(in[0], {in[1]}, in[2], {0}); },
          {a, rows, upd}, {});
  }
}

TEST(CudaParity, NormsAndRope) {
  LMX_REQUIRE_GPU();
  for (Dtype dt : kFloats) {
    Array x = rand_array({3, 5, 257}, dt, -2, 2, 70);
    Array w = rand_array({257}, dt, 0.5, 1.5, 71), b = rand_array({257}, dt, -1, 1, 72);
    Tol tol = float_tol(dt, 4.0);
    check(
        "rms_norm", [](auto& in) { return fast::rms_norm(in[0], in[1], 1e-5f); }, {x, w}, tol);
    check(
        "rms_norm no weight", [](auto& in) { return fast::rms_norm(in[0], {}, 1e-6f); }, {x}, tol);
    check(
        "layer_norm", [](auto& in) { return fast::layer_norm(in[0], in[1], in[2], 1e-5f); },
        {x, w, b}, tol);
    Array q = rand_array({2, 9, 4, 64}, dt, -2, 2, 73);  // (B, L, H, D): transposed below
    for (bool trad : {false, true}) {
      std::string tag = std::string(dtype_name(dt)) + (trad ? " traditional" : "");
      check(
          "rope " + tag,
          [trad](auto& in) {
            return fast::rope(swapaxes(in[0], 1, 2), 64, trad, 10000.0f, 1.0f, 37);
          },
          {q}, float_tol(dt, 20.0));
      check(
          "rope partial dims, per-batch offsets " + tag,
          [trad](auto& in) {
            Array off = astype(in[1], Dtype::int32);
            return fast::rope(swapaxes(in[0], 1, 2), 32, trad, 500000.0f, 0.5f, off);
          },
          {q, rand_array({2}, Dtype::int32, 0, 3000, 74)}, float_tol(dt, 100.0));
      check(
          "rope freqs " + tag,
          [trad](auto& in) { return fast::rope(in[0], 64, trad, std::nullopt, 1.0f, 5, in[1]); },
          {q, rand_array({32}, Dtype::float32, 1, 1000, 75)}, float_tol(dt, 20.0));
    }
  }
}

TEST(CudaParity, Attention) {
  LMX_REQUIRE_GPU();
  struct Case {
    std::string name;
    int64_t B, Hq, Hkv, Lq, Lk, D;
    bool causal;
    fast::AttentionOptions o;
    int mask = 0;  // 1 bool, 2 additive
  };
  std::vector<Case> cases = {
      {"prefill causal gqa", 2, 8, 2, 37, 37, 64, true, {}},
      {"decode gqa", 1, 6, 2, 1, 301, 128, false, {}},
      {"chunk aligned to end", 1, 4, 4, 5, 140, 64, true, {}},
      {"sliding window", 1, 4, 1, 50, 90, 32, true, {.sliding_window = 17}},
      {"softcap", 2, 2, 1, 9, 260, 80, true, {.softcap = 30.0f}},
      {"bool mask", 1, 4, 2, 11, 70, 64, false, {}, 1},
      {"additive mask", 2, 2, 2, 11, 70, 64, false, {}, 2},
      // Many rows: the CUDA kernel's tiled path (tiles of 32 queries and 32 keys).
      {"prefill tiled causal gqa", 1, 8, 2, 300, 300, 128, true, {}},
      {"prefill tiled chunk", 2, 4, 4, 70, 333, 64, true, {}},
      {"prefill tiled window", 1, 4, 2, 200, 260, 64, true, {.sliding_window = 45}},
      {"prefill tiled softcap", 1, 2, 1, 100, 100, 128, false, {.softcap = 25.0f}},
      // Few rows over many keys: the CUDA kernel splits the keys (flash-decoding).
      {"long decode split", 1, 8, 2, 1, 3001, 64, true, {}},
      {"long decode window", 1, 4, 2, 2, 2100, 128, true, {.sliding_window = 700}},
      {"long decode softcap", 2, 2, 1, 1, 1800, 80, false, {.softcap = 20.0f}},
      {"long decode mask", 1, 4, 2, 1, 1300, 64, false, {}, 1},
  };
  for (Dtype dt : kFloats) {
    for (auto& c : cases) {
      Array q = rand_array({c.B, c.Lq, c.Hq, c.D}, dt, -1, 1, 80);
      Array k = rand_array({c.B, c.Hkv, c.Lk, c.D}, dt, -1, 1, 81);
      Array v = rand_array({c.B, c.Hkv, c.Lk, c.D}, dt, -1, 1, 82);
      Array m = c.mask == 1   ? rand_array({c.Lq, c.Lk}, Dtype::bool_, 0.2, 2, 83)
                : c.mask == 2 ? rand_array({c.B, 1, c.Lq, c.Lk}, Dtype::float32, -4, 1, 84)
                              : Array();
      std::vector<Array> in{q, k, v};
      if (m.valid()) in.push_back(m);
      Case cc = c;
      check(
          c.name + " " + std::string(dtype_name(dt)),
          [cc](auto& x) {
            fast::AttentionMask mask =
                cc.causal ? fast::AttentionMask("causal") : fast::AttentionMask();
            if (x.size() > 3) mask = fast::AttentionMask(x[3]);
            return fast::scaled_dot_product_attention(swapaxes(x[0], 1, 2), x[1], x[2], 0.125f,
                                                      mask, cc.o);
          },
          in, float_tol(dt, 10.0));
    }
    Array sinks = rand_array({4}, Dtype::float32, -1, 2, 85);
    check(
        "sinks " + std::string(dtype_name(dt)),
        [](auto& x) {
          return fast::scaled_dot_product_attention(x[0], x[1], x[2], 0.2f, "causal",
                                                    {.sinks = x[3]});
        },
        {rand_array({1, 4, 13, 64}, dt, -1, 1, 86), rand_array({1, 2, 13, 64}, dt, -1, 1, 87),
         rand_array({1, 2, 13, 64}, dt, -1, 1, 88), sinks},
        float_tol(dt, 10.0));
    check(
        "sinks prefill tiled " + std::string(dtype_name(dt)),
        [](auto& x) {
          return fast::scaled_dot_product_attention(x[0], x[1], x[2], 0.2f, "causal",
                                                    {.sinks = x[3]});
        },
        {rand_array({1, 4, 90, 64}, dt, -1, 1, 92), rand_array({1, 2, 90, 64}, dt, -1, 1, 93),
         rand_array({1, 2, 90, 64}, dt, -1, 1, 94), sinks},
        float_tol(dt, 10.0));
    check(
        "sinks long decode " + std::string(dtype_name(dt)),
        [](auto& x) {
          return fast::scaled_dot_product_attention(x[0], x[1], x[2], 0.2f, "causal",
                                                    {.sinks = x[3]});
        },
        {rand_array({1, 4, 1, 64}, dt, -1, 1, 89), rand_array({1, 2, 1500, 64}, dt, -1, 1, 90),
         rand_array({1, 2, 1500, 64}, dt, -1, 1, 91), sinks},
        float_tol(dt, 10.0));
  }
}

TEST(CudaParity, QuantizedMatmul) {
  LMX_REQUIRE_GPU();
  ExactCpuGemv exact;
  struct Case {
    int bits, group;
  };
  for (Case c : {Case{4, 64}, Case{4, 32}, Case{4, 128}, Case{8, 32}, Case{2, 64}, Case{3, 32},
                 Case{5, 64}, Case{6, 128}}) {
    for (Dtype dt : kFloats) {
      Array w = rand_array({72, 256}, dt, -1, 1, 90 + c.bits);
      auto [wq, s, b] = [&] {
        DeviceScope cpu(kCpu);
        return quantize(w, c.group, c.bits);
      }();
      std::string tag = std::to_string(c.bits) + "-bit g" + std::to_string(c.group) + " " +
                        std::string(dtype_name(dt));
      for (int64_t M : {1, 3, 8, 17}) {
        Array x = rand_array({2, M, 256}, dt, -1, 1, 95);
        check(
            "quantized_matmul M=" + std::to_string(M) + " " + tag,
            [c](auto& in) {
              return quantized_matmul(in[0], in[1], in[2], in[3], true, c.group, c.bits);
            },
            {x, wq, s, b}, float_tol(dt, 20.0));
      }
      check(
          "dequantize " + tag,
          [c](auto& in) { return dequantize(in[0], in[1], in[2], c.group, c.bits); }, {wq, s, b},
          float_tol(dt));
      Array xt = rand_array({5, 72}, dt, -1, 1, 96);  // x @ W with W (72, 256)
      check(
          "quantized_matmul no transpose " + tag,
          [c](auto& in) {
            return quantized_matmul(in[0], in[1], in[2], in[3], false, c.group, c.bits);
          },
          {xt, wq, s, b}, float_tol(dt, 20.0));
    }
  }
}

TEST(CudaParity, QuantizeAndGatheredProducts) {
  LMX_REQUIRE_GPU();
  ExactCpuGemv exact;
  for (Dtype dt : kFloats) {
    Array w = rand_array({6, 40, 128}, dt, -1, 1, 100);  // 6 experts of (40, 128)
    for (int bits : {4, 3, 8}) {
      std::string tag = std::to_string(bits) + "-bit " + std::string(dtype_name(dt));
      for (int out : {0, 1, 2})
        check("quantize output " + std::to_string(out) + " " + tag,
              [bits, out](auto& in) {
                auto [q, sc, bi] = quantize(in[0], 64, bits);
                return out == 0 ? q : out == 1 ? sc : bi;
              },
              {w}, {});
      auto [wq, s, b] = [&] {
        DeviceScope cpu(kCpu);
        return quantize(w, 64, bits);
      }();
      Array lhs = astype(rand_array({9}, Dtype::int32, 0, 5, 101), Dtype::uint32);
      Array rhs = astype(rand_array({9}, Dtype::int32, 0, 6, 102), Dtype::int32);
      for (int64_t M : {1, 12}) {
        Array x = rand_array({5, M, 128}, dt, -1, 1, 103);
        check(
            "gather_qmm M=" + std::to_string(M) + " " + tag,
            [bits](auto& in) {
              return gather_qmm(in[0], in[1], in[2], in[3], in[4], in[5], true, 64, bits);
            },
            {x, wq, s, b, lhs, rhs}, float_tol(dt, 20.0));
      }
    }
    Array a = rand_array({5, 3, 48}, dt, -1, 1, 104), bm = rand_array({6, 48, 20}, dt, -1, 1, 105);
    check(
        "gather_mm " + std::string(dtype_name(dt)),
        [](auto& in) { return gather_mm(in[0], in[1], in[2], in[3]); },
        {a, bm, astype(rand_array({7}, Dtype::int32, 0, 5, 106), Dtype::int32),
         astype(rand_array({7}, Dtype::int32, 0, 6, 107), Dtype::int32)},
        dt == Dtype::float32 ? Tol{1e-4, 1e-4} : float_tol(dt, 2.0));
  }
}

TEST(CudaParity, SkipsOrRunsClearly) {
  // Without a GPU, asking for one is a clear DeviceError, not a crash.
  if (cuda_available()) GTEST_SKIP() << "a GPU is present";
  EXPECT_THROW(set_default_device(kGpu), DeviceError);
  EXPECT_THROW(to_device(Array(1.0f), kGpu), DeviceError);
}

}  // namespace
}  // namespace lmx
