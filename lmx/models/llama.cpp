// SPDX-License-Identifier: MIT
// Llama and its close relatives: mistral (sliding window), qwen2 (q/k/v biases) and
// qwen3 (per-head q/k RMSNorm). As in MLX-LM's llama.py.
#include <cmath>

#include "lmx/core/fast.h"
#include "lmx/core/ops.h"
#include "lmx/models/model.h"
#include "lmx/models/rope.h"
#include "lmx/models/transformer.h"
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

class Block : public nn::Module {
 public:
  Block(const LlamaArgs& a, std::shared_ptr<const RoPE> rope) {
    self_attn = std::make_shared<Attention>(
        AttentionConfig{.hidden_size = a.hidden_size, .num_heads = a.num_heads,
                        .num_kv_heads = a.num_kv_heads, .head_dim = a.head_dim,
                        .qkv_bias = a.attention_bias, .o_bias = a.o_bias, .qk_norm = a.qk_norm,
                        .norm_eps = a.rms_norm_eps, .sliding_window = a.sliding_window},
        std::move(rope));
    mlp = std::make_shared<GatedMLP>(a.hidden_size, a.intermediate_size, a.mlp_bias);
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
  std::shared_ptr<GatedMLP> mlp;
  std::shared_ptr<nn::RMSNorm> input_layernorm, post_attention_layernorm;
};

class Backbone : public nn::Module {
 public:
  explicit Backbone(const LlamaArgs& a) {
    embed_tokens = std::make_shared<nn::Embedding>(a.vocab_size, a.hidden_size);
    auto rope = std::make_shared<const RoPE>(a.rope, a.head_dim, a.max_position_embeddings);
    for (int64_t i = 0; i < a.num_layers; ++i) layers.push_back(std::make_shared<Block>(a, rope));
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
