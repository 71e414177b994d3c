// SPDX-License-Identifier: MIT
// SmolLM3: Llama with NoPE layers (no rotary embedding on every no_rope_layer_interval-th
// layer, or where no_rope_layers says 0) and optional sliding-window layers. As in MLX-LM's
// smollm3.py.
#include "lmx/models/model.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

std::shared_ptr<Model> make_smollm3(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("hidden_size");
  int64_t n_layers = c.get<int64_t>("num_hidden_layers");
  float eps = c.get<float>("rms_norm_eps", 1e-6f);
  AttentionConfig attn = attention_config(c);
  attn.qkv_bias = attn.o_bias = c.get<bool>("attention_bias", false);
  auto uses_rope = c.get<std::vector<int64_t>>("no_rope_layers", {});
  if (uses_rope.empty()) {
    int64_t interval = c.get<int64_t>("no_rope_layer_interval", 4);
    for (int64_t i = 0; i < n_layers; ++i) uses_rope.push_back((i + 1) % interval != 0);
  }
  std::vector<std::string> types = c.layer_types();
  int64_t window =
      c.get<bool>("use_sliding_window", false) ? c.get<int64_t>("sliding_window", 0) : 0;
  auto rope = std::make_shared<const RoPE>(c.rope(), attn.head_dim,
                                           c.get<int64_t>("max_position_embeddings", 32768));
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < n_layers; ++i) {
    AttentionConfig a = attn;
    a.use_rope = uses_rope.at(i) != 0;
    if (size_t(i) < types.size() && types[i] == "sliding_attention") a.sliding_window = window;
    layers.push_back(std::make_shared<TransformerBlock>(
        BlockConfig{.attn = std::make_shared<Attention>(a, rope),
                    .mlp = std::make_shared<GatedMLP>(hidden, c.get<int64_t>("intermediate_size"),
                                                      c.get<bool>("mlp_bias", false)),
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

void register_smollm3() { static ModelRegistrar r({"smollm3"}, make_smollm3); }

}  // namespace lmx::models
