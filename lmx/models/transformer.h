// SPDX-License-Identifier: MIT
// Pieces most decoder-only transformers share, configured rather than copied: multi-head
// attention (GQA, biases, q/k norms, RoPE, sliding window, softcap, sinks) and the gated
// MLP. Architecture files compose them and keep only what is their own.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "lmx/core/array.h"
#include "lmx/models/rope.h"
#include "lmx/nn/cache.h"
#include "lmx/nn/layers.h"

namespace lmx::models {

struct AttentionConfig {
  int64_t hidden_size = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  bool qkv_bias = false;
  bool o_bias = false;
  // Per-head RMSNorm of queries and keys before RoPE (qwen3, olmo2 uses full-width).
  bool qk_norm = false;
  float norm_eps = 1e-6f;
  float scale = 0.0f;         // 0: 1/sqrt(head_dim)
  int64_t sliding_window = 0;  // 0: full attention
  float softcap = 0.0f;        // attention logit softcap (gemma2)
  bool use_rope = true;        // false for NoPE layers
};

class Attention : public nn::Module {
 public:
  // `rope` may be null when the config says use_rope = false.
  Attention(const AttentionConfig& c, std::shared_ptr<const RoPE> rope);
  // x (B, L, hidden) -> (B, L, hidden); `cache` may be null.
  Array operator()(const Array& x, nn::Cache* cache);

  std::shared_ptr<nn::Linear> q_proj, k_proj, v_proj, o_proj;
  std::shared_ptr<nn::RMSNorm> q_norm, k_norm;

 private:
  AttentionConfig c_;
  std::shared_ptr<const RoPE> rope_;
};

// down(act(gate(x)) * up(x)); act defaults to silu.
class GatedMLP : public nn::Module {
 public:
  GatedMLP(int64_t hidden, int64_t intermediate, bool bias,
           std::function<Array(const Array&)> act = {});
  Array operator()(const Array& x);
  std::shared_ptr<nn::Linear> gate_proj, up_proj, down_proj;

 private:
  std::function<Array(const Array&)> act_;
};

}  // namespace lmx::models
