// SPDX-License-Identifier: MIT
// Llama and its close relatives: mistral (sliding window), qwen2 (q/k/v biases) and
// qwen3 (per-head q/k RMSNorm). As in MLX-LM's llama.py.
#include <cmath>

#include "lmx/core/fast.h"
#include "lmx/core/ops.h"
#include "lmx/models/model.h"
#include "lmx/models/rope.h"
#include "lmx/nn/layers.h"

namespace lmx::models {

namespace {

struct LlamaArgs {
  int64_t hidden_size, num_layers, intermediate_size, num_heads, num_kv_heads, head_dim;
  int64_t vocab_size, max_position_embeddings;
  float rms_norm_eps;
  bool attention_bias, o_bias, mlp_bias, qk_norm, tie_word_embeddings;
  int64_t sliding_window;  // 0: full attention
  io::RopeConfig rope;

  explicit LlamaArgs(const io::ModelConfig& c) {
    std::string type = c.model_type();
    hidden_size = c.get<int64_t>("hidden_size");
    num_layers = c.get<int64_t>("num_hidden_layers");
    intermediate_size = c.get<int64_t>("intermediate_size");
    num_heads = c.get<int64_t>("num_attention_heads");
    num_kv_heads = c.get<int64_t>("num_key_value_heads", num_heads);
    head_dim = c.head_dim();
    vocab_size = c.get<int64_t>("vocab_size");
    max_position_embeddings = c.get<int64_t>("max_position_embeddings", 4096);
    rms_norm_eps = c.get<float>("rms_norm_eps", 1e-6f);
    bool qwen2 = type == "qwen2";
    attention_bias = c.get<bool>("attention_bias", qwen2);
    o_bias = qwen2 ? false : attention_bias;
    mlp_bias = c.get<bool>("mlp_bias", false);
    qk_norm = type == "qwen3";
    tie_word_embeddings = c.tie_word_embeddings(type != "llama" && type != "mistral");
    sliding_window = 0;
    bool use_sw = c.get<bool>("use_sliding_window", type == "mistral");
    if (use_sw) sliding_window = c.get<int64_t>("sliding_window", 0);
    rope = c.rope();
  }
};

class Attention : public nn::Module {
 public:
  explicit Attention(const LlamaArgs& a)
      : n_heads_(a.num_heads), n_kv_(a.num_kv_heads), head_dim_(a.head_dim),
        scale_(1.0f / std::sqrt(float(a.head_dim))), window_(a.sliding_window),
        rope_(a.rope, a.head_dim, a.max_position_embeddings) {
    q_proj = std::make_shared<nn::Linear>(a.hidden_size, n_heads_ * head_dim_, a.attention_bias);
    k_proj = std::make_shared<nn::Linear>(a.hidden_size, n_kv_ * head_dim_, a.attention_bias);
    v_proj = std::make_shared<nn::Linear>(a.hidden_size, n_kv_ * head_dim_, a.attention_bias);
    o_proj = std::make_shared<nn::Linear>(n_heads_ * head_dim_, a.hidden_size, a.o_bias);
    register_module("q_proj", q_proj);
    register_module("k_proj", k_proj);
    register_module("v_proj", v_proj);
    register_module("o_proj", o_proj);
    if (a.qk_norm) {
      q_norm = std::make_shared<nn::RMSNorm>(head_dim_, a.rms_norm_eps);
      k_norm = std::make_shared<nn::RMSNorm>(head_dim_, a.rms_norm_eps);
      register_module("q_norm", q_norm);
      register_module("k_norm", k_norm);
    }
  }

  // x (B, L, hidden) -> (B, L, hidden)
  Array operator()(const Array& x, nn::Cache* cache) {
    int64_t B = x.shape(0), L = x.shape(1);
    Array q = reshape((*q_proj)(x), {B, L, n_heads_, head_dim_});  // (B, L, H, D)
    Array k = reshape((*k_proj)(x), {B, L, n_kv_, head_dim_});
    Array v = reshape((*v_proj)(x), {B, L, n_kv_, head_dim_});
    if (q_norm) {
      q = (*q_norm)(q);
      k = (*k_norm)(k);
    }
    q = transpose(q, {0, 2, 1, 3});  // (B, H, L, D)
    k = transpose(k, {0, 2, 1, 3});
    v = transpose(v, {0, 2, 1, 3});
    int64_t offset = cache ? cache->offset() : 0;
    q = rope_(q, offset);
    k = rope_(k, offset);
    if (cache) std::tie(k, v) = static_cast<nn::KVCacheBase*>(cache)->update_and_fetch(k, v);
    Array o = fast::scaled_dot_product_attention(
        q, k, v, scale_, L > 1 ? fast::AttentionMask("causal") : fast::AttentionMask(),
        {.sliding_window = int(window_)});  // (B, H, L, D)
    o = reshape(transpose(o, {0, 2, 1, 3}), {B, L, n_heads_ * head_dim_});
    return (*o_proj)(o);
  }

