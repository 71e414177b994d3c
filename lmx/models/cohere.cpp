// SPDX-License-Identifier: MIT
// Command-R (cohere): one bias-free LayerNorm feeding attention and MLP in parallel,
// interleaved (traditional) RoPE, optional per-head q/k LayerNorm, a tied head and scaled
// logits. As in MLX-LM's cohere.py.
#include "lmx/models/model.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

std::shared_ptr<Model> make_cohere(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("hidden_size");
  float eps = c.get<float>("layer_norm_eps", 1e-5f);
  AttentionConfig attn = attention_config(c);
  attn.qkv_bias = attn.o_bias = c.get<bool>("attention_bias", false);
  if (c.get<bool>("use_qk_norm", false)) {
    attn.qk_norm = QKNorm::layer;
    attn.qk_norm_per_head = true;
    attn.norm_eps = eps;
  }
  auto rope = std::make_shared<const RoPE>(c.rope(), attn.head_dim,
                                           c.get<int64_t>("max_position_embeddings", 8192),
                                           /*traditional=*/true);
  auto norm = [&] {
    return std::make_shared<nn::LayerNorm>(hidden, eps, nn::LayerNormOptions{.bias = false});
  };
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < c.get<int64_t>("num_hidden_layers"); ++i) {
    layers.push_back(std::make_shared<TransformerBlock>(BlockConfig{
        .attn = std::make_shared<Attention>(attn, rope),
        .mlp = std::make_shared<GatedMLP>(hidden, c.get<int64_t>("intermediate_size"), false),
        .pre_attn = norm(),
        .parallel = true}));
  }
  CausalLMConfig lm{.vocab_size = c.get<int64_t>("vocab_size"),
                    .hidden_size = hidden,
                    .tie_word_embeddings = c.tie_word_embeddings(true),
                    .logit_scale = c.get<float>("logit_scale", 0.0625f)};
  return std::make_shared<CausalLM>(c, lm, std::move(layers), norm());
}

}  // namespace

void register_cohere() { static ModelRegistrar r({"cohere"}, make_cohere); }

}  // namespace lmx::models
