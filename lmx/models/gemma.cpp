// SPDX-License-Identifier: MIT
// Gemma: Llama's block with RMSNorm weights applied as (1 + w), a gated GELU (tanh) MLP,
// embeddings scaled by sqrt(hidden_size) and a tied head. As in MLX-LM's gemma.py.
#include <cmath>

#include "lmx/models/model.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

std::shared_ptr<Model> make_gemma(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("hidden_size");
  float eps = c.get<float>("rms_norm_eps", 1e-6f);
  AttentionConfig attn = attention_config(c);
  attn.qkv_bias = attn.o_bias = c.get<bool>("attention_bias", false);
  auto rope = std::make_shared<const RoPE>(c.rope(), attn.head_dim,
                                           c.get<int64_t>("max_position_embeddings", 8192));
  // Older configs say hidden_act "gelu" but mean the tanh approximation, as transformers does.
  Activation act = activation(c.get<std::string>("hidden_activation", "gelu_pytorch_tanh"));
  auto norm = [&] { return std::make_shared<nn::RMSNorm>(hidden, eps, 1.0f); };
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < c.get<int64_t>("num_hidden_layers"); ++i) {
    layers.push_back(std::make_shared<TransformerBlock>(BlockConfig{
        .attn = std::make_shared<Attention>(attn, rope),
        .mlp = std::make_shared<GatedMLP>(hidden, c.get<int64_t>("intermediate_size"), false, act),
        .pre_attn = norm(),
        .pre_mlp = norm()}));
  }
  CausalLMConfig lm{.vocab_size = c.get<int64_t>("vocab_size"),
                    .hidden_size = hidden,
                    .tie_word_embeddings = c.tie_word_embeddings(true),
                    .embed_scale = std::sqrt(float(hidden))};
  return std::make_shared<CausalLM>(c, lm, std::move(layers), norm());
}

}  // namespace

void register_gemma() { static ModelRegistrar r({"gemma"}, make_gemma); }

}  // namespace lmx::models
