// SPDX-License-Identifier: MIT
// Qwen3-Next: layers alternate gated delta-rule linear attention (a short convolution, then
// the gated delta rule with a gated RMSNorm) and full attention whose output is gated by
// sigmoid(gate) from a doubled q_proj; feed-forwards are sparse MoE blocks with a gated
// shared expert. RMSNorms scale by (1 + w). As in MLX-LM's qwen3_next.py.
#include <algorithm>
#include <cmath>

#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/models/model.h"
#include "lmx/models/moe.h"
#include "lmx/models/ssm.h"
#include "lmx/models/transformer.h"
#include "lmx/nn/ssm_cache.h"

namespace lmx::models {

namespace {

constexpr Dtype kF32 = Dtype::float32;

// Attention whose output is gated per feature: o_proj(attn(q, k, v) * sigmoid(gate)), the
// gate coming from the second half of each head's q_proj output.
class GatedAttention : public nn::Module {
 public:
  GatedAttention(const AttentionConfig& c, std::shared_ptr<const RoPE> rope)
      : c_(c), rope_(std::move(rope)) {
    int64_t q_dim = c.num_heads * c.head_dim, kv_dim = c.num_kv_heads * c.head_dim;
    q_proj = std::make_shared<nn::Linear>(c.hidden_size, 2 * q_dim, c.qkv_bias);
    k_proj = std::make_shared<nn::Linear>(c.hidden_size, kv_dim, c.qkv_bias);
    v_proj = std::make_shared<nn::Linear>(c.hidden_size, kv_dim, c.qkv_bias);
    o_proj = std::make_shared<nn::Linear>(q_dim, c.hidden_size, c.qkv_bias);
    q_norm = std::make_shared<nn::RMSNorm>(c.head_dim, c.norm_eps, 1.0f);
    k_norm = std::make_shared<nn::RMSNorm>(c.head_dim, c.norm_eps, 1.0f);
    register_module("q_proj", q_proj);
    register_module("k_proj", k_proj);
    register_module("v_proj", v_proj);
    register_module("o_proj", o_proj);
    register_module("q_norm", q_norm);
    register_module("k_norm", k_norm);
  }
  // x (B, L, hidden) -> (B, L, hidden)
  Array operator()(const Array& x, nn::Cache* cache) {
    int64_t B = x.shape(0), L = x.shape(1), H = c_.num_heads, KV = c_.num_kv_heads, D = c_.head_dim;
    Array qg = reshape((*q_proj)(x), {B, L, H, 2 * D});
    Array gate = reshape(slice(qg, -1, D, 2 * D), {B, L, H * D});
    Array q = transpose((*q_norm)(slice(qg, -1, 0, D)), {0, 2, 1, 3});  // (B, H, L, D)
    Array k = transpose((*k_norm)(reshape((*k_proj)(x), {B, L, KV, D})), {0, 2, 1, 3});
    Array v = transpose(reshape((*v_proj)(x), {B, L, KV, D}), {0, 2, 1, 3});
    int64_t offset = cache ? cache->offset() : 0;
    q = (*rope_)(q, offset);
    k = (*rope_)(k, offset);
    nn::AttentionSpec spec{
        .scale = 1.0f / std::sqrt(float(D)), .sliding_window = 0, .softcap = 0.0f, .sinks = {}};
    Array o = cache ? static_cast<nn::KVCacheBase*>(cache)->attend(q, k, v, spec)
                    : nn::attend_uncached(q, k, v, spec);  // (B, H, L, D)
    o = reshape(transpose(o, {0, 2, 1, 3}), {B, L, H * D});
    return (*o_proj)(multiply(o, sigmoid(gate)));
  }
  std::shared_ptr<nn::Linear> q_proj, k_proj, v_proj, o_proj;
  std::shared_ptr<nn::RMSNorm> q_norm, k_norm;

