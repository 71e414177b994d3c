// SPDX-License-Identifier: MIT
// MoE mechanics: routing (softmax/sigmoid, renormalization, correction bias, group limits),
// SwitchLinear against per-expert matmuls (float and quantized), and expert stacking.
#include <gtest/gtest.h>

#include "lmx/core/ops.h"
#include "lmx/core/quantized.h"
#include "lmx/core/random.h"
#include "lmx/models/moe.h"

using namespace lmx;
using namespace lmx::models;

namespace {

std::vector<int32_t> sorted_ids(const Array& inds) {
  auto v = astype(inds, Dtype::int32).to_vector<int32_t>();
  std::sort(v.begin(), v.end());
  return v;
}

Array ref_linear(const Array& x, const Array& w) { return matmul(x, transpose(w)); }

}  // namespace

TEST(Route, SoftmaxTopKRenormalized) {
  Array logits = Array(std::vector<float>{0.0f, 3.0f, 1.0f, 2.0f}, Shape{1, 4});
  auto [inds, w] = route(logits, {.top_k = 2, .norm_topk_prob = true});
  EXPECT_EQ(sorted_ids(inds), (std::vector<int32_t>{1, 3}));
  auto wv = w.to_vector<float>();
  auto iv = inds.to_vector<int32_t>();
  float e = std::exp(1.0f);  // softmax over logits 3 and 2
  for (size_t j = 0; j < 2; ++j) EXPECT_NEAR(wv[j], iv[j] == 1 ? e / (1 + e) : 1 / (1 + e), 1e-6);
}

TEST(Route, SigmoidWithBiasAndGroups) {
  // Two groups {0,1} and {2,3}; group 1 wins by its top-2 sum once biased; weights are the
  // unbiased sigmoid scores, renormalized, times the scaling factor.
  Array logits = Array(std::vector<float>{2.0f, 1.5f, 0.0f, 0.1f}, Shape{1, 4});
  Array bias = Array(std::vector<float>{0.0f, 0.0f, 2.0f, 2.0f}, Shape{4});
  RouterConfig c{.top_k = 2,
                 .scores = RouterConfig::Scores::sigmoid,
                 .norm_topk_prob = true,
                 .routed_scaling_factor = 2.5f,
                 .n_group = 2,
                 .topk_group = 1,
                 .group_by_top2_sum = true};
  auto [inds, w] = route(logits, c, bias);
  EXPECT_EQ(sorted_ids(inds), (std::vector<int32_t>{2, 3}));
  auto wv = w.to_vector<float>();
  EXPECT_NEAR(wv[0] + wv[1], 2.5f, 1e-5);
  // Without the bias group 0 wins.
  auto [inds2, w2] = route(logits, c);
  EXPECT_EQ(sorted_ids(inds2), (std::vector<int32_t>{0, 1}));
}

TEST(Route, TopKSoftmax) {
  Array logits = Array(std::vector<float>{0.0f, 1.0f, 5.0f, 1.0f}, Shape{1, 4});
  auto [inds, w] = route(logits, {.top_k = 1, .scores = RouterConfig::Scores::topk_softmax});
  EXPECT_EQ(sorted_ids(inds), (std::vector<int32_t>{2}));
  EXPECT_NEAR(w.to_vector<float>()[0], 1.0f, 1e-6);
}

TEST(SwitchLinear, MatchesPerExpertMatmul) {
  int64_t E = 4, in = 64, out = 32;
  SwitchLinear sw(in, out, E, true);
  sw.weight = random::normal({E, out, in}, Dtype::float32, {}, {}, random::key(1));
  sw.bias = random::normal({E, out}, Dtype::float32, {}, {}, random::key(2));
  Array x = random::normal({3, 1, 1, in}, Dtype::float32, {}, {}, random::key(3));
  Array idx = Array(std::vector<int32_t>{0, 2, 3, 3, 1, 0}, Shape{3, 2});
  Array y = sw(x, idx);  // (3, 2, 1, out)
  ASSERT_EQ(y.shape(), (Shape{3, 2, 1, out}));
  auto iv = idx.to_vector<int32_t>();
  for (int64_t t = 0; t < 3; ++t)
    for (int64_t j = 0; j < 2; ++j) {
      int64_t e = iv[size_t(t * 2 + j)];
      Array want = add(ref_linear(slice(x, 0, t, t + 1), take(sw.weight, Array(int32_t(e)), 0)),
                       take(sw.bias, Array(int32_t(e)), 0));
      Array got = slice(slice(y, 0, t, t + 1), 1, j, j + 1);
      EXPECT_LT(max(abs(subtract(reshape(got, {out}), reshape(want, {out})))).item<float>(), 1e-4);
    }
}

TEST(SwitchLinear, QuantizedMatchesDequantized) {
  int64_t E = 3, in = 128, out = 16;
  Array w = random::normal({E, out, in}, Dtype::float32, {}, {}, random::key(4));
  auto [wq, s, b] = quantize(w, 64, 4);
  QuantizedSwitchLinear q(in, out, E, false, {64, 4, "affine"});
  q.weight = wq;
  q.scales = s;
  q.biases = b;
  SwitchLinear f(in, out, E, false);
  f.weight = dequantize(wq, s, b, 64, 4);
  Array x = random::normal({2, 1, 1, in}, Dtype::float32, {}, {}, random::key(5));
  Array idx = Array(std::vector<int32_t>{2, 0, 1, 2}, Shape{2, 2});
  Array d = subtract(q(x, idx), f(x, idx));
  EXPECT_LT(max(abs(d)).item<float>(), 1e-3);
}

TEST(StackExperts, PerExpertAndRenames) {
  std::map<std::string, Array> w;
  for (int e = 0; e < 3; ++e) {
    w["m.experts." + std::to_string(e) + ".w1.weight"] = full({2, 4}, double(e));
    w["m.experts." + std::to_string(e) + ".w2.weight"] = full({4, 2}, double(e));
  }
  w["m.shared_experts.gate_proj.weight"] = zeros({2, 4});
  auto out = stack_experts(w, "switch_mlp", {{"w1", "gate_proj"}, {"w2", "down_proj"}});
  ASSERT_TRUE(out.count("m.switch_mlp.gate_proj.weight"));
  EXPECT_EQ(out.at("m.switch_mlp.gate_proj.weight").shape(), (Shape{3, 2, 4}));
  EXPECT_EQ(out.at("m.switch_mlp.down_proj.weight").shape(), (Shape{3, 4, 2}));
  EXPECT_FLOAT_EQ(out.at("m.switch_mlp.gate_proj.weight").to_vector<float>()[2 * 8], 2.0f);
  EXPECT_TRUE(out.count("m.shared_experts.gate_proj.weight"));
  EXPECT_EQ(out.size(), 3u);
}
