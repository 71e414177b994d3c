// SPDX-License-Identifier: MIT
#include "lmx/models/transformer.h"

#include <cmath>

#include "lmx/core/error.h"
#include "lmx/core/fast.h"
#include "lmx/core/ops.h"

namespace lmx::models {

Activation activation(std::string_view name) {
  if (name == "silu" || name == "swish") return [](const Array& a) { return silu(a); };
  if (name == "gelu" || name == "gelu_python") return [](const Array& a) { return gelu(a); };
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast")
    return [](const Array& a) { return gelu_approx(a); };
  if (name == "quick_gelu") return [](const Array& a) { return gelu_fast_approx(a); };
  if (name == "relu") return [](const Array& a) { return relu(a); };
  if (name == "relu2") return [](const Array& a) { return relu2(a); };
  raise<ValueError>("activation", "activation '{}' is not supported", name);
}

AttentionConfig attention_config(const io::ModelConfig& c) {
  int64_t heads = c.get<int64_t>("num_attention_heads");
  return {.hidden_size = c.get<int64_t>("hidden_size"),
          .num_heads = heads,
          .num_kv_heads = c.get<int64_t>("num_key_value_heads", heads),
          .head_dim = c.head_dim()};
}

Attention::Attention(const AttentionConfig& c, std::shared_ptr<const RoPE> rope)
    : c_(c), rope_(std::move(rope)) {
  if (c_.scale == 0.0f) c_.scale = 1.0f / std::sqrt(float(c_.head_dim));
  int64_t q_dim = c.num_heads * c.head_dim, kv_dim = c.num_kv_heads * c.head_dim;
  if (c.qkv_name.empty()) {
    q_proj = std::make_shared<nn::Linear>(c.hidden_size, q_dim, c.qkv_bias);
    k_proj = std::make_shared<nn::Linear>(c.hidden_size, kv_dim, c.qkv_bias);
    v_proj = std::make_shared<nn::Linear>(c.hidden_size, kv_dim, c.qkv_bias);
    register_module("q_proj", q_proj);
    register_module("k_proj", k_proj);
    register_module("v_proj", v_proj);
  } else {
    LMX_CHECK(!c.qkv_per_head || c.num_heads == c.num_kv_heads, ValueError, "Attention",
              "a per-head fused qkv needs as many kv heads as heads");
    qkv_proj = std::make_shared<nn::Linear>(c.hidden_size, q_dim + 2 * kv_dim, c.qkv_bias);
    register_module(c.qkv_name, qkv_proj);
  }
  o_proj = std::make_shared<nn::Linear>(q_dim, c.hidden_size, c.o_bias);
  register_module(c.o_name, o_proj);
  auto norm = [&](int64_t heads) -> std::shared_ptr<nn::Norm> {
    switch (c.qk_norm) {
      case QKNorm::none:
        return nullptr;
      case QKNorm::rms:
        return std::make_shared<nn::RMSNorm>(c.head_dim, c.norm_eps, c.qk_norm_offset);
      case QKNorm::rms_full:
        return std::make_shared<nn::RMSNorm>(heads * c.head_dim, c.norm_eps, c.qk_norm_offset);
      case QKNorm::layer:
        return std::make_shared<nn::LayerNorm>(
            c.head_dim, c.norm_eps,
            nn::LayerNormOptions{.bias = c.qk_norm_bias,
                                 .offset = c.qk_norm_offset,
                                 .heads = c.qk_norm_per_head ? heads : 0});
    }
    return nullptr;
  };
  if (c.sinks) {
    sinks = Array::placeholder({c.num_heads}, Dtype::float32, default_device());
    register_parameter("sinks", sinks);
  }
  q_norm = norm(c.num_heads);
  k_norm = norm(c.num_kv_heads);
  if (q_norm) {
    register_module(c.q_norm_name, q_norm);
    register_module(c.k_norm_name, k_norm);
  }
}

Array Attention::operator()(const Array& x, nn::Cache* cache) {
  int64_t B = x.shape(0), L = x.shape(1), D = c_.head_dim;
  int64_t H = c_.num_heads, KV = c_.num_kv_heads;
  Array q, k, v;  // (B, L, heads, D)
  if (qkv_proj && c_.qkv_per_head) {
    Array qkv = reshape((*qkv_proj)(x), {B, L, H, 3 * D});
    q = slice(qkv, -1, 0, D);
    k = slice(qkv, -1, D, 2 * D);
    v = slice(qkv, -1, 2 * D, 3 * D);
  } else {
    Array qf, kf, vf;  // (B, L, heads * D)
    if (qkv_proj) {
      Array qkv = (*qkv_proj)(x);
      qf = slice(qkv, -1, 0, H * D);
      kf = slice(qkv, -1, H * D, (H + KV) * D);
      vf = slice(qkv, -1, (H + KV) * D, (H + 2 * KV) * D);
    } else {
      qf = (*q_proj)(x);
      kf = (*k_proj)(x);
      vf = (*v_proj)(x);
    }
    if (c_.qk_norm == QKNorm::rms_full) {
      qf = (*q_norm)(qf);
      kf = (*k_norm)(kf);
    }
    q = reshape(qf, {B, L, H, D});
    k = reshape(kf, {B, L, KV, D});
    v = reshape(vf, {B, L, KV, D});
  }
  if (q_norm && c_.qk_norm != QKNorm::rms_full) {
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
  // The cache stores k and v in its own format and attends over everything it holds.
  nn::AttentionSpec spec{.scale = c_.scale,
                         .sliding_window = c_.sliding_window,
                         .softcap = c_.softcap,
                         .sinks = sinks};
  Array o = cache ? static_cast<nn::KVCacheBase*>(cache)->attend(q, k, v, spec)
                  : nn::attend_uncached(q, k, v, spec);  // (B, H, L, D)
  o = reshape(transpose(o, {0, 2, 1, 3}), {B, L, H * D});
  return (*o_proj)(o);
}

GatedMLP::GatedMLP(int64_t hidden, int64_t intermediate, bool bias, Activation act,
                   const std::string& fused_name)
    : intermediate_(intermediate),
      act_(act ? std::move(act) : [](const Array& a) { return silu(a); }) {
  if (fused_name.empty()) {
    gate_proj = std::make_shared<nn::Linear>(hidden, intermediate, bias);
    up_proj = std::make_shared<nn::Linear>(hidden, intermediate, bias);
    register_module("gate_proj", gate_proj);
    register_module("up_proj", up_proj);
  } else {
    gate_up_proj = std::make_shared<nn::Linear>(hidden, 2 * intermediate, bias);
    register_module(fused_name, gate_up_proj);
  }
  down_proj = std::make_shared<nn::Linear>(intermediate, hidden, bias);
  register_module("down_proj", down_proj);
}

Array GatedMLP::operator()(const Array& x) {
  if (gate_up_proj) {
    Array gu = (*gate_up_proj)(x);  // (B, L, 2 * intermediate)
    return (*down_proj)(multiply(act_(slice(gu, -1, 0, intermediate_)),
                                 slice(gu, -1, intermediate_, 2 * intermediate_)));
  }
  return (*down_proj)(multiply(act_((*gate_proj)(x)), (*up_proj)(x)));
}

MLP::MLP(const MLPConfig& c) : act_(c.act) {
  LMX_CHECK(bool(act_), ValueError, "MLP", "no activation given");
  up = std::make_shared<nn::Linear>(c.hidden, c.intermediate, c.bias);
  down = std::make_shared<nn::Linear>(c.intermediate, c.hidden, c.bias);
  register_module(c.up_name, up);
  register_module(c.down_name, down);
}

Array MLP::operator()(const Array& x) { return (*down)(act_((*up)(x))); }

TransformerBlock::TransformerBlock(BlockConfig c) : c_(std::move(c)) {
  register_module(c_.attn_name, c_.attn);
  register_module(c_.mlp_name, c_.mlp);
  if (c_.pre_attn) register_module(c_.pre_attn_name, c_.pre_attn);
  if (c_.post_attn) register_module(c_.post_attn_name, c_.post_attn);
  if (c_.pre_mlp) register_module(c_.pre_mlp_name, c_.pre_mlp);
  if (c_.post_mlp) register_module(c_.post_mlp_name, c_.post_mlp);
}

Array TransformerBlock::operator()(const Array& x, nn::Cache* cache) {
  auto apply = [](const std::shared_ptr<nn::Norm>& n, const Array& a) { return n ? (*n)(a) : a; };
  auto scaled = [&](const Array& a) {
    return c_.residual_scale == 1.0f ? a : multiply(a, Array(c_.residual_scale));
  };
  if (c_.parallel) {
    Array a = (*c_.attn)(apply(c_.pre_attn, x), cache);
    Array m = (*c_.mlp)(c_.pre_mlp ? (*c_.pre_mlp)(x) : apply(c_.pre_attn, x));
    return add(add(x, a), m);
  }
  Array h = add(x, scaled(apply(c_.post_attn, (*c_.attn)(apply(c_.pre_attn, x), cache))));
  return add(h, scaled(apply(c_.post_mlp, (*c_.mlp)(apply(c_.pre_mlp, h)))));
}

DecoderBackbone::DecoderBackbone(const CausalLMConfig& c,
                                 std::vector<std::shared_ptr<DecoderLayer>> layers_,
                                 std::shared_ptr<nn::Norm> norm_)
    : layers(std::move(layers_)), norm(std::move(norm_)) {
  embed_tokens = std::make_shared<nn::Embedding>(c.vocab_size, c.hidden_size);
  register_module(c.names.embed, embed_tokens);
  register_modules(c.names.layers, layers);
  register_module(c.names.norm, norm);
}

CausalLM::CausalLM(const io::ModelConfig& config, CausalLMConfig lm,
                   std::vector<std::shared_ptr<DecoderLayer>> layers,
                   std::shared_ptr<nn::Norm> norm)
    : Model(config), lm_(std::move(lm)) {
  model = std::make_shared<DecoderBackbone>(lm_, std::move(layers), std::move(norm));
  register_module(lm_.names.model, model);
  if (!lm_.tie_word_embeddings) {
    lm_head = std::make_shared<nn::Linear>(lm_.hidden_size, lm_.vocab_size, lm_.head_bias);
    register_module(lm_.names.head, lm_head);
  }
}

Array CausalLM::embed(const Array& inputs, int64_t) {
  Array h = (*model->embed_tokens)(inputs);
  return lm_.embed_scale == 1.0f ? h : multiply(h, Array(lm_.embed_scale));
}

Array CausalLM::hidden(const Array& inputs, nn::CacheList* cache) {
  int64_t offset = cache && !cache->empty() ? (*cache)[0]->offset() : 0;
  Array h = embed(inputs, offset);  // (B, L, hidden)
  for (size_t i = 0; i < model->layers.size(); ++i)
    h = (*model->layers[i])(h, cache ? (*cache)[i].get() : nullptr);
  return h;
}

void CausalLM::prefill(const Array& inputs, nn::CacheList& cache) { hidden(inputs, &cache); }

Array CausalLM::operator()(const Array& inputs, nn::CacheList* cache) {
  Array h = (*model->norm)(hidden(inputs, cache));
  Array logits = lm_head ? (*lm_head)(h) : model->embed_tokens->as_linear(h);  // (B, L, vocab)
  if (lm_.logit_scale != 1.0f) logits = multiply(logits, Array(lm_.logit_scale));
  if (lm_.final_softcap > 0.0f) {
    Array cap(lm_.final_softcap);
    logits = multiply(tanh(divide(logits, cap)), cap);
  }
  return logits;
}

nn::CacheList CausalLM::make_cache(const nn::CacheOptions& opts) {
  nn::CacheList caches = Model::make_cache(opts);
  for (size_t i = 0; i < caches.size(); ++i) {
    int64_t window = model->layers[i]->sliding_window();
    if (window > 0 && (opts.max_kv_size == 0 || window < opts.max_kv_size))
      caches[i] = std::make_shared<nn::RotatingKVCache>(window, 0);
  }
  return caches;
}

std::map<std::string, Array> CausalLM::sanitize(std::map<std::string, Array> w) {
  w = Model::sanitize(std::move(w));
  if (lm_.tie_word_embeddings) {
    for (const char* s : {".weight", ".scales", ".biases", ".bias"}) w.erase(lm_.names.head + s);
  }
  return w;
}

}  // namespace lmx::models
