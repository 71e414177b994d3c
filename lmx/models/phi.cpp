// SPDX-License-Identifier: MIT
// Phi (1, 1.5, 2): one LayerNorm feeding attention and MLP in parallel, biases throughout,
// partial rotary embeddings, optional per-head q/k LayerNorm and a head with a bias. As in
// MLX-LM's phi.py.
#include "lmx/models/model.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

std::shared_ptr<Model> make_phi(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("hidden_size");
  float eps = c.get<float>("layer_norm_eps", 1e-5f);
  AttentionConfig attn = attention_config(c);
  attn.qkv_bias = attn.o_bias = true;
  attn.o_name = "dense";
  if (c.get<bool>("qk_layernorm", false)) {
    attn.qk_norm = QKNorm::layer;
    attn.qk_norm_bias = true;
    attn.norm_eps = eps;
    attn.q_norm_name = "q_layernorm";
    attn.k_norm_name = "k_layernorm";
  }
  auto rope = std::make_shared<const RoPE>(c.rope(), attn.head_dim,
                                           c.get<int64_t>("max_position_embeddings", 2048));
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < c.get<int64_t>("num_hidden_layers"); ++i) {
    layers.push_back(std::make_shared<TransformerBlock>(
        BlockConfig{.attn = std::make_shared<Attention>(attn, rope),
                    .mlp = std::make_shared<MLP>(
                        MLPConfig{.hidden = hidden,
                                  .intermediate = c.get<int64_t>("intermediate_size"),
                                  .act = activation(c.get<std::string>("hidden_act", "gelu_new")),
                                  .up_name = "fc1",
                                  .down_name = "fc2"}),
                    .pre_attn = std::make_shared<nn::LayerNorm>(hidden, eps),
                    .parallel = true}));
  }
  CausalLMConfig lm{.vocab_size = c.get<int64_t>("vocab_size"),
                    .hidden_size = hidden,
                    .tie_word_embeddings = c.tie_word_embeddings(false),
                    .head_bias = true,
                    .names = {.norm = "final_layernorm"}};
  return std::make_shared<CausalLM>(c, lm, std::move(layers),
                                    std::make_shared<nn::LayerNorm>(hidden, eps));
}

}  // namespace

void register_phi() { static ModelRegistrar r({"phi"}, make_phi); }

}  // namespace lmx::models
