// SPDX-License-Identifier: MIT
// Quantization ops against straightforward references: MLX's packing written out per
// format, MLX's quantization formula, double-precision products, finite differences, and
// the MLX-quantized fixture checkpoints.
#include "lmx/core/quantized.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include <nlohmann/json.hpp>

#include "../shared_data.h"
#include "lmx/backend/cpu/quantized.h"
#include "lmx/core/autograd.h"
#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/io/safetensors.h"

using namespace lmx;

namespace {

const int kBits[] = {2, 3, 4, 5, 6, 8};
const int kGroups[] = {32, 64, 128};

Array random_array(Shape shape, uint32_t seed, float lo = -1.0f, float hi = 1.0f,
                   Dtype dtype = Dtype::float32) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(size_t(shape_size(shape)));
  for (auto& x : v) x = u(rng);
  return astype(Array(v, std::move(shape)), dtype);
}

// --- reference packing, written per format as MLX describes it ---

// Codes of one packed row (as uint32 words), unpacked format by format.
std::vector<int> ref_unpack(const uint32_t* words, int64_t nwords, int bits) {
  std::vector<int> codes;
  if (bits == 2 || bits == 4 || bits == 8) {
    for (int64_t i = 0; i < nwords; ++i)
      for (int k = 0; k < 32 / bits; ++k)
        codes.push_back((words[i] >> (k * bits)) & ((1 << bits) - 1));
    return codes;
  }
  const auto* bytes = reinterpret_cast<const uint8_t*>(words);
  int64_t nbytes = nwords * 4;
  if (bits == 3 || bits == 6) {  // 8 (3-bit) or 4 (6-bit) codes per 3 bytes
    for (int64_t i = 0; i < nbytes; i += 3) {
      uint32_t v = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16);
      for (int k = 0; k < 24 / bits; ++k) codes.push_back((v >> (k * bits)) & ((1 << bits) - 1));
    }
    return codes;
  }
  for (int64_t i = 0; i < nbytes; i += 5) {  // 5-bit: 8 codes per 5 bytes
    uint64_t v = 0;
    for (int b = 0; b < 5; ++b) v |= uint64_t(bytes[i + b]) << (8 * b);
    for (int k = 0; k < 8; ++k) codes.push_back(int((v >> (k * 5)) & 31));
  }
  return codes;
}

// All codes of wq (rows, nwords) as (rows, cols).
std::vector<int> ref_codes(const Array& wq, int bits) {
  auto words = contiguous(wq).to_vector<uint32_t>();
  int64_t nw = wq.shape(-1), rows = wq.size() / nw;
  std::vector<int> out;
  for (int64_t r = 0; r < rows; ++r) {
    auto c = ref_unpack(words.data() + r * nw, nw, bits);
    out.insert(out.end(), c.begin(), c.end());
  }
  return out;
}

// Dequantized values in double from the reference unpacking.
std::vector<double> ref_dequantize(const Array& wq, const Array& scales, const Array& biases,
                                   int gs, int bits) {
  auto codes = ref_codes(wq, bits);
  auto s = astype(scales, Dtype::float32).to_vector<float>();
  auto b = astype(biases, Dtype::float32).to_vector<float>();
  std::vector<double> out(codes.size());
  for (size_t i = 0; i < codes.size(); ++i) out[i] = double(codes[i]) * s[i / gs] + b[i / gs];
  return out;
}

// MLX's affine quantization of one group, as a reference: returns codes, scale, bias.
void ref_quantize_group(const float* w, int gs, int bits, int* codes, float* scale, float* bias) {
  float n_bins = float((1 << bits) - 1);
  float mn = w[0], mx = w[0];
  for (int i = 1; i < gs; ++i) mn = std::min(mn, w[i]), mx = std::max(mx, w[i]);
  bool use_min = std::fabs(mn) > std::fabs(mx);
  float s = std::max((mx - mn) / n_bins, 1e-7f);
  if (!use_min) s = -s;
  float edge = use_min ? mn : mx, q0 = std::rint(edge / s), b = 0.0f;
  if (q0 != 0.0f) s = edge / q0, b = edge;
  for (int i = 0; i < gs; ++i) codes[i] = int(std::clamp(std::rint((w[i] - b) / s), 0.0f, n_bins));
  *scale = s;
  *bias = b;
}