 private:
  AttentionConfig c_;
  std::shared_ptr<const RoPE> rope_;
};

struct DeltaNetConfig {
  int64_t hidden = 0, k_heads = 0, v_heads = 0, k_dim = 0, v_dim = 0, conv_kernel = 4;
  float eps = 1e-6f;
};

// x * rsqrt(sum(x^2) + eps) over the last axis, in float32.
Array l2norm(const Array& x) {
  Array x32 = astype(x, kF32);
  return multiply(x32, rsqrt(add(sum(square(x32), -1, true), Array(1e-6f))));
}

// Gated delta-rule linear attention (Gated DeltaNet).
class GatedDeltaNet : public nn::Module {
 public:
  explicit GatedDeltaNet(const DeltaNetConfig& c) : c_(c) {
    int64_t key_dim = c.k_heads * c.k_dim, value_dim = c.v_heads * c.v_dim;
    conv1d = std::make_shared<DepthwiseConv1d>(2 * key_dim + value_dim, c.conv_kernel, false);
    in_proj_qkvz = std::make_shared<nn::Linear>(c.hidden, 2 * key_dim + 2 * value_dim, false);
    in_proj_ba = std::make_shared<nn::Linear>(c.hidden, 2 * c.v_heads, false);
    norm = std::make_shared<nn::RMSNorm>(c.v_dim, c.eps);
    out_proj = std::make_shared<nn::Linear>(value_dim, c.hidden, false);
    dt_bias = zeros({c.v_heads});
    A_log = zeros({c.v_heads});
    register_module("conv1d", conv1d);
    register_module("in_proj_qkvz", in_proj_qkvz);
    register_module("in_proj_ba", in_proj_ba);
    register_module("norm", norm);
    register_module("out_proj", out_proj);
    register_parameter("dt_bias", dt_bias);
    register_parameter("A_log", A_log);
  }

  // x (B, L, hidden) -> (B, L, hidden); `cache` holds the conv window and the delta state.
  Array operator()(const Array& x, nn::ArraysCache* cache) {
    int64_t B = x.shape(0), L = x.shape(1), Hk = c_.k_heads, Hv = c_.v_heads;
    int64_t Dk = c_.k_dim, Dv = c_.v_dim, R = Hv / Hk, key_dim = Hk * Dk, value_dim = Hv * Dv;
    // Projections are grouped by key head: [q | k | v (R heads) | z (R heads)] per group.
    Array qkvz = reshape((*in_proj_qkvz)(x), {B, L, Hk, 2 * Dk + 2 * R * Dv});
    Array ba = reshape((*in_proj_ba)(x), {B, L, Hk, 2 * R});
    Array q = reshape(slice(qkvz, -1, 0, Dk), {B, L, key_dim});
    Array k = reshape(slice(qkvz, -1, Dk, 2 * Dk), {B, L, key_dim});
    Array v = reshape(slice(qkvz, -1, 2 * Dk, 2 * Dk + R * Dv), {B, L, value_dim});
    Array z = reshape(slice(qkvz, -1, 2 * Dk + R * Dv, 2 * Dk + 2 * R * Dv), {B, L, Hv, Dv});
    Array b = reshape(slice(ba, -1, 0, R), {B, L, Hv});
    Array a = reshape(slice(ba, -1, R, 2 * R), {B, L, Hv});

    Array mixed = silu((*conv1d)(concatenate({q, k, v}, -1), cache ? &(*cache)[0] : nullptr));
    q = reshape(slice(mixed, -1, 0, key_dim), {B, L, Hk, Dk});
    k = reshape(slice(mixed, -1, key_dim, 2 * key_dim), {B, L, Hk, Dk});
    v = reshape(slice(mixed, -1, 2 * key_dim, 2 * key_dim + value_dim), {B, L, Hv, Dv});
    Array g =
        multiply(negative(exp(astype(A_log, kF32))),
                 softplus(add(astype(a, kF32), astype(dt_bias, kF32))));  // (B, L, Hv): log decay
    Array y = gated_delta_rule({.q = multiply(l2norm(q), Array(1.0f / std::sqrt(float(Dk)))),
                                .k = l2norm(k),
                                .v = v,
                                .g = g,
                                .beta = sigmoid(astype(b, kF32))},
                               cache ? &(*cache)[1] : nullptr);  // (B, L, Hv, Dv)
    if (cache) cache->advance(L);
    // Gated RMSNorm: norm(y) * silu(z), in float32.
    Array out = multiply((*norm)(y), silu(astype(z, kF32)));
    return (*out_proj)(astype(reshape(out, {B, L, value_dim}), x.dtype()));
  }

