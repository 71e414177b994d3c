// SPDX-License-Identifier: MIT
// DeepSeek-V2 and V3: multi-head latent attention (MLA) and DeepSeekMoE (shared experts,
// group-limited routing; V3 scores with a sigmoid and picks experts with a score-correction
// bias). As in MLX-LM's deepseek_v2.py / deepseek_v3.py.
//
// MLA caches the compressed latent: per token kv_latent (kv_lora_rank) and the rotated key
// part k_pe (qk_rope_head_dim), shared by all heads, in a standard KVCache (keys = latent,
// values = k_pe, MLX-LM's layout). Attention runs in the absorbed form: kv_b_proj is split
// into embed_q (H, rank, nope), which maps the queries into the latent space, and
// unembed_out (H, v, rank), which maps the attended latent to the value heads, so keys and
// values are never expanded per head.
#include <cmath>
#include <iterator>
#include <tuple>

#include "lmx/core/error.h"
#include "lmx/core/fast.h"
#include "lmx/core/ops.h"
#include "lmx/core/quantized.h"
#include "lmx/models/model.h"
#include "lmx/models/moe.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

struct MLAConfig {
  int64_t hidden = 0, heads = 0;
  int64_t q_lora_rank = 0;  // 0: a plain q_proj
  int64_t kv_lora_rank = 0, nope = 0, rope = 0, v = 0;
  bool bias = false;
  float scale = 1.0f;
};

class MLAttention : public nn::Module {
 public:
  MLAttention(const MLAConfig& c, std::shared_ptr<const RoPE> rope)
      : c_(c), rope_(std::move(rope)) {
    int64_t qhd = c.nope + c.rope;
    if (c.q_lora_rank > 0) {
      q_a_proj = std::make_shared<nn::Linear>(c.hidden, c.q_lora_rank, c.bias);
      q_a_layernorm = std::make_shared<nn::RMSNorm>(c.q_lora_rank, 1e-6f);
      q_b_proj = std::make_shared<nn::Linear>(c.q_lora_rank, c.heads * qhd, false);
      register_module("q_a_proj", q_a_proj);
      register_module("q_a_layernorm", q_a_layernorm);
      register_module("q_b_proj", q_b_proj);
    } else {
      q_proj = std::make_shared<nn::Linear>(c.hidden, c.heads * qhd, false);
      register_module("q_proj", q_proj);
    }
    kv_a_proj_with_mqa = std::make_shared<nn::Linear>(c.hidden, c.kv_lora_rank + c.rope, c.bias);
    kv_a_layernorm = std::make_shared<nn::RMSNorm>(c.kv_lora_rank, 1e-6f);
    o_proj = std::make_shared<nn::Linear>(c.heads * c.v, c.hidden, c.bias);
    register_module("kv_a_proj_with_mqa", kv_a_proj_with_mqa);
    register_module("kv_a_layernorm", kv_a_layernorm);
    register_module("o_proj", o_proj);
    embed_q =
        Array::placeholder({c.heads, c.kv_lora_rank, c.nope}, Dtype::float32, default_device());
    unembed_out =
        Array::placeholder({c.heads, c.v, c.kv_lora_rank}, Dtype::float32, default_device());
    register_parameter("embed_q.weight", embed_q);
    register_parameter("unembed_out.weight", unembed_out);
  }

  // x (B, L, hidden) -> (B, L, hidden)
  Array operator()(const Array& x, nn::Cache* cache) {
    int64_t B = x.shape(0), L = x.shape(1), H = c_.heads, R = c_.kv_lora_rank;
    Array q = q_proj ? (*q_proj)(x) : (*q_b_proj)((*q_a_layernorm)((*q_a_proj)(x)));
    q = transpose(reshape(q, {B, L, H, c_.nope + c_.rope}), {0, 2, 1, 3});  // (B, H, L, qhd)
    Array q_nope = slice(q, -1, 0, c_.nope), q_pe = slice(q, -1, c_.nope, c_.nope + c_.rope);
    Array ckv = (*kv_a_proj_with_mqa)(x);                                    // (B, L, R + rope)
    Array latent = expand_dims((*kv_a_layernorm)(slice(ckv, -1, 0, R)), 1);  // (B, 1, L, R)
    Array k_pe = expand_dims(slice(ckv, -1, R, R + c_.rope), 1);             // (B, 1, L, rope)
    int64_t offset = cache ? cache->offset() : 0;
    q_pe = (*rope_)(q_pe, offset);
    k_pe = (*rope_)(k_pe, offset);
    if (cache)
      std::tie(latent, k_pe) = static_cast<nn::KVCacheBase*>(cache)->update_and_fetch(latent, k_pe);
    // Scores q_nope . k_nope = (q_nope W_uk) . latent: queries move into the latent space.
    Array q_lat = matmul(q_nope, swapaxes(embed_q, -1, -2));  // (B, H, L, R)
    Array o = fast::scaled_dot_product_attention(
        concatenate({q_lat, q_pe}, -1), concatenate({latent, k_pe}, -1), latent, c_.scale,
        L > 1 ? fast::AttentionMask("causal") : fast::AttentionMask());  // (B, H, L, R)
    o = matmul(o, swapaxes(unembed_out, -1, -2));                        // (B, H, L, v)
    return (*o_proj)(reshape(transpose(o, {0, 2, 1, 3}), {B, L, H * c_.v}));
  }