// Re-quantizing MLX's own output. A group whose codes reach both ends of the range comes
// back bit-exact (same codes, scale and bias) when its values are exact (float32 scales).
// A group whose codes stop short of an end (the nudged scale can leave the far edge one
// code short) has a smaller range the second time, so its scale legitimately changes; MLX's
// formula does the same. With 16-bit scales the dequantized values are rounded, so
// re-quantization is exact only for most groups, and codes may move by one.
struct Requant {
  double full = 0;   // fraction of groups whose codes span the whole range
  double exact = 0;  // fraction of those that came back bit-exact
  int max_code_diff = 0;
};

Requant requantize(const Array& wq, const Array& s, const Array& b, int gs, int bits) {
  Array d = dequantize(wq, s, b, gs, bits);
  auto [wq2, s2, b2] = quantize(d, gs, bits);
  auto c1 = ref_codes(wq, bits), c2 = ref_codes(wq2, bits);
  auto s1v = s.to_vector<float>(), s2v = s2.to_vector<float>();
  auto b1v = b.to_vector<float>(), b2v = b2.to_vector<float>();
  int64_t groups = int64_t(s1v.size()), full = 0, exact = 0;
  Requant r;
  for (int64_t g = 0; g < groups; ++g) {
    auto first = c1.begin() + g * gs, last = first + gs;
    if (*std::max_element(first, last) != (1 << bits) - 1 || *std::min_element(first, last) != 0)
      continue;
    ++full;
    bool same = s2v[g] == s1v[g] && b2v[g] == b1v[g];
    for (int i = 0; i < gs; ++i) {
      int diff = std::abs(c2[g * gs + i] - c1[g * gs + i]);
      same = same && diff == 0;
      if (s2v[g] == s1v[g]) r.max_code_diff = std::max(r.max_code_diff, diff);
    }
    exact += same;
  }
  r.full = double(full) / double(std::max<int64_t>(groups, 1));
  r.exact = double(exact) / double(std::max<int64_t>(full, 1));
  return r;
}

}  // namespace

TEST(Quantized, MatchesReferenceQuantizerAndPacking) {
  for (Dtype dt : {Dtype::float32, Dtype::bfloat16, Dtype::float16}) {
    for (int bits : kBits) {
      for (int gs : kGroups) {
        Array w = random_array({5, 2 * gs}, 17 + bits * 3 + gs, -0.3f, 0.5f, dt);
        auto [wq, s, b] = quantize(w, gs, bits);
        ASSERT_EQ(wq.dtype(), Dtype::uint32);
        ASSERT_EQ(wq.shape(), (Shape{5, 2 * gs * bits / 32}));
        ASSERT_EQ(s.shape(), (Shape{5, 2}));
        ASSERT_EQ(s.dtype(), dt);
        auto wf = astype(w, Dtype::float32).to_vector<float>();
        auto codes = ref_codes(wq, bits);
        auto sv = s.to_vector<float>(), bv = b.to_vector<float>();
        for (int g = 0; g < 10; ++g) {
          std::vector<int> rc(gs);
          float rs, rb;
          ref_quantize_group(wf.data() + g * gs, gs, bits, rc.data(), &rs, &rb);
          EXPECT_EQ(sv[g], astype(Array(rs), dt).item<float>()) << bits << " " << gs;
          EXPECT_EQ(bv[g], astype(Array(rb), dt).item<float>());
          for (int i = 0; i < gs; ++i)
            ASSERT_EQ(codes[g * gs + i], rc[i]) << "bits " << bits << " gs " << gs << " g " << g;
        }
      }
    }
  }
}