  std::shared_ptr<DepthwiseConv1d> conv1d;
  std::shared_ptr<nn::Linear> in_proj_qkvz, in_proj_ba, out_proj;
  std::shared_ptr<nn::RMSNorm> norm;
  Array dt_bias, A_log;

 private:
  DeltaNetConfig c_;
};

// x + mixer(input_layernorm(x)), then + mlp(post_attention_layernorm(h)); the mixer is
// linear_attn or self_attn.
class Qwen3NextLayer : public DecoderLayer {
 public:
  Qwen3NextLayer(std::shared_ptr<GatedDeltaNet> linear, std::shared_ptr<GatedAttention> attn,
                 std::shared_ptr<FeedForward> mlp_, int64_t hidden, float eps)
      : linear_attn(std::move(linear)), self_attn(std::move(attn)), mlp(std::move(mlp_)) {
    if (linear_attn) register_module("linear_attn", linear_attn);
    if (self_attn) register_module("self_attn", self_attn);
    register_module("mlp", mlp);
    input_layernorm = std::make_shared<nn::RMSNorm>(hidden, eps, 1.0f);
    post_attention_layernorm = std::make_shared<nn::RMSNorm>(hidden, eps, 1.0f);
    register_module("input_layernorm", input_layernorm);
    register_module("post_attention_layernorm", post_attention_layernorm);
  }
  Array operator()(const Array& x, nn::Cache* cache) override {
    Array n = (*input_layernorm)(x);
    Array r = linear_attn ? (*linear_attn)(n, static_cast<nn::ArraysCache*>(cache))
                          : (*self_attn)(n, cache);
    Array h = add(x, r);
    return add(h, (*mlp)((*post_attention_layernorm)(h)));
  }
  bool is_linear() const { return linear_attn != nullptr; }

