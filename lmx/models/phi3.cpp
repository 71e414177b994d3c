// SPDX-License-Identifier: MIT
// Phi-3 and Phi-4-mini: Llama's block with fused qkv and gate/up projections, longrope
// scaling (short and long factors picked by sequence length), partial rotary embeddings
// (Phi-4-mini) and an optional sliding window. As in MLX-LM's phi3.py.
#include "lmx/models/model.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

std::shared_ptr<Model> make_phi3(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("hidden_size");
  float eps = c.get<float>("rms_norm_eps", 1e-5f);
  AttentionConfig attn = attention_config(c);
  attn.qkv_name = "qkv_proj";
  attn.sliding_window = c.get<int64_t>("sliding_window", 0);
  auto rope = std::make_shared<const RoPE>(c.rope(), attn.head_dim,
                                           c.get<int64_t>("max_position_embeddings", 4096));
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < c.get<int64_t>("num_hidden_layers"); ++i) {
    layers.push_back(std::make_shared<TransformerBlock>(BlockConfig{
        .attn = std::make_shared<Attention>(attn, rope),
        .mlp = std::make_shared<GatedMLP>(hidden, c.get<int64_t>("intermediate_size"), false,
                                          activation(c.get<std::string>("hidden_act", "silu")),
                                          "gate_up_proj"),
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

void register_phi3() { static ModelRegistrar r({"phi3"}, make_phi3); }

}  // namespace lmx::models