TEST(Quantized, RoundTripAndIdempotence) {
  for (int bits : kBits) {
    for (int gs : kGroups) {
      Array w = random_array({7, 3, 4 * gs}, 100 + bits + gs);
      auto [wq, s, b] = quantize(w, gs, bits);
      Array d = dequantize(wq, s, b, gs, bits);
      ASSERT_EQ(d.shape(), w.shape());
      // Against the reference unpacking (dequantize rounds float32 q * s + b).
      auto ref = ref_dequantize(wq, s, b, gs, bits);
      auto dv = d.to_vector<float>(), wv = w.to_vector<float>(), sv = s.to_vector<float>();
      for (size_t i = 0; i < dv.size(); ++i) {
        ASSERT_NEAR(dv[i], ref[i], 1e-6 * (1 + std::fabs(ref[i])));
        // Within one step (the far edge may clip by one code), mostly half a step.
        ASSERT_LE(std::fabs(dv[i] - wv[i]), std::fabs(sv[i / gs]) * 1.0001 + 1e-6)
            << bits << " " << gs;
      }
      Requant r = requantize(wq, s, b, gs, bits);
      EXPECT_GT(r.full, 0.3) << bits << " " << gs;
      EXPECT_EQ(r.exact, 1.0) << bits << " " << gs;
    }
  }
}

TEST(Quantized, ConstantAndZeroGroups) {
  Array w = concatenate({zeros({2, 64}), full({2, 64}, 0.25), full({2, 64}, -3.0)}, 0);
  auto [wq, s, b] = quantize(w, 64, 4);
  Array d = dequantize(wq, s, b, 64, 4);
  auto dv = d.to_vector<float>(), wv = w.to_vector<float>();
  for (size_t i = 0; i < dv.size(); ++i) EXPECT_NEAR(dv[i], wv[i], 1e-6);
}

namespace {

Dtype dtype_of_st(const std::string& code) {
  if (code == "F32") return Dtype::float32;
  if (code == "BF16") return Dtype::bfloat16;
  if (code == "F16") return Dtype::float16;
  if (code == "U32") return Dtype::uint32;
  throw std::runtime_error("unexpected dtype " + code);
}

Array from_view(const io::TensorView& t) {
  return Array::borrow(t.data, t.shape, dtype_of_st(t.dtype), t.owner);
}

}  // namespace

