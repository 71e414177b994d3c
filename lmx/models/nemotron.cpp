// SPDX-License-Identifier: MIT
// Nemotron (Minitron): LayerNorm weights applied as (1 + w) ("LayerNorm1P"), a plain
// squared-ReLU MLP and partial rotary embeddings. As in MLX-LM's nemotron.py.
#include "lmx/models/model.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

std::shared_ptr<Model> make_nemotron(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("hidden_size");
  float eps = c.get<float>("norm_eps", 1e-5f);
  AttentionConfig attn = attention_config(c);
  attn.qkv_bias = attn.o_bias = c.get<bool>("attention_bias", false);
  io::RopeConfig rope_cfg = c.rope();
  if (!c.has("partial_rotary_factor") &&
      rope_cfg.raw.find("partial_rotary_factor") == rope_cfg.raw.end())
    rope_cfg.partial_rotary_factor = 0.5;  // transformers' NemotronConfig default
  auto rope = std::make_shared<const RoPE>(rope_cfg, attn.head_dim,
                                           c.get<int64_t>("max_position_embeddings", 4096));
  auto norm = [&] {
    return std::make_shared<nn::LayerNorm>(hidden, eps, nn::LayerNormOptions{.offset = 1.0f});
  };
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < c.get<int64_t>("num_hidden_layers"); ++i) {
    layers.push_back(std::make_shared<TransformerBlock>(
        BlockConfig{.attn = std::make_shared<Attention>(attn, rope),
                    .mlp = std::make_shared<MLP>(
                        MLPConfig{.hidden = hidden,
                                  .intermediate = c.get<int64_t>("intermediate_size"),
                                  .bias = c.get<bool>("mlp_bias", false),
                                  .act = activation(c.get<std::string>("hidden_act", "relu2"))}),
                    .pre_attn = norm(),
                    .pre_mlp = norm()}));
  }
  CausalLMConfig lm{.vocab_size = c.get<int64_t>("vocab_size"),
                    .hidden_size = hidden,
                    .tie_word_embeddings = c.tie_word_embeddings(false)};
  return std::make_shared<CausalLM>(c, lm, std::move(layers), norm());
}

}  // namespace

void register_nemotron() { static ModelRegistrar r({"nemotron"}, make_nemotron); }

}  // namespace lmx::models
