// SPDX-License-Identifier: MIT
// Helium (Kyutai): Llama with interleaved (traditional) RoPE and no bias on the output
// projection. As in MLX-LM's helium.py.
#include "lmx/models/model.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

std::shared_ptr<Model> make_helium(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("hidden_size");
  float eps = c.get<float>("rms_norm_eps", 1e-8f);
  AttentionConfig attn = attention_config(c);
  attn.qkv_bias = c.get<bool>("attention_bias", false);
  auto rope = std::make_shared<const RoPE>(c.rope(), attn.head_dim,
                                           c.get<int64_t>("max_position_embeddings", 4096),
                                           /*traditional=*/true);
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < c.get<int64_t>("num_hidden_layers"); ++i) {
    layers.push_back(std::make_shared<TransformerBlock>(BlockConfig{
        .attn = std::make_shared<Attention>(attn, rope),
        .mlp = std::make_shared<GatedMLP>(hidden, c.get<int64_t>("intermediate_size"),
                                          c.get<bool>("mlp_bias", false),
                                          activation(c.get<std::string>("hidden_act", "silu"))),
        .pre_attn = std::make_shared<nn::RMSNorm>(hidden, eps),
        .pre_mlp = std::make_shared<nn::RMSNorm>(hidden, eps)}));
  }
  CausalLMConfig lm{.vocab_size = c.get<int64_t>("vocab_size"),
                    .hidden_size = hidden,
                    .tie_word_embeddings = c.tie_word_embeddings(false)};
  return std::make_shared<CausalLM>(c, lm, std::move(layers),
                                    std::make_shared<nn::RMSNorm>(hidden, eps));
}

}  // namespace

void register_helium() { static ModelRegistrar r({"helium"}, make_helium); }

}  // namespace lmx::models