// The MLX-quantized checkpoints: dequantization matches the per-format reference
// unpacking, and quantizing the dequantized weights gives back MLX's exact codes,
// scales and biases.
TEST(Quantized, MlxFixtures) {
  LMX_REQUIRE_SHARED("fixtures/hf-tiny");
  int checked = 0;
  double full_fraction = 0;
  for (const auto& dir :
       std::filesystem::directory_iterator(lmx::testing::shared_dir() / "fixtures/hf-tiny")) {
    std::string name = dir.path().filename().string();
    if (name.find("-q") == std::string::npos) continue;
    auto cfg = nlohmann::json::parse(std::ifstream(dir.path() / "config.json"));
    int gs = cfg["quantization"]["group_size"], bits = cfg["quantization"]["bits"];
    auto tensors = io::load_safetensors(dir.path() / "model.safetensors");
    for (const auto& [key, view] : tensors) {
      if (view.dtype != "U32" || !key.ends_with(".weight")) continue;
      std::string base = key.substr(0, key.size() - 7);
      Array wq = from_view(view);
      Array s = from_view(tensors.at(base + ".scales")),
            b = from_view(tensors.at(base + ".biases"));
      SCOPED_TRACE(name + " " + key);
      Array d = dequantize(wq, s, b, gs, bits);
      ASSERT_EQ(d.dtype(), s.dtype());
      ASSERT_EQ(d.shape(-1), wq.shape(-1) * 32 / bits);
      auto ref = ref_dequantize(wq, s, b, gs, bits);
      auto dv = astype(d, Dtype::float32).to_vector<float>();
      double tol = s.dtype() == Dtype::float32 ? 1e-6 : 8e-3;
      auto sv = astype(s, Dtype::float32).to_vector<float>();
      for (size_t i = 0; i < dv.size(); ++i)
        ASSERT_NEAR(dv[i], ref[i], tol * (std::fabs(sv[i / gs]) + std::fabs(ref[i])));
      Requant r = requantize(wq, s, b, gs, bits);
      std::printf("%s %s: %.0f%% full-range groups, %.1f%% of them re-quantize exactly\n",
                  name.c_str(), key.c_str(), 100 * r.full, 100 * r.exact);
      EXPECT_GT(r.full, 0.3);
      if (s.dtype() == Dtype::float32) {
        EXPECT_EQ(r.exact, 1.0);
      } else {
        EXPECT_GT(r.exact, bits == 8 ? 0.3 : 0.999);
        EXPECT_LE(r.max_code_diff, 1);
      }
      full_fraction += r.full;
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
  std::printf("re-quantization checked on %.0f%% of the fixture groups\n",
              100.0 * full_fraction / std::max(checked, 1));
}

namespace {

// Reference y = x @ W^T (transpose) or x @ W in double, for 2-D x and W.
std::vector<double> ref_qmm(const Array& x, const std::vector<double>& w, int64_t rows,
                            int64_t cols, bool transpose) {
  auto xv = astype(x, Dtype::float32).to_vector<float>();
  int64_t M = x.shape(0), K = x.shape(1), N = transpose ? rows : cols;
  std::vector<double> y(size_t(M * N), 0.0);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < K; ++k)
        y[m * N + n] += xv[m * K + k] * (transpose ? w[n * cols + k] : w[k * cols + n]);
  return y;
}

double tolerance(Dtype dt) {
  return dt == Dtype::float32 ? 2e-5 : dt == Dtype::float16 ? 2e-3 : 1.6e-2;
}

void expect_close(const Array& y, const std::vector<double>& ref, double tol, double scale,
                  const std::vector<double>& extra = {}) {
  auto yv = astype(y, Dtype::float32).to_vector<float>();
  ASSERT_EQ(yv.size(), ref.size());
  for (size_t i = 0; i < yv.size(); ++i)
    ASSERT_NEAR(yv[i], ref[i], tol * (scale + std::fabs(ref[i])) + (extra.empty() ? 0 : extra[i]))
        << "at " << i;
}

// For bf16/fp16 x the decode GEMV may quantize x to int8 in blocks of 32 (scale absmax /
// 127, like llama.cpp's activations): the worst case that adds to y[m, n] is
// sum_k |w[n, k]| * absmax(block of x[m, k]) / 254. A wrong code, scale or block gives
// errors of the size of y itself, far above it.
std::vector<double> int8_x_bound(const Array& x, const std::vector<double>& w, int64_t N) {
  auto xv = astype(x, Dtype::float32).to_vector<float>();
  int64_t M = x.shape(0), K = x.shape(1);
  std::vector<double> bound(size_t(M * N), 0.0);
  if (K % 32 != 0) return bound;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t b = 0; b < K; b += 32) {
      double amax = 0;
      for (int64_t k = b; k < b + 32; ++k) amax = std::max(amax, std::fabs(double(xv[m * K + k])));
      for (int64_t n = 0; n < N; ++n)
        for (int64_t k = b; k < b + 32; ++k)
          bound[m * N + n] += std::fabs(w[n * K + k]) * amax / 254.0;
    }
  return bound;
}

}  // namespace

