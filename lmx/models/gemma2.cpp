// SPDX-License-Identifier: MIT
// Gemma 2 and Gemma 3 (text): Gemma with norms before and after both attention and MLP,
// alternating sliding-window and full layers, attention scaled by query_pre_attn_scalar,
// and softcapped attention and final logits (Gemma 2). Gemma 3 adds per-head q/k RMSNorm
// and a separate RoPE base for its sliding layers; its multimodal checkpoints ("gemma3")
// load the text model. As in MLX-LM's gemma2.py and gemma3_text.py.
#include <cmath>

#include "lmx/models/model.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

std::shared_ptr<Model> make_gemma2(const io::ModelConfig& c) {
  bool gemma3 = c.model_type() != "gemma2";
  int64_t hidden = c.get<int64_t>("hidden_size");
  int64_t n_layers = c.get<int64_t>("num_hidden_layers");
  int64_t max_pos = c.get<int64_t>("max_position_embeddings", gemma3 ? 131072 : 8192);
  float eps = c.get<float>("rms_norm_eps", 1e-6f);

  AttentionConfig attn = attention_config(c);
  if (gemma3) {  // transformers' Gemma3TextConfig defaults: multimodal configs omit these
    attn.num_heads = c.get<int64_t>("num_attention_heads", 8);
    attn.num_kv_heads = c.get<int64_t>("num_key_value_heads", 4);
    attn.head_dim = c.get<int64_t>("head_dim", 256);
    attn.qk_norm = QKNorm::rms;
    attn.qk_norm_offset = 1.0f;
  }
  attn.qkv_bias = attn.o_bias = c.get<bool>("attention_bias", false);
  attn.norm_eps = eps;
  attn.scale = 1.0f / std::sqrt(c.get<float>("query_pre_attn_scalar", 256.0f));
  // Gemma 3 configs carry attn_logit_softcapping, but transformers and MLX-LM ignore it.
  attn.softcap = gemma3 ? 0.0f : c.get<float>("attn_logit_softcapping", 50.0f);

  std::vector<std::string> types = c.layer_types();
  if (types.empty()) {  // Gemma 2 alternates; Gemma 3 has one full layer in every pattern
    int64_t pattern = gemma3 ? c.get<int64_t>("sliding_window_pattern", 6) : 2;
    for (int64_t i = 0; i < n_layers; ++i)
      types.push_back((i + 1) % pattern ? "sliding_attention" : "full_attention");
  }
  io::RopeConfig global = c.rope("full_attention"), local = c.rope("sliding_attention");
  if (gemma3 && !c.has("rope_parameters")) {
    global.theta = c.get<double>("rope_theta", 1e6);
    local.theta = c.get<double>("rope_local_base_freq", 1e4);
  }
  auto global_rope = std::make_shared<const RoPE>(global, attn.head_dim, max_pos);
  auto local_rope = std::make_shared<const RoPE>(local, attn.head_dim, max_pos);

  Activation act = activation(c.get<std::string>("hidden_activation", "gelu_pytorch_tanh"));
  auto norm = [&] { return std::make_shared<nn::RMSNorm>(hidden, eps, 1.0f); };
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < n_layers; ++i) {
    bool sliding = types.at(i) == "sliding_attention";
    AttentionConfig a = attn;
    a.sliding_window = sliding ? c.get<int64_t>("sliding_window", 4096) : 0;
    layers.push_back(std::make_shared<TransformerBlock>(BlockConfig{
        .attn = std::make_shared<Attention>(a, sliding && gemma3 ? local_rope : global_rope),
        .mlp = std::make_shared<GatedMLP>(hidden, c.get<int64_t>("intermediate_size"), false, act),
        .pre_attn = norm(),
        .post_attn = norm(),
        .pre_mlp = norm(),
        .post_mlp = norm(),
        .pre_mlp_name = "pre_feedforward_layernorm"}));
  }
  CausalLMConfig lm{
      .vocab_size = c.get<int64_t>("vocab_size", gemma3 ? 262208 : 256000),
      .hidden_size = hidden,
      .tie_word_embeddings = c.tie_word_embeddings(true),
      .embed_scale = std::sqrt(float(hidden)),
      .final_softcap = c.get<float>("final_logit_softcapping", gemma3 ? 0.0f : 30.0f)};
  return std::make_shared<CausalLM>(c, lm, std::move(layers), norm());
}

}  // namespace

void register_gemma2() {
  static ModelRegistrar r({"gemma2", "gemma3_text", "gemma3"}, make_gemma2);
}

}  // namespace lmx::models
