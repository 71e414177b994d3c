// SPDX-License-Identifier: MIT
// Pieces most decoder-only transformers share, configured rather than copied: multi-head
// attention (GQA, fused or separate projections, biases, q/k norms, RoPE, sliding window,
// softcap), the MLPs, a decoder block with every norm placement checkpoints use, and the
// embed -> layers -> norm -> head shell. Architecture files compose them and keep only what
// is their own.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lmx/core/array.h"
#include "lmx/models/model.h"
#include "lmx/models/rope.h"
#include "lmx/nn/cache.h"
#include "lmx/nn/layers.h"

namespace lmx::models {

using Activation = std::function<Array(const Array&)>;

// The activation Hugging Face calls `name` (hidden_act): silu, gelu (exact), gelu_new /
// gelu_pytorch_tanh / gelu_fast (tanh approximation), quick_gelu, relu, relu2. Throws
// ValueError for others.
Activation activation(std::string_view name);

// How queries and keys are normalized before RoPE.
enum class QKNorm {
  none,
  rms,       // RMSNorm over each head's features, one weight for all heads (qwen3, gemma3)
  rms_full,  // RMSNorm over all heads' features at once, before splitting heads (olmo2)
  layer,     // LayerNorm over each head's features (phi; cohere and stablelm per head)
};

struct AttentionConfig {
  int64_t hidden_size = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  bool qkv_bias = false;
  bool o_bias = false;
  QKNorm qk_norm = QKNorm::none;
  float norm_eps = 1e-6f;
  float qk_norm_offset = 0.0f;    // weight applied as (offset + w): gemma3 uses 1
  bool qk_norm_bias = false;      // LayerNorm with bias (phi)
  bool qk_norm_per_head = false;  // LayerNorm weight (heads, head_dim) (cohere, stablelm)
  float scale = 0.0f;             // 0: 1/sqrt(head_dim)
  int64_t sliding_window = 0;     // 0: full attention
  float softcap = 0.0f;           // attention logit softcap (gemma2)
  bool use_rope = true;           // false for NoPE layers
  bool sinks = false;             // learned per-head sink logits, parameter "sinks" (gpt-oss)
  // Checkpoint names. A non-empty qkv_name loads one fused input projection whose rows
  // are [q | k | v] (phi3), or [q_h | k_h | v_h] per head with qkv_per_head (gpt_neox).
  std::string qkv_name = {};
  bool qkv_per_head = false;
  std::string o_name = "o_proj";
  std::string q_norm_name = "q_norm", k_norm_name = "k_norm";
};

// The sizes from the usual config keys: hidden_size, num_attention_heads,
// num_key_value_heads (default: the heads) and head_dim (default: hidden / heads).
AttentionConfig attention_config(const io::ModelConfig& c);

class Attention : public nn::Module {
 public:
  // `rope` may be null when the config says use_rope = false.
  Attention(const AttentionConfig& c, std::shared_ptr<const RoPE> rope);
  // x (B, L, hidden) -> (B, L, hidden); `cache` may be null.
  Array operator()(const Array& x, nn::Cache* cache);
  int64_t sliding_window() const { return c_.sliding_window; }

  std::shared_ptr<nn::Linear> q_proj, k_proj, v_proj, qkv_proj, o_proj;
  std::shared_ptr<nn::Norm> q_norm, k_norm;
  Array sinks;  // (num_heads,) when the config has sinks

 private:
  AttentionConfig c_;
  std::shared_ptr<const RoPE> rope_;
};

// The position-wise network of a block: x (B, L, hidden) -> (B, L, hidden).
class FeedForward : public nn::Module {
 public:
  virtual Array operator()(const Array& x) = 0;
};

// down(act(gate(x)) * up(x)); act defaults to silu. With `fused_name` (e.g. "gate_up_proj",
// phi3 and glm4) gate and up are one projection whose rows are [gate | up].
class GatedMLP : public FeedForward {
 public:
  GatedMLP(int64_t hidden, int64_t intermediate, bool bias, Activation act = {},
           const std::string& fused_name = {});
  Array operator()(const Array& x) override;
  std::shared_ptr<nn::Linear> gate_proj, up_proj, gate_up_proj, down_proj;

 private:
  int64_t intermediate_;
  Activation act_;
};

struct MLPConfig {
  int64_t hidden = 0;
  int64_t intermediate = 0;
  bool bias = true;
  Activation act = {};
  std::string up_name = "up_proj";  // fc1 (phi), c_fc (gpt2, starcoder2), dense_h_to_4h
  std::string down_name = "down_proj";
};

// down(act(up(x))): the two-matrix MLP of GPT-style models.
class MLP : public FeedForward {
 public:
  explicit MLP(const MLPConfig& c);
  Array operator()(const Array& x) override;
  std::shared_ptr<nn::Linear> up, down;