// Every bit width and group size, both layouts, GEMV (M = 1, 3) and GEMM (M = 17) paths,
// non-contiguous x, every float dtype.
TEST(Quantized, MatmulMatchesDequantizedProduct) {
  for (Dtype dt : {Dtype::float32, Dtype::bfloat16, Dtype::float16}) {
    for (int bits : kBits) {
      for (int gs : kGroups) {
        for (bool tr : {true, false}) {
          int64_t K = gs == 32 ? 96 : 2 * gs, N = tr ? 40 : 2 * gs;
          int64_t rows = tr ? N : K, cols = tr ? K : N;
          Array w = random_array({rows, cols}, 7 + bits * 11 + gs, -0.5f, 0.5f, dt);
          auto [wq, s, b] = quantize(w, gs, bits);
          auto wref = ref_dequantize(wq, s, b, gs, bits);
          for (int64_t M : {1, 3, 17}) {
            // x is a transposed view of a (K, M) array: not contiguous.
            Array x = transpose(random_array({K, M}, 3 + M, -1.0f, 1.0f, dt));
            SCOPED_TRACE(
                fmt::format("{} bits {} gs {} transpose {} M {}", dtype_name(dt), bits, gs, tr, M));
            Array y = quantized_matmul(x, wq, s, b, tr, gs, bits);
            ASSERT_EQ(y.shape(), (Shape{M, N}));
            ASSERT_EQ(y.dtype(), dt);
            double scale = 0.05 * std::sqrt(double(K));
            bool int8_x = dt != Dtype::float32 && tr && M <= 8 && (bits == 4 || bits == 8);
            expect_close(y, ref_qmm(x, wref, rows, cols, tr), tolerance(dt), scale,
                         int8_x ? int8_x_bound(x, wref, N) : std::vector<double>{});
          }
        }
      }
    }
  }
}

// The 4-bit fast path at a layer-like size, every row count of the GEMV (1..8) and the
// switch to the GEMM path, x in every dtype.
TEST(Quantized, Matmul4BitLayerShapes) {
  for (Dtype dt : {Dtype::float32, Dtype::bfloat16, Dtype::float16}) {
    for (int gs : kGroups) {
      int64_t K = 1024, N = 96;
      Array w = random_array({N, K}, 5 + gs, -0.2f, 0.2f, dt);
      auto [wq, s, b] = quantize(w, gs, 4);
      auto wref = ref_dequantize(wq, s, b, gs, 4);
      for (int64_t M : {1, 2, 3, 4, 5, 8, 9, 33}) {
        SCOPED_TRACE(fmt::format("{} gs {} M {}", dtype_name(dt), gs, M));
        Array x = random_array({M, K}, 9 + M, -1.0f, 1.0f, dt);
        Array y = quantized_matmul(x, wq, s, b, true, gs, 4);
        bool int8_x = dt != Dtype::float32 && M <= 8;
        expect_close(y, ref_qmm(x, wref, N, K, true), tolerance(dt), 0.02 * std::sqrt(double(K)),
                     int8_x ? int8_x_bound(x, wref, N) : std::vector<double>{});
      }
    }
  }
}

// The portable GEMV (CPUs without AVX-512) gives the SIMD kernels' results.
TEST(Quantized, PortableGemvMatchesSimd) {
  for (Dtype dt : {Dtype::float32, Dtype::bfloat16}) {
    for (int bits : kBits) {
      Array w = random_array({48, 256}, 61 + bits, -0.3f, 0.3f, dt);
      auto [wq, s, b] = quantize(w, 64, bits);
      Array x = random_array({3, 256}, 62, -1.0f, 1.0f, dt);
      Array fast = quantized_matmul(x, wq, s, b, true, 64, bits);
      cpu::quant::set_simd_enabled(false);
      Array portable = quantized_matmul(x, wq, s, b, true, 64, bits);
      cpu::quant::set_simd_enabled(true);
      auto fv = astype(fast, Dtype::float32).to_vector<float>();
      auto pv = astype(portable, Dtype::float32).to_vector<float>();
      for (size_t i = 0; i < fv.size(); ++i)
        ASSERT_NEAR(fv[i], pv[i], tolerance(dt) * (1 + std::fabs(pv[i]))) << bits;
    }
  }
}

