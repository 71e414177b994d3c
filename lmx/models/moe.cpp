// SPDX-License-Identifier: MIT
#include "lmx/models/moe.h"

#include <algorithm>
#include <regex>
#include <tuple>
#include <vector>

#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/core/quantized.h"

namespace lmx::models {

namespace {
Array param(Shape shape, Dtype dtype = Dtype::float32) {
  return Array::placeholder(std::move(shape), dtype, default_device());
}
}  // namespace

SwitchLinear::SwitchLinear(int64_t in, int64_t out, int64_t num_experts, bool bias)
    : in_(in), out_(out), experts_(num_experts), has_bias_(bias) {
  weight = param({num_experts, out, in});
  register_parameter("weight", weight);
  if (bias) {
    this->bias = param({num_experts, out});
    register_parameter("bias", this->bias);
  }
}

Array SwitchLinear::add_bias(const Array& y, const Array& indices) const {
  if (!has_bias_) return y;
  return add(y, expand_dims(take(bias, indices, 0), -2));  // (..., k, 1, out)
}

Array SwitchLinear::operator()(const Array& x, const Array& indices) {
  // weight.T is a strided view: gather_mm reads each selected expert in place.
  return add_bias(gather_mm(x, swapaxes(weight, -1, -2), {}, indices), indices);
}

QuantizedSwitchLinear::QuantizedSwitchLinear(int64_t in, int64_t out, int64_t num_experts,
                                             bool bias, nn::QuantParams q)
    : SwitchLinear(in, out, num_experts, bias), q_(std::move(q)) {
  LMX_CHECK(in % q_.group_size == 0, ValueError, "QuantizedSwitchLinear",
            "input features {} are not a multiple of the group size {}", in, q_.group_size);
  weight = param({num_experts, out, in * q_.bits / 32}, Dtype::uint32);
  scales = param({num_experts, out, in / q_.group_size});
  biases = param({num_experts, out, in / q_.group_size});
  register_parameter("scales", scales);
  register_parameter("biases", biases);
}

Array QuantizedSwitchLinear::operator()(const Array& x, const Array& indices) {
  Array y =
      gather_qmm(x, weight, scales, biases, {}, indices, true, q_.group_size, q_.bits, q_.mode);
  return add_bias(y, indices);
}

SwitchGLU::SwitchGLU(int64_t hidden, int64_t intermediate, int64_t num_experts, bool bias,
                     GLUActivation act)
    : act_(act ? std::move(act)
               : [](const Array& g, const Array& u) { return multiply(silu(g), u); }) {
  gate_proj = std::make_shared<SwitchLinear>(hidden, intermediate, num_experts, bias);
  up_proj = std::make_shared<SwitchLinear>(hidden, intermediate, num_experts, bias);
  down_proj = std::make_shared<SwitchLinear>(intermediate, hidden, num_experts, bias);
  register_module("gate_proj", gate_proj);
  register_module("up_proj", up_proj);
  register_module("down_proj", down_proj);
}

Array SwitchGLU::operator()(const Array& x, const Array& indices) {
  Array xe = expand_dims(x, {-2, -3});                                 // (..., 1, 1, hidden)
  Array h = act_((*gate_proj)(xe, indices), (*up_proj)(xe, indices));  // (..., k, 1, I)
  return squeeze((*down_proj)(h, indices), {-2});                      // (..., k, hidden)
}

std::pair<Array, Array> route(const Array& logits_in, const RouterConfig& c,
                              const Array& correction_bias) {
  using S = RouterConfig::Scores;
  Array logits = astype(logits_in, Dtype::float32);  // (..., E)
  int64_t E = logits.shape(-1), k = c.top_k;
  Array scores = c.scores == S::softmax   ? softmax(logits, -1, true)
                 : c.scores == S::sigmoid ? sigmoid(logits)
                                          : logits;
  Array choice =
      correction_bias.valid() ? add(scores, astype(correction_bias, Dtype::float32)) : scores;
  if (c.n_group > 1 && c.topk_group < c.n_group) {
    Shape gshape = choice.shape();
    gshape.back() = c.n_group;
    gshape.push_back(E / c.n_group);
    Array grouped = reshape(choice, gshape);  // (..., G, E/G)
    Array gs = c.group_by_top2_sum ? sum(topk(grouped, 2, -1), -1) : max(grouped, -1);  // (..., G)
    Array best = slice(argpartition(negative(gs), int(c.topk_group - 1), -1), -1, 0, c.topk_group);
    Array keep = put_along_axis(zeros_like(gs), best, ones(best.shape()), -1);  // (..., G)
    grouped = where(expand_dims(greater(keep, Array(0.5f)), -1), grouped, Array(0.0f));
    choice = reshape(grouped, choice.shape());
  }
  Array inds = slice(argpartition(negative(choice), int(k - 1), -1), -1, 0, k);  // (..., k)
  inds = astype(inds, Dtype::int32);
  Array w = take_along_axis(scores, inds, -1);  // (..., k)
  if (c.scores == S::topk_softmax) w = softmax(w, -1, true);
  if (c.norm_topk_prob && k > 1) w = divide(w, add(sum(w, -1, true), Array(1e-20f)));
  if (c.routed_scaling_factor != 1.0f) w = multiply(w, Array(c.routed_scaling_factor));
  return {inds, w};
}

SparseMoeBlock::SparseMoeBlock(const MoEConfig& c) : c_(c) {
  gate = std::make_shared<nn::Linear>(c.hidden, c.num_experts, c.gate_bias);
  register_module(c.gate_name, gate);
  if (c.correction_bias) {
    e_score_correction_bias = param({c.num_experts});
    register_parameter(c.gate_name + ".e_score_correction_bias", e_score_correction_bias);
  }
  experts =
      std::make_shared<SwitchGLU>(c.hidden, c.intermediate, c.num_experts, c.expert_bias, c.act);
  register_module(c.experts_name, experts);
  if (c.shared_intermediate > 0) {
    shared = std::make_shared<GatedMLP>(c.hidden, c.shared_intermediate, false);
    register_module(c.shared_name, shared);
    if (c.shared_gate) {
      shared_expert_gate = std::make_shared<nn::Linear>(c.hidden, 1, false);
      register_module("shared_expert_gate", shared_expert_gate);
    }
  }
}

Array SparseMoeBlock::operator()(const Array& x) {
  auto [inds, w] = route((*gate)(x), c_.router, e_score_correction_bias);  // (..., k) x2
  Array y = (*experts)(x, inds);                                           // (..., k, hidden)
  y = astype(sum(multiply(y, expand_dims(w, -1)), -2), x.dtype());         // (..., hidden)
  if (shared) {
    Array s = (*shared)(x);
    if (shared_expert_gate) s = multiply(s, sigmoid((*shared_expert_gate)(x)));
    y = add(y, s);
  }
  return y;
}

std::map<std::string, Array> stack_experts(std::map<std::string, Array> w,
                                           const std::string& switch_name,
                                           const std::map<std::string, std::string>& renames) {
  static const std::regex per_expert(
      R"(^(.*)\.experts\.(\d+)\.(\w+)\.(weight|scales|biases|bias)$)");
  static const std::regex fused(R"(^(.*)\.experts\.(gate_up_proj|down_proj)$)");
  // (prefix, proj, suffix) -> expert index -> tensor
  std::map<std::tuple<std::string, std::string, std::string>, std::map<int64_t, Array>> groups;
  std::map<std::string, Array> out;
  for (auto& [name, a] : w) {
    std::smatch m;
    if (std::regex_match(name, m, per_expert)) {
      std::string proj = m[3];
      if (auto it = renames.find(proj); it != renames.end()) proj = it->second;
      groups[{m[1], proj, m[4]}][std::stoll(m[2])] = a;
    } else if (std::regex_match(name, m, fused) && a.ndim() == 3) {
      std::string base = std::string(m[1]) + "." + switch_name + ".";
      if (m[2] == "down_proj") {
        out[base + "down_proj.weight"] = a;  // (E, H, I)
      } else {
        int64_t I = a.shape(1) / 2;  // (E, 2I, H): rows [gate | up]
        out[base + "gate_proj.weight"] = slice(a, 1, 0, I);
        out[base + "up_proj.weight"] = slice(a, 1, I, 2 * I);
      }
    } else {
      out.emplace(name, a);
    }
  }
  for (auto& [key, experts] : groups) {
    auto& [prefix, proj, suffix] = key;
    std::vector<Array> list;
    for (int64_t e = 0; e < int64_t(experts.size()); ++e) {
      auto it = experts.find(e);
      LMX_CHECK(it != experts.end(), ValueError, "load", "{}.experts.{}.{}.{} is missing", prefix,
                e, proj, suffix);
      list.push_back(it->second);
    }
    out[prefix + "." + switch_name + "." + proj + "." + suffix] = stack(list, 0);
  }
  return out;
}

std::vector<std::shared_ptr<DecoderLayer>> sparse_step_layers(const io::ModelConfig& c,
                                                              const AttentionConfig& attn,
                                                              std::shared_ptr<const RoPE> rope,
                                                              const MoEConfig& moe, float eps) {
  const int64_t hidden = moe.hidden;
  auto dense_layers = c.get<std::vector<int64_t>>("mlp_only_layers", {});
  int64_t step = c.get<int64_t>("decoder_sparse_step", 1);
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < c.get<int64_t>("num_hidden_layers"); ++i) {
    bool sparse = moe.num_experts > 0 && (i + 1) % step == 0 &&
                  std::find(dense_layers.begin(), dense_layers.end(), i) == dense_layers.end();
    std::shared_ptr<FeedForward> mlp;
    if (sparse)
      mlp = std::make_shared<SparseMoeBlock>(moe);
    else
      mlp = std::make_shared<GatedMLP>(hidden, c.get<int64_t>("intermediate_size"), false);
    layers.push_back(std::make_shared<TransformerBlock>(
        BlockConfig{.attn = std::make_shared<Attention>(attn, rope),
                    .mlp = mlp,
                    .pre_attn = std::make_shared<nn::RMSNorm>(hidden, eps),
                    .pre_mlp = std::make_shared<nn::RMSNorm>(hidden, eps)}));
  }
  return layers;
}

}  // namespace lmx::models
