// SPDX-License-Identifier: MIT
// StarCoder2: pre-norm blocks with LayerNorm, biases on every projection, a plain GELU MLP
// (c_fc, c_proj) and an optional sliding window. As in MLX-LM's starcoder2.py.
#include "lmx/models/model.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

std::shared_ptr<Model> make_starcoder2(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("hidden_size");
  float eps = c.get<float>("norm_epsilon", 1e-5f);
  bool bias = c.get<bool>("use_bias", true);
  AttentionConfig attn = attention_config(c);
  attn.qkv_bias = attn.o_bias = bias;
  attn.sliding_window = c.get<int64_t>("sliding_window", 0);
  auto rope = std::make_shared<const RoPE>(c.rope(), attn.head_dim,
                                           c.get<int64_t>("max_position_embeddings", 4096));
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < c.get<int64_t>("num_hidden_layers"); ++i) {
    layers.push_back(std::make_shared<TransformerBlock>(
        BlockConfig{.attn = std::make_shared<Attention>(attn, rope),
                    .mlp = std::make_shared<MLP>(MLPConfig{
                        .hidden = hidden,
                        .intermediate = c.get<int64_t>("intermediate_size"),
                        .bias = bias,
                        .act = activation(c.get<std::string>("hidden_act", "gelu_pytorch_tanh")),
                        .up_name = "c_fc",
                        .down_name = "c_proj"}),
                    .pre_attn = std::make_shared<nn::LayerNorm>(hidden, eps),
                    .pre_mlp = std::make_shared<nn::LayerNorm>(hidden, eps)}));
  }
  CausalLMConfig lm{.vocab_size = c.get<int64_t>("vocab_size"),
                    .hidden_size = hidden,
                    .tie_word_embeddings = c.tie_word_embeddings(true)};
  return std::make_shared<CausalLM>(c, lm, std::move(layers),
                                    std::make_shared<nn::LayerNorm>(hidden, eps));
}

}  // namespace

void register_starcoder2() { static ModelRegistrar r({"starcoder2"}, make_starcoder2); }

}  // namespace lmx::models