TEST(Quantized, MatmulBatchedAndVector) {
  // x (2, 3, 64) with a shared weight; x (64,) as a vector; a batched weight (2, 16, 64).
  Array w = random_array({2, 16, 64}, 1);
  auto [wq, s, b] = quantize(w, 32, 4);
  Array x = random_array({2, 3, 64}, 2);
  Array y = quantized_matmul(x, wq, s, b, true, 32, 4);
  ASSERT_EQ(y.shape(), (Shape{2, 3, 16}));
  Array yref = matmul(x, swapaxes(dequantize(wq, s, b, 32, 4), -1, -2));
  auto yv = y.to_vector<float>(), rv = yref.to_vector<float>();
  for (size_t i = 0; i < yv.size(); ++i) EXPECT_NEAR(yv[i], rv[i], 1e-4);

  Array w0 = slice(wq, 0, 0, 1), s0 = slice(s, 0, 0, 1), b0 = slice(b, 0, 0, 1);
  Array shared =
      quantized_matmul(x, squeeze(w0, {0}), squeeze(s0, {0}), squeeze(b0, {0}), true, 32, 4);
  Array v = quantized_matmul(reshape(slice(x, 0, 1, 2), {3, 64}), squeeze(w0, {0}),
                             squeeze(s0, {0}), squeeze(b0, {0}), true, 32, 4);
  auto sv = shared.to_vector<float>(), vv = v.to_vector<float>();
  for (size_t i = 0; i < vv.size(); ++i) EXPECT_NEAR(sv[48 + i], vv[i], 1e-5);

  Array xv = random_array({64}, 3);
  Array y1 =
      quantized_matmul(xv, squeeze(w0, {0}), squeeze(s0, {0}), squeeze(b0, {0}), true, 32, 4);
  EXPECT_EQ(y1.shape(), (Shape{16}));
}

TEST(Quantized, GatherQmmMatchesLoop) {
  const int gs = 64, bits = 4;
  int64_t E = 4, N = 24, K = 128;
  Array w = random_array({E, N, K}, 11);
  auto [wq, s, b] = quantize(w, gs, bits);
  // SwitchGLU's layout: x (B, L, 1, 1, K), indices (B, L, top_k).
  Array x = random_array({2, 3, 1, 1, K}, 12);
  Array idx = Array(std::vector<int32_t>{0, 3, 1, 1, 2, 0, 3, 3, 0, 2, 1, 0}, {2, 3, 2});
  Array y = gather_qmm(x, wq, s, b, {}, idx, true, gs, bits);
  ASSERT_EQ(y.shape(), (Shape{2, 3, 2, 1, N}));
  auto iv = idx.to_vector<int32_t>();
  for (int64_t i = 0; i < 12; ++i) {
    int64_t bl = i / 2, e = iv[i];
    Array xi = reshape(slice(reshape(x, {6, K}), 0, bl, bl + 1), {1, K});
    auto sl = [&](const Array& a) { return squeeze(slice(a, 0, e, e + 1), {0}); };
    Array yi = quantized_matmul(xi, sl(wq), sl(s), sl(b), true, gs, bits);
    auto got = reshape(y, {12, N});
    auto gv = slice(got, 0, i, i + 1).to_vector<float>(), rv = yi.to_vector<float>();
    for (int64_t n = 0; n < N; ++n) ASSERT_NEAR(gv[n], rv[n], 1e-5) << i;
  }
  // Weights not transposed: (E, K, N).
  Array wn = random_array({E, K, 32}, 13);
  auto [wqn, sn, bn] = quantize(wn, 32, bits);
  Array yn = gather_qmm(x, wqn, sn, bn, {}, idx, false, 32, bits);
  Array rn = gather_mm(x, dequantize(wqn, sn, bn, 32, bits), {}, idx);
  ASSERT_EQ(yn.shape(), rn.shape());
  auto ynv = yn.to_vector<float>(), rnv = rn.to_vector<float>();
  for (size_t i = 0; i < ynv.size(); ++i) ASSERT_NEAR(ynv[i], rnv[i], 1e-4);
  // Explicit lhs_indices (prefill-like: several rows per expert), 8 bits.
  Array xs = random_array({5, 3, K}, 14);
  Array lhs = Array(std::vector<int32_t>{4, 0, 0, 2, 1, 3}, {6});
  Array rhs = Array(std::vector<int32_t>{1, 1, 2, 1, 0, 3}, {6});
  Array w2 = random_array({E, N, K}, 15);
  auto [wq2, s2, b2] = quantize(w2, 32, 8);
  Array y2 = gather_qmm(xs, wq2, s2, b2, lhs, rhs, true, 32, 8);
  ASSERT_EQ(y2.shape(), (Shape{6, 3, N}));
  Array d2 = dequantize(wq2, s2, b2, 32, 8);
  Array ref = gather_mm(xs, swapaxes(d2, -1, -2), lhs, rhs);
  auto yv = y2.to_vector<float>(), rv = ref.to_vector<float>();
  for (size_t i = 0; i < yv.size(); ++i) ASSERT_NEAR(yv[i], rv[i], 1e-4);
}

