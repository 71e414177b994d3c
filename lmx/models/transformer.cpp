// SPDX-License-Identifier: MIT
#include "lmx/models/transformer.h"

#include <cmath>

#include "lmx/core/fast.h"
#include "lmx/core/ops.h"

namespace lmx::models {

Attention::Attention(const AttentionConfig& c, std::shared_ptr<const RoPE> rope)
    : c_(c), rope_(std::move(rope)) {
  if (c_.scale == 0.0f) c_.scale = 1.0f / std::sqrt(float(c_.head_dim));
  q_proj = std::make_shared<nn::Linear>(c.hidden_size, c.num_heads * c.head_dim, c.qkv_bias);
  k_proj = std::make_shared<nn::Linear>(c.hidden_size, c.num_kv_heads * c.head_dim, c.qkv_bias);
  v_proj = std::make_shared<nn::Linear>(c.hidden_size, c.num_kv_heads * c.head_dim, c.qkv_bias);
  o_proj = std::make_shared<nn::Linear>(c.num_heads * c.head_dim, c.hidden_size, c.o_bias);
  register_module("q_proj", q_proj);
  register_module("k_proj", k_proj);
  register_module("v_proj", v_proj);
  register_module("o_proj", o_proj);
  if (c.qk_norm) {
    q_norm = std::make_shared<nn::RMSNorm>(c.head_dim, c.norm_eps);
    k_norm = std::make_shared<nn::RMSNorm>(c.head_dim, c.norm_eps);
    register_module("q_norm", q_norm);
    register_module("k_norm", k_norm);
  }
}

Array Attention::operator()(const Array& x, nn::Cache* cache) {
  int64_t B = x.shape(0), L = x.shape(1);
  Array q = reshape((*q_proj)(x), {B, L, c_.num_heads, c_.head_dim});  // (B, L, H, D)
  Array k = reshape((*k_proj)(x), {B, L, c_.num_kv_heads, c_.head_dim});
  Array v = reshape((*v_proj)(x), {B, L, c_.num_kv_heads, c_.head_dim});
  if (q_norm) {
    q = (*q_norm)(q);
    k = (*k_norm)(k);
  }
  q = transpose(q, {0, 2, 1, 3});  // (B, H, L, D)
  k = transpose(k, {0, 2, 1, 3});
  v = transpose(v, {0, 2, 1, 3});
  int64_t offset = cache ? cache->offset() : 0;
  if (c_.use_rope && rope_) {
    q = (*rope_)(q, offset);
    k = (*rope_)(k, offset);
  }
  if (cache) std::tie(k, v) = static_cast<nn::KVCacheBase*>(cache)->update_and_fetch(k, v);
  Array o = fast::scaled_dot_product_attention(
      q, k, v, c_.scale, L > 1 ? fast::AttentionMask("causal") : fast::AttentionMask(),
      {.sliding_window = int(c_.sliding_window), .softcap = c_.softcap});  // (B, H, L, D)
  o = reshape(transpose(o, {0, 2, 1, 3}), {B, L, c_.num_heads * c_.head_dim});
  return (*o_proj)(o);
}

GatedMLP::GatedMLP(int64_t hidden, int64_t intermediate, bool bias,
                   std::function<Array(const Array&)> act)
    : act_(act ? std::move(act) : [](const Array& a) { return silu(a); }) {
  gate_proj = std::make_shared<nn::Linear>(hidden, intermediate, bias);
  up_proj = std::make_shared<nn::Linear>(hidden, intermediate, bias);
  down_proj = std::make_shared<nn::Linear>(intermediate, hidden, bias);
  register_module("gate_proj", gate_proj);
  register_module("up_proj", up_proj);
  register_module("down_proj", down_proj);
}

Array GatedMLP::operator()(const Array& x) {
  return (*down_proj)(multiply(act_((*gate_proj)(x)), (*up_proj)(x)));
}

}  // namespace lmx::models
