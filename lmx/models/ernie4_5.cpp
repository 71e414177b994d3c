// SPDX-License-Identifier: MIT
// ERNIE 4.5 (dense): Llama with interleaved (traditional) RoPE and one use_bias switch for
// every projection. As in MLX-LM's ernie4_5.py.
#include "lmx/models/model.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

std::shared_ptr<Model> make_ernie4_5(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("hidden_size");
  float eps = c.get<float>("rms_norm_eps", 1e-5f);
  bool bias = c.get<bool>("use_bias", false);
  AttentionConfig attn = attention_config(c);
  attn.qkv_bias = attn.o_bias = bias;
  auto rope = std::make_shared<const RoPE>(c.rope(), attn.head_dim,
                                           c.get<int64_t>("max_position_embeddings", 131072),
                                           /*traditional=*/true);
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < c.get<int64_t>("num_hidden_layers"); ++i) {
    layers.push_back(std::make_shared<TransformerBlock>(BlockConfig{
        .attn = std::make_shared<Attention>(attn, rope),
        .mlp = std::make_shared<GatedMLP>(hidden, c.get<int64_t>("intermediate_size"), bias,
                                          activation(c.get<std::string>("hidden_act", "silu"))),
        .pre_attn = std::make_shared<nn::RMSNorm>(hidden, eps),
        .pre_mlp = std::make_shared<nn::RMSNorm>(hidden, eps)}));
  }
  CausalLMConfig lm{.vocab_size = c.get<int64_t>("vocab_size"),
                    .hidden_size = hidden,
                    .tie_word_embeddings = c.tie_word_embeddings(true)};
  return std::make_shared<CausalLM>(c, lm, std::move(layers),
                                    std::make_shared<nn::RMSNorm>(hidden, eps));
}

}  // namespace

void register_ernie4_5() { static ModelRegistrar r({"ernie4_5"}, make_ernie4_5); }

}  // namespace lmx::models