TEST(Quantized, GatherMmMatchesLoop) {
  Array a = random_array({3, 2, 5}, 21), b = random_array({4, 5, 6}, 22);
  Array lhs = Array(std::vector<int32_t>{2, 0, 1, 1}, {2, 2});
  Array rhs = Array(std::vector<int32_t>{3, 3, 0, 1}, {2, 2});
  Array y = gather_mm(a, b, lhs, rhs);
  ASSERT_EQ(y.shape(), (Shape{2, 2, 2, 6}));
  auto lv = lhs.to_vector<int32_t>(), rv = rhs.to_vector<int32_t>();
  for (int i = 0; i < 4; ++i) {
    Array ref = matmul(squeeze(slice(a, 0, lv[i], lv[i] + 1), {0}),
                       squeeze(slice(b, 0, rv[i], rv[i] + 1), {0}));
    auto got = slice(reshape(y, {4, 2, 6}), 0, i, i + 1).to_vector<float>();
    auto want = ref.to_vector<float>();
    for (size_t j = 0; j < want.size(); ++j) EXPECT_NEAR(got[j], want[j], 1e-5);
  }
  // Null indices: arange over the batch axes (a plain batched matmul).
  Array c = random_array({4, 2, 5}, 23);
  Array y2 = gather_mm(c, b);
  auto g2 = y2.to_vector<float>(), r2 = matmul(c, b).to_vector<float>();
  for (size_t j = 0; j < g2.size(); ++j) EXPECT_NEAR(g2[j], r2[j], 1e-5);
}

namespace {

// Central finite differences of a scalar function f at `x` (float32), coordinate by
// coordinate (a sample of them), against `g`.
void check_fd(const std::function<Array(const Array&)>& f, const Array& x, const Array& g,
              double h = 1e-2, double tol = 2e-3) {
  auto xv = x.to_vector<float>();
  auto gv = astype(g, Dtype::float32).to_vector<float>();
  ASSERT_EQ(gv.size(), xv.size());
  for (size_t i = 0; i < xv.size(); i += std::max<size_t>(1, xv.size() / 23)) {
    auto xp = xv, xm = xv;
    xp[i] += float(h);
    xm[i] -= float(h);
    double fp = f(Array(xp, x.shape())).item<float>(), fm = f(Array(xm, x.shape())).item<float>();
    double fd = (fp - fm) / (2 * h);
    EXPECT_NEAR(gv[i], fd, tol * (1 + std::fabs(fd))) << "coordinate " << i;
  }
}

}  // namespace

TEST(Quantized, VjpAgainstFiniteDifferences) {
  for (bool tr : {true, false}) {
    Array w = random_array({32, 64}, 31);
    auto [wq, s, b] = quantize(w, 32, 4);
    int64_t K = tr ? 64 : 32, N = tr ? 32 : 64;
    Array x = random_array({3, K}, 32), c = random_array({3, N}, 33);
    // f(x) = sum(c * qmm(x)), linear in x: dx = c @ W (or c @ W^T).
    auto fx = [&](const Array& xx) {
      return sum(multiply(c, quantized_matmul(xx, wq, s, b, tr, 32, 4)));
    };
    Array gx = grad(std::function<Array(const Array&)>(fx))(x);
    check_fd(fx, x, gx);
    Array d = dequantize(wq, s, b, 32, 4);
    Array exact = tr ? matmul(c, d) : matmul(c, swapaxes(d, 0, 1));
    auto gv = gx.to_vector<float>(), ev = exact.to_vector<float>();
    for (size_t i = 0; i < gv.size(); ++i) EXPECT_NEAR(gv[i], ev[i], 1e-4);
    // Scales and biases.
    auto fs = [&](const Array& ss) {
      return sum(multiply(c, quantized_matmul(x, wq, ss, b, tr, 32, 4)));
    };
    check_fd(fs, s, grad(std::function<Array(const Array&)>(fs))(s));
    auto fb = [&](const Array& bb) {
      return sum(multiply(c, quantized_matmul(x, wq, s, bb, tr, 32, 4)));
    };
    check_fd(fb, b, grad(std::function<Array(const Array&)>(fb))(b));
  }
  // The packed codes have no gradient.
  Array w = random_array({8, 64}, 34);
  auto [wq, s, b] = quantize(w, 64, 4);
  Array x = random_array({2, 64}, 35);
  auto g = grad([&](const std::vector<Array>& in) {
    return std::vector<Array>{sum(quantized_matmul(x, in[0], s, b, true, 64, 4))};
  });
  EXPECT_THROW(g({wq}), ValueError);
}