  std::shared_ptr<GatedDeltaNet> linear_attn;
  std::shared_ptr<GatedAttention> self_attn;
  std::shared_ptr<FeedForward> mlp;
  std::shared_ptr<nn::RMSNorm> input_layernorm, post_attention_layernorm;
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class Qwen3Next : public CausalLM {
 public:
  using CausalLM::CausalLM;
  nn::CacheList make_cache(const nn::CacheOptions& opts) override {
    nn::CacheList c = Model::make_cache(opts);
    for (size_t i = 0; i < c.size(); ++i)
      if (static_cast<Qwen3NextLayer&>(*model->layers[i]).is_linear())
        c[i] = std::make_shared<nn::ArraysCache>(2);
    return c;
  }
  // Hugging Face checkpoints: per-expert tensors, (C, 1, K) conv weights, mtp.* heads.
  // MLX-LM checkpoints store the (1 + w) norms with the 1 added; it is taken back out.
  std::map<std::string, Array> sanitize(std::map<std::string, Array> w) override {
    bool hf = false, mlx = false;
    for (auto it = w.begin(); it != w.end();) {
      hf = hf || it->first.find(".mlp.experts.") != std::string::npos;
      mlx = mlx || it->first.find(".mlp.switch_mlp.") != std::string::npos;
      it = it->first.rfind("mtp.", 0) == 0 ? w.erase(it) : std::next(it);
    }
    if (mlx && !hf) {
      for (auto& [name, a] : w) {
        bool offset_norm = ends_with(name, "input_layernorm.weight") ||
                           ends_with(name, "post_attention_layernorm.weight") ||
                           name == "model.norm.weight" || ends_with(name, "q_norm.weight") ||
                           ends_with(name, "k_norm.weight");
        if (offset_norm && a.ndim() == 1)
          a = astype(subtract(astype(a, kF32), Array(1.0f)), a.dtype());
      }
    }
    sanitize_conv1d(w, "conv1d.weight");
    return CausalLM::sanitize(stack_experts(std::move(w)));
  }
};

std::shared_ptr<Model> make_qwen3_next(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("hidden_size"), n = c.get<int64_t>("num_hidden_layers");
  float eps = c.get<float>("rms_norm_eps", 1e-6f);
  AttentionConfig attn = attention_config(c);
  attn.qkv_bias = c.get<bool>("attention_bias", false);
  attn.norm_eps = eps;
  auto rope = std::make_shared<const RoPE>(c.rope(), attn.head_dim,
                                           c.get<int64_t>("max_position_embeddings", 4096));
  DeltaNetConfig dn{.hidden = hidden,
                    .k_heads = c.get<int64_t>("linear_num_key_heads"),
                    .v_heads = c.get<int64_t>("linear_num_value_heads"),
                    .k_dim = c.get<int64_t>("linear_key_head_dim"),
                    .v_dim = c.get<int64_t>("linear_value_head_dim"),
                    .conv_kernel = c.get<int64_t>("linear_conv_kernel_dim", 4),
                    .eps = eps};
  LMX_CHECK(dn.v_heads % dn.k_heads == 0, ValueError, "qwen3_next",
            "linear_num_value_heads ({}) must be a multiple of linear_num_key_heads ({})",
            dn.v_heads, dn.k_heads);
  int64_t experts = c.get<int64_t>("num_experts", 0);
  MoEConfig moe{.hidden = hidden,
                .intermediate = c.get<int64_t>("moe_intermediate_size", 0),
                .num_experts = experts,
                .router = {.top_k = c.get<int64_t>("num_experts_per_tok", 1),
                           .norm_topk_prob = c.get<bool>("norm_topk_prob", false)},
                .shared_intermediate = c.get<int64_t>("shared_expert_intermediate_size", 0),
                .shared_gate = true,
                .shared_name = "shared_expert"};
  auto dense_layers = c.get<std::vector<int64_t>>("mlp_only_layers", {});
  int64_t sparse_step = c.get<int64_t>("decoder_sparse_step", 1);
  int64_t interval = c.get<int64_t>("full_attention_interval", 4);
  auto types = c.layer_types();
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < n; ++i) {
    bool linear =
        size_t(i) < types.size() ? types[size_t(i)] == "linear_attention" : (i + 1) % interval != 0;
    bool sparse = experts > 0 && (i + 1) % sparse_step == 0 &&
                  std::find(dense_layers.begin(), dense_layers.end(), i) == dense_layers.end();
    std::shared_ptr<FeedForward> mlp;
    if (sparse)
      mlp = std::make_shared<SparseMoeBlock>(moe);
    else
      mlp = std::make_shared<GatedMLP>(hidden, c.get<int64_t>("intermediate_size"), false);
    layers.push_back(std::make_shared<Qwen3NextLayer>(
        linear ? std::make_shared<GatedDeltaNet>(dn) : nullptr,
        linear ? nullptr : std::make_shared<GatedAttention>(attn, rope), mlp, hidden, eps));
  }
  CausalLMConfig lm{.vocab_size = c.get<int64_t>("vocab_size"),
                    .hidden_size = hidden,
                    .tie_word_embeddings = c.tie_word_embeddings(false)};
  return std::make_shared<Qwen3Next>(c, lm, std::move(layers),
                                     std::make_shared<nn::RMSNorm>(hidden, eps, 1.0f));
}

}  // namespace

void register_qwen3_next() { static ModelRegistrar r({"qwen3_next"}, make_qwen3_next); }

}  // namespace lmx::models
