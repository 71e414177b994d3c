// SPDX-License-Identifier: MIT
// Granite (3.x dense): Llama with four multipliers: on the embeddings, on the attention
// scores (in place of 1/sqrt(head_dim)), on each residual branch, and a divisor on the
// logits. As in MLX-LM's granite.py.
#include "lmx/models/model.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

std::shared_ptr<Model> make_granite(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("hidden_size");
  float eps = c.get<float>("rms_norm_eps", 1e-6f);
  AttentionConfig attn = attention_config(c);
  attn.qkv_bias = attn.o_bias = c.get<bool>("attention_bias", false);
  attn.scale = c.get<float>("attention_multiplier", 1.0f);
  auto rope = std::make_shared<const RoPE>(c.rope(), attn.head_dim,
                                           c.get<int64_t>("max_position_embeddings", 2048));
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < c.get<int64_t>("num_hidden_layers"); ++i) {
    layers.push_back(std::make_shared<TransformerBlock>(
        BlockConfig{.attn = std::make_shared<Attention>(attn, rope),
                    .mlp = std::make_shared<GatedMLP>(hidden, c.get<int64_t>("intermediate_size"),
                                                      c.get<bool>("mlp_bias", false)),
                    .pre_attn = std::make_shared<nn::RMSNorm>(hidden, eps),
                    .pre_mlp = std::make_shared<nn::RMSNorm>(hidden, eps),
                    .residual_scale = c.get<float>("residual_multiplier", 1.0f)}));
  }
  CausalLMConfig lm{.vocab_size = c.get<int64_t>("vocab_size"),
                    .hidden_size = hidden,
                    .tie_word_embeddings = c.tie_word_embeddings(false),
                    .embed_scale = c.get<float>("embedding_multiplier", 1.0f),
                    .logit_scale = 1.0f / c.get<float>("logits_scaling", 1.0f)};
  return std::make_shared<CausalLM>(c, lm, std::move(layers),
                                    std::make_shared<nn::RMSNorm>(hidden, eps));
}

}  // namespace

void register_granite() { static ModelRegistrar r({"granite"}, make_granite); }

}  // namespace lmx::models
