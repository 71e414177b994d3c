// SPDX-License-Identifier: MIT
// StableLM (2, Zephyr): LayerNorm blocks, partial rotary embeddings, q/k/v biases, an
// optional per-head q/k LayerNorm and an optional parallel residual. As in MLX-LM's
// stablelm.py.
#include <algorithm>

#include "lmx/core/ops.h"
#include "lmx/models/model.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

class StableLM : public CausalLM {
 public:
  using CausalLM::CausalLM;

  // The checkpoint has one LayerNorm per head (q_layernorm.norms.H.weight): stack them
  // into the (heads, head_dim) weight of one per-head LayerNorm.
  std::map<std::string, Array> sanitize(std::map<std::string, Array> w) override {
    std::map<std::string, std::vector<std::pair<int, Array>>> per_head;
    for (auto it = w.begin(); it != w.end();) {
      size_t pos = it->first.find(".norms.");
      if (pos == std::string::npos) {
        ++it;
        continue;
      }
      std::string rest = it->first.substr(pos + 7);  // "H.weight"
      per_head[it->first.substr(0, pos) + rest.substr(rest.find('.'))].emplace_back(std::stoi(rest),
                                                                                    it->second);
      it = w.erase(it);
    }
    for (auto& [name, heads] : per_head) {
      std::sort(heads.begin(), heads.end(), [](auto& a, auto& b) { return a.first < b.first; });
      std::vector<Array> rows;
      for (auto& [_, a] : heads) rows.push_back(a);
      w.emplace(name, stack(rows, 0));
    }
    return CausalLM::sanitize(std::move(w));
  }
};

std::shared_ptr<Model> make_stablelm(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("hidden_size");
  float eps = c.get<float>("layer_norm_eps", 1e-5f);
  bool parallel = c.get<bool>("use_parallel_residual", false);
  AttentionConfig attn = attention_config(c);
  attn.qkv_bias = c.get<bool>("use_qkv_bias", false);
  if (c.get<bool>("qk_layernorm", false)) {
    attn.qk_norm = QKNorm::layer;
    attn.qk_norm_per_head = true;
    attn.norm_eps = eps;
    attn.q_norm_name = "q_layernorm";
    attn.k_norm_name = "k_layernorm";
  }
  auto rope = std::make_shared<const RoPE>(c.rope(), attn.head_dim,
                                           c.get<int64_t>("max_position_embeddings", 4096));
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < c.get<int64_t>("num_hidden_layers"); ++i) {
    layers.push_back(std::make_shared<TransformerBlock>(BlockConfig{
        .attn = std::make_shared<Attention>(attn, rope),
        .mlp = std::make_shared<GatedMLP>(hidden, c.get<int64_t>("intermediate_size"), false,
                                          activation(c.get<std::string>("hidden_act", "silu"))),
        .pre_attn = std::make_shared<nn::LayerNorm>(hidden, eps),
        .pre_mlp = parallel ? nullptr : std::make_shared<nn::LayerNorm>(hidden, eps),
        .parallel = parallel}));
  }
  CausalLMConfig lm{.vocab_size = c.get<int64_t>("vocab_size"),
                    .hidden_size = hidden,
                    .tie_word_embeddings = c.tie_word_embeddings(false)};
  return std::make_shared<StableLM>(c, lm, std::move(layers),
                                    std::make_shared<nn::LayerNorm>(hidden, eps));
}

}  // namespace

void register_stablelm() { static ModelRegistrar r({"stablelm"}, make_stablelm); }

}  // namespace lmx::models