  std::shared_ptr<nn::Linear> q_proj, q_a_proj, q_b_proj, kv_a_proj_with_mqa, o_proj;
  std::shared_ptr<nn::RMSNorm> q_a_layernorm, kv_a_layernorm;
  Array embed_q, unembed_out;

 private:
  MLAConfig c_;
  std::shared_ptr<const RoPE> rope_;
};

class DeepseekBlock : public DecoderLayer {
 public:
  DeepseekBlock(std::shared_ptr<MLAttention> attn, std::shared_ptr<FeedForward> mlp, int64_t hidden,
                float eps)
      : self_attn(std::move(attn)), mlp(std::move(mlp)) {
    input_layernorm = std::make_shared<nn::RMSNorm>(hidden, eps);
    post_attention_layernorm = std::make_shared<nn::RMSNorm>(hidden, eps);
    register_module("self_attn", self_attn);
    register_module("mlp", this->mlp);
    register_module("input_layernorm", input_layernorm);
    register_module("post_attention_layernorm", post_attention_layernorm);
  }
  Array operator()(const Array& x, nn::Cache* cache) override {
    Array h = add(x, (*self_attn)((*input_layernorm)(x), cache));
    return add(h, (*mlp)((*post_attention_layernorm)(h)));
  }

  std::shared_ptr<MLAttention> self_attn;
  std::shared_ptr<FeedForward> mlp;
  std::shared_ptr<nn::RMSNorm> input_layernorm, post_attention_layernorm;
};

class Deepseek : public CausalLM {
 public:
  Deepseek(const io::ModelConfig& config, CausalLMConfig lm,
           std::vector<std::shared_ptr<DecoderLayer>> layers, std::shared_ptr<nn::Norm> norm,
           MLAConfig mla)
      : CausalLM(config, std::move(lm), std::move(layers), std::move(norm)), mla_(mla) {}

  std::map<std::string, Array> sanitize(std::map<std::string, Array> w) override {
    w = stack_experts(std::move(w));
    int64_t n = num_layers();
    for (auto it = w.begin(); it != w.end();) {  // multi-token-prediction layers go
      const std::string& k = it->first;
      bool extra = k.rfind("model.layers.", 0) == 0 && std::stoll(k.substr(13)) >= n;
      it = extra ? w.erase(it) : std::next(it);
    }
    int64_t H = mla_.heads, R = mla_.kv_lora_rank;
    for (int64_t l = 0; l < n; ++l) {
      std::string p = "model.layers." + std::to_string(l) + ".self_attn.";
      for (const char* name : {"kv_b_proj", "embed_q", "unembed_out"}) dequantize_in(w, p + name);
      auto it = w.find(p + "kv_b_proj.weight");
      if (it == w.end()) continue;
      Array kv_b = reshape(it->second, {H, mla_.nope + mla_.v, R});  // (H, nope + v, R)
      w.erase(it);
      w[p + "embed_q.weight"] = contiguous(swapaxes(slice(kv_b, 1, 0, mla_.nope), -1, -2));
      w[p + "unembed_out.weight"] = contiguous(slice(kv_b, 1, mla_.nope, mla_.nope + mla_.v));
    }
    return CausalLM::sanitize(std::move(w));
  }

 private:
  // MLA's absorbed projections run in float: a quantized `path` is dequantized here.
  void dequantize_in(std::map<std::string, Array>& w, const std::string& path) {
    auto s = w.find(path + ".scales");
    if (s == w.end()) return;
    auto q = config_.quantization();
    auto spec = q ? q->for_module(path) : std::nullopt;
    LMX_CHECK(spec.has_value(), ValueError, "deepseek", "{} has scales but no quantization config",
              path);
    Array wq = w.at(path + ".weight"), sc = s->second, bi = w.at(path + ".biases");
    w[path + ".weight"] = dequantize(wq, sc, bi, spec->group_size, spec->bits, spec->mode);
    w.erase(path + ".scales");
    w.erase(path + ".biases");
  }
  MLAConfig mla_;
};