 private:
  Activation act_;
};

// One decoder layer: x (B, L, hidden) -> (B, L, hidden), reading and extending `cache`
// (null runs without one).
class DecoderLayer : public nn::Module {
 public:
  virtual Array operator()(const Array& x, nn::Cache* cache) = 0;
  // The layer's attention window (0: full attention); its cache needs no more tokens.
  virtual int64_t sliding_window() const { return 0; }
};

// A block's parts and where its norms sit; a null norm is absent. Names are the
// checkpoint's. Sequential: h = x + r * post_attn(attn(pre_attn(x)));
//                         out = h + r * post_mlp(mlp(pre_mlp(h)))
// Parallel: out = x + attn(pre_attn(x)) + mlp(pre_mlp(x)), pre_mlp defaulting to pre_attn.
// Llama: pre_attn and pre_mlp; olmo2: post_attn and post_mlp; gemma2: all four.
struct BlockConfig {
  std::shared_ptr<Attention> attn = nullptr;
  std::shared_ptr<FeedForward> mlp = nullptr;
  std::shared_ptr<nn::Norm> pre_attn = nullptr, post_attn = nullptr, pre_mlp = nullptr,
                            post_mlp = nullptr;
  std::string attn_name = "self_attn";
  std::string mlp_name = "mlp";  // block_sparse_moe (mixtral)
  std::string pre_attn_name = "input_layernorm";
  std::string post_attn_name = "post_attention_layernorm";
  std::string pre_mlp_name = "post_attention_layernorm";
  std::string post_mlp_name = "post_feedforward_layernorm";
  bool parallel = false;
  float residual_scale = 1.0f;  // r above (granite's residual_multiplier)
};

class TransformerBlock : public DecoderLayer {
 public:
  explicit TransformerBlock(BlockConfig c);
  Array operator()(const Array& x, nn::Cache* cache) override;
  int64_t sliding_window() const override { return c_.attn->sliding_window(); }

 private:
  BlockConfig c_;
};

// Module names of a decoder-only LM (Hugging Face's; gpt2 and gpt_neox use others).
struct LMNames {
  std::string model = "model";
  std::string embed = "embed_tokens";
  std::string layers = "layers";
  std::string norm = "norm";
  std::string head = "lm_head";
};

// What a decoder-only LM does around its layers.
struct CausalLMConfig {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  bool tie_word_embeddings = false;
  bool head_bias = false;      // phi
  float embed_scale = 1.0f;    // gemma: sqrt(hidden_size), granite: embedding_multiplier
  float logit_scale = 1.0f;    // cohere: logit_scale, granite: 1 / logits_scaling
  float final_softcap = 0.0f;  // gemma2: logits = c * tanh(logits / c)
  LMNames names = {};
};

// <model>.embed_tokens, <model>.layers.N and <model>.norm, as one module.
class DecoderBackbone : public nn::Module {
 public:
  DecoderBackbone(const CausalLMConfig& c, std::vector<std::shared_ptr<DecoderLayer>> layers,
                  std::shared_ptr<nn::Norm> norm);
  std::shared_ptr<nn::Embedding> embed_tokens;
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  std::shared_ptr<nn::Norm> norm;
};

// A decoder-only language model: embed (scaled), the layers, the final norm and the head
// (lm_head, or the embedding when tied), with the logit scale and softcap.
class CausalLM : public Model {
 public:
  CausalLM(const io::ModelConfig& config, CausalLMConfig lm,
           std::vector<std::shared_ptr<DecoderLayer>> layers, std::shared_ptr<nn::Norm> norm);
  Array operator()(const Array& inputs, nn::CacheList* cache) override;
  void prefill(const Array& inputs, nn::CacheList& cache) override;
  // Sliding-window layers get a RotatingKVCache of the window's size (as MLX-LM); the
  // others follow `opts`.
  nn::CacheList make_cache(const nn::CacheOptions& opts = {}) override;
  // Also drops the head's weights when the embedding is tied.
  std::map<std::string, Array> sanitize(std::map<std::string, Array> weights) override;
  int64_t vocab_size() const override { return lm_.vocab_size; }
  int num_layers() const override { return int(model->layers.size()); }

  std::shared_ptr<DecoderBackbone> model;
  std::shared_ptr<nn::Linear> lm_head;

 protected:
  // (B, L) ids -> (B, L, hidden) for tokens at positions offset .. offset + L - 1.
  virtual Array embed(const Array& inputs, int64_t offset);
  // The decoder layers' output (before the final norm), extending `cache`.
  Array hidden(const Array& inputs, nn::CacheList* cache);
  CausalLMConfig lm_;
};

}  // namespace lmx::models
