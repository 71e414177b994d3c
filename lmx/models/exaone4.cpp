// SPDX-License-Identifier: MIT
// EXAONE 4.0: OLMo 2's post-norm blocks with per-head q/k RMSNorm, and a hybrid of
// sliding-window layers with RoPE and full-attention layers without it (NoPE). As in
// MLX-LM's exaone4.py.
#include "lmx/models/model.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

std::shared_ptr<Model> make_exaone4(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("hidden_size");
  int64_t n_layers = c.get<int64_t>("num_hidden_layers");
  float eps = c.get<float>("rms_norm_eps", 1e-5f);
  AttentionConfig attn = attention_config(c);
  attn.qk_norm = QKNorm::rms;
  attn.norm_eps = eps;
  int64_t window = c.get<int64_t>("sliding_window", 0);
  std::vector<std::string> types = c.layer_types();
  if (types.empty()) {  // from sliding_window_pattern: "LLLG" or every n-th layer global
    const nlohmann::json* p = c.find("sliding_window_pattern");
    for (int64_t i = 0; i < n_layers; ++i) {
      bool local = false;
      if (window > 0 && p && p->is_string())
        local = p->get<std::string>().at(i % p->get<std::string>().size()) == 'L';
      else if (window > 0 && p && p->is_number_integer())
        local = (i + 1) % p->get<int64_t>() != 0;
      types.push_back(local ? "sliding_attention" : "full_attention");
    }
  }
  auto rope = std::make_shared<const RoPE>(c.rope(), attn.head_dim,
                                           c.get<int64_t>("max_position_embeddings", 2048));
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < n_layers; ++i) {
    bool sliding = types.at(i) == "sliding_attention";
    AttentionConfig a = attn;
    a.sliding_window = sliding ? window : 0;
    a.use_rope = window == 0 || sliding;  // global layers of hybrid models are NoPE
    layers.push_back(std::make_shared<TransformerBlock>(BlockConfig{
        .attn = std::make_shared<Attention>(a, rope),
        .mlp = std::make_shared<GatedMLP>(hidden, c.get<int64_t>("intermediate_size"), false,
                                          activation(c.get<std::string>("hidden_act", "silu"))),
        .post_attn = std::make_shared<nn::RMSNorm>(hidden, eps),
        .post_mlp = std::make_shared<nn::RMSNorm>(hidden, eps)}));
  }
  CausalLMConfig lm{.vocab_size = c.get<int64_t>("vocab_size"),
                    .hidden_size = hidden,
                    .tie_word_embeddings = c.tie_word_embeddings(false)};
  return std::make_shared<CausalLM>(c, lm, std::move(layers),
                                    std::make_shared<nn::RMSNorm>(hidden, eps));
}

}  // namespace

void register_exaone4() { static ModelRegistrar r({"exaone4"}, make_exaone4); }

}  // namespace lmx::models