TEST(Quantized, GatherVjpAgainstFiniteDifferences) {
  Array lhs = Array(std::vector<int32_t>{2, 0, 2}, {3});
  Array rhs = Array(std::vector<int32_t>{1, 1, 0}, {3});
  Array a = random_array({3, 2, 5}, 41), b = random_array({2, 5, 4}, 42);
  Array c = random_array({3, 2, 4}, 43);
  auto fa = [&](const Array& aa) { return sum(multiply(c, gather_mm(aa, b, lhs, rhs))); };
  check_fd(fa, a, grad(std::function<Array(const Array&)>(fa))(a));
  auto fb = [&](const Array& bb) { return sum(multiply(c, gather_mm(a, bb, lhs, rhs))); };
  check_fd(fb, b, grad(std::function<Array(const Array&)>(fb))(b));

  Array w = random_array({2, 4, 64}, 44);
  auto [wq, s, bq] = quantize(w, 32, 4);
  Array x = random_array({3, 2, 64}, 45);
  auto fx = [&](const Array& xx) {
    return sum(multiply(c, gather_qmm(xx, wq, s, bq, lhs, rhs, true, 32, 4)));
  };
  check_fd(fx, x, grad(std::function<Array(const Array&)>(fx))(x));
}

TEST(Quantized, ClearErrors) {
  Array w = random_array({4, 96}, 51);
  EXPECT_THROW(quantize(w, 64, 4), ShapeError);  // 96 not divisible by 64
  EXPECT_THROW(quantize(w, 32, 7), ValueError);
  EXPECT_THROW(quantize(w, 16, 4), ValueError);
  EXPECT_THROW(quantize(random_array({96}, 1), 32, 4), ShapeError);
  EXPECT_THROW(quantize(astype(w, Dtype::int32), 32, 4), DtypeError);
  try {
    quantize(w, 32, 4, "mxfp4");
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("not implemented"), std::string::npos) << e.what();
  }
  EXPECT_THROW(quantize(w, 32, 4, "fancy"), ValueError);
  auto [wq, s, b] = quantize(w, 32, 4);
  EXPECT_THROW(dequantize(wq, s, b, 64, 4), ShapeError);  // wrong group size
  EXPECT_THROW(dequantize(wq, s, b, 32, 8), ShapeError);  // wrong bits
  EXPECT_THROW(dequantize(astype(wq, Dtype::int32), s, b, 32, 4), DtypeError);
  EXPECT_THROW(dequantize(wq, s, slice(b, 1, 0, 2), 32, 4), ShapeError);
  try {
    quantized_matmul(random_array({2, 64}, 2), wq, s, b, true, 32, 4);
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("[quantized_matmul]"), std::string::npos);
  }
  Array idx = Array(std::vector<int32_t>{0, 5}, {2});
  Array we = random_array({2, 4, 64}, 52);
  auto [wqe, se, be] = quantize(we, 32, 4);
  EXPECT_THROW(gather_qmm(random_array({2, 1, 64}, 3), wqe, se, be, {}, idx, true, 32, 4),
               ValueError);
  EXPECT_THROW(gather_mm(random_array({2, 3}, 4), random_array({4, 2}, 5)), ShapeError);
}
