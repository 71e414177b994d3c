// SPDX-License-Identifier: MIT
// GPT-NeoX (Pythia): LayerNorm blocks with attention and MLP in parallel (or in sequence),
// one fused qkv projection laid out per head, partial rotary embeddings and biases
// throughout. As in MLX-LM's gpt_neox.py, with Hugging Face's module names.
#include "lmx/models/model.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

class GPTNeoX : public CausalLM {
 public:
  using CausalLM::CausalLM;

  // Drops the causal-mask buffers older checkpoints carry.
  std::map<std::string, Array> sanitize(std::map<std::string, Array> w) override {
    for (auto it = w.begin(); it != w.end();) {
      const std::string& k = it->first;
      bool buffer = k.ends_with(".attention.bias") || k.ends_with(".attention.masked_bias");
      it = buffer ? w.erase(it) : std::next(it);
    }
    return CausalLM::sanitize(std::move(w));
  }
};

std::shared_ptr<Model> make_gpt_neox(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("hidden_size");
  float eps = c.get<float>("layer_norm_eps", 1e-5f);
  bool parallel = c.get<bool>("use_parallel_residual", true);
  AttentionConfig attn = attention_config(c);
  attn.num_kv_heads = attn.num_heads;
  attn.qkv_bias = attn.o_bias = c.get<bool>("attention_bias", true);
  attn.qkv_name = "query_key_value";
  attn.qkv_per_head = true;
  attn.o_name = "dense";
  auto rope = std::make_shared<const RoPE>(c.rope(), attn.head_dim,
                                           c.get<int64_t>("max_position_embeddings", 2048));
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < c.get<int64_t>("num_hidden_layers"); ++i) {
    layers.push_back(std::make_shared<TransformerBlock>(
        BlockConfig{.attn = std::make_shared<Attention>(attn, rope),
                    .mlp = std::make_shared<MLP>(
                        MLPConfig{.hidden = hidden,
                                  .intermediate = c.get<int64_t>("intermediate_size"),
                                  .act = activation(c.get<std::string>("hidden_act", "gelu")),
                                  .up_name = "dense_h_to_4h",
                                  .down_name = "dense_4h_to_h"}),
                    .pre_attn = std::make_shared<nn::LayerNorm>(hidden, eps),
                    .pre_mlp = std::make_shared<nn::LayerNorm>(hidden, eps),
                    .attn_name = "attention",
                    .parallel = parallel}));
  }
  CausalLMConfig lm{.vocab_size = c.get<int64_t>("vocab_size"),
                    .hidden_size = hidden,
                    .tie_word_embeddings = c.tie_word_embeddings(false),
                    .names = {.model = "gpt_neox",
                              .embed = "embed_in",
                              .norm = "final_layer_norm",
                              .head = "embed_out"}};
  return std::make_shared<GPTNeoX>(c, lm, std::move(layers),
                                   std::make_shared<nn::LayerNorm>(hidden, eps));
}

}  // namespace

void register_gpt_neox() { static ModelRegistrar r({"gpt_neox"}, make_gpt_neox); }

}  // namespace lmx::models
