// SPDX-License-Identifier: MIT
// OLMo 2: norms after attention and MLP rather than before, and q/k RMSNorm over all
// heads' features at once. As in MLX-LM's olmo2.py.
#include "lmx/models/model.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

std::shared_ptr<Model> make_olmo2(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("hidden_size");
  float eps = c.get<float>("rms_norm_eps", 1e-6f);
  AttentionConfig attn = attention_config(c);
  attn.qkv_bias = attn.o_bias = c.get<bool>("attention_bias", false);
  attn.qk_norm = QKNorm::rms_full;
  attn.norm_eps = eps;
  auto rope = std::make_shared<const RoPE>(c.rope(), attn.head_dim,
                                           c.get<int64_t>("max_position_embeddings", 4096));
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < c.get<int64_t>("num_hidden_layers"); ++i) {
    layers.push_back(std::make_shared<TransformerBlock>(BlockConfig{
        .attn = std::make_shared<Attention>(attn, rope),
        .mlp = std::make_shared<GatedMLP>(hidden, c.get<int64_t>("intermediate_size"), false),
        .post_attn = std::make_shared<nn::RMSNorm>(hidden, eps),
        .post_mlp = std::make_shared<nn::RMSNorm>(hidden, eps)}));
  }
  CausalLMConfig lm{.vocab_size = c.get<int64_t>("vocab_size"),
                    .hidden_size = hidden,
                    .tie_word_embeddings = c.tie_word_embeddings(false)};
  return std::make_shared<CausalLM>(c, lm, std::move(layers),
                                    std::make_shared<nn::RMSNorm>(hidden, eps));
}

}  // namespace

void register_olmo2() { static ModelRegistrar r({"olmo2"}, make_olmo2); }

}  // namespace lmx::models