std::shared_ptr<Model> make_deepseek(const io::ModelConfig& c) {
  bool v3 = c.model_type() == "deepseek_v3";
  int64_t hidden = c.get<int64_t>("hidden_size");
  float eps = c.get<float>("rms_norm_eps", 1e-6f);
  io::RopeConfig rc = c.rope();
  MLAConfig mla{.hidden = hidden,
                .heads = c.get<int64_t>("num_attention_heads"),
                .q_lora_rank = c.get<int64_t>("q_lora_rank", 0),
                .kv_lora_rank = c.get<int64_t>("kv_lora_rank"),
                .nope = c.get<int64_t>("qk_nope_head_dim"),
                .rope = c.get<int64_t>("qk_rope_head_dim"),
                .v = c.get<int64_t>("v_head_dim"),
                .bias = c.get<bool>("attention_bias", false)};
  mla.scale = 1.0f / std::sqrt(float(mla.nope + mla.rope));
  if (rc.type == "yarn" && rc.mscale_all_dim.value_or(0.0) != 0.0 && rc.factor > 1.0) {
    float s = float(0.1 * *rc.mscale_all_dim * std::log(rc.factor) + 1.0);
    mla.scale *= s * s;
  }
  // Rotary pairs are interleaved (x[2i], x[2i+1]) unless a V3 config says otherwise.
  bool interleave = v3 ? c.get<bool>("rope_interleave", true) : true;
  auto rope = std::make_shared<const RoPE>(
      rc, mla.rope, c.get<int64_t>("max_position_embeddings", 4096), interleave);
  std::string method = c.get<std::string>("topk_method", v3 ? "noaux_tc" : "greedy");
  std::string scoring = c.get<std::string>("scoring_func", v3 ? "sigmoid" : "softmax");
  LMX_CHECK(scoring == "softmax" || scoring == "sigmoid", ValueError, "deepseek",
            "scoring_func '{}' is not supported", scoring);
  int64_t experts = c.get<int64_t>("n_routed_experts", 0);
  bool grouped = method == "group_limited_greedy" || method == "noaux_tc";
  MoEConfig moe{.hidden = hidden,
                .intermediate = c.get<int64_t>("moe_intermediate_size", 0),
                .num_experts = experts,
                .router = {.top_k = c.get<int64_t>("num_experts_per_tok", 1),
                           .scores = scoring == "sigmoid" ? RouterConfig::Scores::sigmoid
                                                          : RouterConfig::Scores::softmax,
                           .norm_topk_prob = c.get<bool>("norm_topk_prob", false),
                           .routed_scaling_factor = c.get<float>("routed_scaling_factor", 1.0f),
                           .n_group = grouped ? c.get<int64_t>("n_group", 1) : 1,
                           .topk_group = grouped ? c.get<int64_t>("topk_group", 1) : 1,
                           .group_by_top2_sum = method == "noaux_tc"},
                .correction_bias = method == "noaux_tc",
                .shared_intermediate = c.get<int64_t>("n_shared_experts", 0) *
                                       c.get<int64_t>("moe_intermediate_size", 0)};
  int64_t first_dense = c.get<int64_t>("first_k_dense_replace", 0);
  int64_t freq = c.get<int64_t>("moe_layer_freq", 1);
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < c.get<int64_t>("num_hidden_layers"); ++i) {
    std::shared_ptr<FeedForward> mlp;
    if (experts > 0 && i >= first_dense && i % freq == 0)
      mlp = std::make_shared<SparseMoeBlock>(moe);
    else
      mlp = std::make_shared<GatedMLP>(hidden, c.get<int64_t>("intermediate_size"),
                                       c.get<bool>("mlp_bias", false));
    layers.push_back(std::make_shared<DeepseekBlock>(std::make_shared<MLAttention>(mla, rope),
                                                     std::move(mlp), hidden, eps));
  }
  CausalLMConfig lm{.vocab_size = c.get<int64_t>("vocab_size"),
                    .hidden_size = hidden,
                    .tie_word_embeddings = c.tie_word_embeddings(false)};
  return std::make_shared<Deepseek>(c, lm, std::move(layers),
                                    std::make_shared<nn::RMSNorm>(hidden, eps), mla);
}

}  // namespace

void register_deepseek() { static ModelRegistrar r({"deepseek_v2", "deepseek_v3"}, make_deepseek); }

}  // namespace lmx::models
