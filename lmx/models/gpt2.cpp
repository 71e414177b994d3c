// SPDX-License-Identifier: MIT
// GPT-2: learned position embeddings instead of RoPE, LayerNorm blocks, a fused qkv
// projection (c_attn), a plain GELU MLP and a tied head. Hugging Face stores the
// projections as Conv1D, (in, out): sanitize() transposes them. As in MLX-LM's gpt2.py,
// with Hugging Face's module names.
#include <cmath>

#include "lmx/core/ops.h"
#include "lmx/models/model.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

class GPT2 : public CausalLM {
 public:
  GPT2(const io::ModelConfig& c, CausalLMConfig lm,
       std::vector<std::shared_ptr<DecoderLayer>> layers, std::shared_ptr<nn::Norm> norm)
      : CausalLM(c, std::move(lm), std::move(layers), std::move(norm)) {
    wpe = std::make_shared<nn::Embedding>(c.get<int64_t>("n_positions", 1024), lm_.hidden_size);
    register_module("transformer.wpe", wpe);
  }

  // Hugging Face checkpoints name modules with or without "transformer." and keep Conv1D
  // weights (in, out); MLX-LM's name them "model." and already transposed.
  std::map<std::string, Array> sanitize(std::map<std::string, Array> w) override {
    std::map<std::string, Array> out;
    for (auto& [key, a] : w) {
      if (key.ends_with(".attn.bias") || key.ends_with(".attn.masked_bias")) continue;
      std::string k = key;
      bool mlx = k.starts_with("model.");
      if (mlx)
        k = "transformer." + k.substr(6);
      else if (!k.starts_with("transformer.") && !k.starts_with("lm_head."))
        k = "transformer." + k;
      bool conv1d = k.ends_with("c_attn.weight") || k.ends_with("c_proj.weight") ||
                    k.ends_with("c_fc.weight");
      out.emplace(k, conv1d && !mlx ? transpose(a) : a);
    }
    return CausalLM::sanitize(std::move(out));
  }

  std::shared_ptr<nn::Embedding> wpe;

 protected:
  Array embed(const Array& inputs, int64_t offset) override {
    int64_t L = inputs.shape(-1);
    Array positions = arange(double(offset), double(offset + L), 1.0, Dtype::int32);  // (L,)
    return add(CausalLM::embed(inputs, offset), (*wpe)(positions));
  }
};

std::shared_ptr<Model> make_gpt2(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("n_embd");
  int64_t heads = c.get<int64_t>("n_head");
  float eps = c.get<float>("layer_norm_epsilon", 1e-5f);
  AttentionConfig attn{.hidden_size = hidden,
                       .num_heads = heads,
                       .num_kv_heads = heads,
                       .head_dim = hidden / heads,
                       .qkv_bias = true,
                       .o_bias = true,
                       .use_rope = false,
                       .qkv_name = "c_attn",
                       .o_name = "c_proj"};
  bool scale = c.get<bool>("scale_attn_weights", true);
  bool by_layer = c.get<bool>("scale_attn_by_inverse_layer_idx", false);
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < c.get<int64_t>("n_layer"); ++i) {
    AttentionConfig a = attn;
    a.scale =
        (scale ? 1.0f / std::sqrt(float(a.head_dim)) : 1.0f) / (by_layer ? float(i + 1) : 1.0f);
    layers.push_back(std::make_shared<TransformerBlock>(
        BlockConfig{.attn = std::make_shared<Attention>(a, nullptr),
                    .mlp = std::make_shared<MLP>(MLPConfig{
                        .hidden = hidden,
                        .intermediate = c.get<int64_t>("n_inner", 4 * hidden),
                        .act = activation(c.get<std::string>("activation_function", "gelu_new")),
                        .up_name = "c_fc",
                        .down_name = "c_proj"}),
                    .pre_attn = std::make_shared<nn::LayerNorm>(hidden, eps),
                    .pre_mlp = std::make_shared<nn::LayerNorm>(hidden, eps),
                    .attn_name = "attn",
                    .pre_attn_name = "ln_1",
                    .pre_mlp_name = "ln_2"}));
  }
  CausalLMConfig lm{
      .vocab_size = c.get<int64_t>("vocab_size"),
      .hidden_size = hidden,
      .tie_word_embeddings = c.tie_word_embeddings(true),
      .names = {.model = "transformer", .embed = "wte", .layers = "h", .norm = "ln_f"}};
  return std::make_shared<GPT2>(c, lm, std::move(layers),
                                std::make_shared<nn::LayerNorm>(hidden, eps));
}

}  // namespace

void register_gpt2() { static ModelRegistrar r({"gpt2"}, make_gpt2); }

}  // namespace lmx::models
