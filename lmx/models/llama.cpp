// SPDX-License-Identifier: MIT
// Llama and its close relatives: mistral (sliding window), qwen2 (q/k/v biases) and
// qwen3 (per-head q/k RMSNorm). As in MLX-LM's llama.py.
#include "lmx/models/model.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

std::shared_ptr<Model> make_llama(const io::ModelConfig& c) {
  std::string type = c.model_type();
  int64_t hidden = c.get<int64_t>("hidden_size");
  float eps = c.get<float>("rms_norm_eps", 1e-6f);
  bool qwen2 = type == "qwen2";
  bool attention_bias = c.get<bool>("attention_bias", qwen2);
  int64_t sliding_window = 0;
  if (c.get<bool>("use_sliding_window", type == "mistral"))
    sliding_window = c.get<int64_t>("sliding_window", 0);
  AttentionConfig attn{
      .hidden_size = hidden,
      .num_heads = c.get<int64_t>("num_attention_heads"),
      .num_kv_heads = c.get<int64_t>("num_key_value_heads", c.get<int64_t>("num_attention_heads")),
      .head_dim = c.head_dim(),
      .qkv_bias = attention_bias,
      .o_bias = qwen2 ? false : attention_bias,
      .qk_norm = type == "qwen3" ? QKNorm::rms : QKNorm::none,
      .norm_eps = eps,
      .sliding_window = sliding_window};
  auto rope = std::make_shared<const RoPE>(c.rope(), attn.head_dim,
                                           c.get<int64_t>("max_position_embeddings", 4096));
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < c.get<int64_t>("num_hidden_layers"); ++i) {
    layers.push_back(std::make_shared<TransformerBlock>(
        BlockConfig{.attn = std::make_shared<Attention>(attn, rope),
                    .mlp = std::make_shared<GatedMLP>(hidden, c.get<int64_t>("intermediate_size"),
                                                      c.get<bool>("mlp_bias", false)),
                    .pre_attn = std::make_shared<nn::RMSNorm>(hidden, eps),
                    .pre_mlp = std::make_shared<nn::RMSNorm>(hidden, eps)}));
  }
  CausalLMConfig lm{
      .vocab_size = c.get<int64_t>("vocab_size"),
      .hidden_size = hidden,
      .tie_word_embeddings = c.tie_word_embeddings(type != "llama" && type != "mistral")};
  return std::make_shared<CausalLM>(c, lm, std::move(layers),
                                    std::make_shared<nn::RMSNorm>(hidden, eps));
}

}  // namespace

void register_llama() {
  static ModelRegistrar r({"llama", "mistral", "qwen2", "qwen3"}, make_llama);
}

}  // namespace lmx::models