  std::shared_ptr<nn::Linear> q_proj, k_proj, v_proj, o_proj;
  std::shared_ptr<nn::RMSNorm> q_norm, k_norm;

 private:
  int64_t n_heads_, n_kv_, head_dim_;
  float scale_;
  int64_t window_;
  RoPE rope_;
};

class MLP : public nn::Module {
 public:
  explicit MLP(const LlamaArgs& a) {
    gate_proj = std::make_shared<nn::Linear>(a.hidden_size, a.intermediate_size, a.mlp_bias);
    up_proj = std::make_shared<nn::Linear>(a.hidden_size, a.intermediate_size, a.mlp_bias);
    down_proj = std::make_shared<nn::Linear>(a.intermediate_size, a.hidden_size, a.mlp_bias);
    register_module("gate_proj", gate_proj);
    register_module("up_proj", up_proj);
    register_module("down_proj", down_proj);
  }
  Array operator()(const Array& x) {
    return (*down_proj)(multiply(silu((*gate_proj)(x)), (*up_proj)(x)));
  }
  std::shared_ptr<nn::Linear> gate_proj, up_proj, down_proj;
};

class Block : public nn::Module {
 public:
  explicit Block(const LlamaArgs& a) {
    self_attn = std::make_shared<Attention>(a);
    mlp = std::make_shared<MLP>(a);
    input_layernorm = std::make_shared<nn::RMSNorm>(a.hidden_size, a.rms_norm_eps);
    post_attention_layernorm = std::make_shared<nn::RMSNorm>(a.hidden_size, a.rms_norm_eps);
    register_module("self_attn", self_attn);
    register_module("mlp", mlp);
    register_module("input_layernorm", input_layernorm);
    register_module("post_attention_layernorm", post_attention_layernorm);
  }
  Array operator()(const Array& x, nn::Cache* cache) {
    Array h = add(x, (*self_attn)((*input_layernorm)(x), cache));
    return add(h, (*mlp)((*post_attention_layernorm)(h)));
  }
  std::shared_ptr<Attention> self_attn;
  std::shared_ptr<MLP> mlp;
  std::shared_ptr<nn::RMSNorm> input_layernorm, post_attention_layernorm;
};

class Backbone : public nn::Module {
 public:
  explicit Backbone(const LlamaArgs& a) {
    embed_tokens = std::make_shared<nn::Embedding>(a.vocab_size, a.hidden_size);
    for (int64_t i = 0; i < a.num_layers; ++i) layers.push_back(std::make_shared<Block>(a));
    norm = std::make_shared<nn::RMSNorm>(a.hidden_size, a.rms_norm_eps);
    register_module("embed_tokens", embed_tokens);
    register_modules("layers", layers);
    register_module("norm", norm);
  }
  std::shared_ptr<nn::Embedding> embed_tokens;
  std::vector<std::shared_ptr<Block>> layers;
  std::shared_ptr<nn::RMSNorm> norm;
};

class Llama : public Model {
 public:
  explicit Llama(const io::ModelConfig& c) : Model(c), args_(c) {
    model = std::make_shared<Backbone>(args_);
    register_module("model", model);
    if (!args_.tie_word_embeddings) {
      lm_head = std::make_shared<nn::Linear>(args_.hidden_size, args_.vocab_size, false);
      register_module("lm_head", lm_head);
    }
  }

  Array operator()(const Array& inputs, nn::CacheList* cache) override {
    Array h = (*model->embed_tokens)(inputs);  // (B, L, hidden)
    for (size_t i = 0; i < model->layers.size(); ++i)
      h = (*model->layers[i])(h, cache ? (*cache)[i].get() : nullptr);
    h = (*model->norm)(h);
    return lm_head ? (*lm_head)(h) : model->embed_tokens->as_linear(h);
  }

  std::map<std::string, Array> sanitize(std::map<std::string, Array> w) override {
    w = Model::sanitize(std::move(w));
    if (args_.tie_word_embeddings) {
      w.erase("lm_head.weight");
      w.erase("lm_head.scales");
      w.erase("lm_head.biases");
    }
    return w;
  }

  int64_t vocab_size() const override { return args_.vocab_size; }
  int num_layers() const override { return int(args_.num_layers); }

  std::shared_ptr<Backbone> model;
  std::shared_ptr<nn::Linear> lm_head;

 private:
  LlamaArgs args_;
};

}  // namespace

void register_llama() {
  static ModelRegistrar r({"llama", "mistral", "qwen2", "qwen3"},
                          [](const io::ModelConfig& c) { return std::make_shared<Llama>(c); });
}

}  // namespace lmx::models
