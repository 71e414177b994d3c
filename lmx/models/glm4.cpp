// SPDX-License-Identifier: MIT
// GLM-4 (0414): norms before and after both attention and MLP, q/k/v biases, a fused
// gate/up projection and interleaved (traditional) partial rotary embeddings. As in
// MLX-LM's glm4.py.
#include "lmx/models/model.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

std::shared_ptr<Model> make_glm4(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("hidden_size");
  float eps = c.get<float>("rms_norm_eps", 1e-5f);
  AttentionConfig attn = attention_config(c);
  attn.qkv_bias = c.get<bool>("attention_bias", false);
  auto rope = std::make_shared<const RoPE>(c.rope(), attn.head_dim,
                                           c.get<int64_t>("max_position_embeddings", 32768),
                                           /*traditional=*/true);
  auto norm = [&] { return std::make_shared<nn::RMSNorm>(hidden, eps); };
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < c.get<int64_t>("num_hidden_layers"); ++i) {
    layers.push_back(std::make_shared<TransformerBlock>(BlockConfig{
        .attn = std::make_shared<Attention>(attn, rope),
        .mlp = std::make_shared<GatedMLP>(hidden, c.get<int64_t>("intermediate_size"), false,
                                          activation(c.get<std::string>("hidden_act", "silu")),
                                          "gate_up_proj"),
        .pre_attn = norm(),
        .post_attn = norm(),
        .pre_mlp = norm(),
        .post_mlp = norm(),
        .post_attn_name = "post_self_attn_layernorm",
        .post_mlp_name = "post_mlp_layernorm"}));
  }
  CausalLMConfig lm{.vocab_size = c.get<int64_t>("vocab_size"),
                    .hidden_size = hidden,
                    .tie_word_embeddings = c.tie_word_embeddings(false)};
  return std::make_shared<CausalLM>(c, lm, std::move(layers), norm());
}

}  // namespace

void register_glm4() { static ModelRegistrar r({"glm4"}, make_glm4); }

}  // namespace lmx::models
