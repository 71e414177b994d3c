// SPDX-License-Identifier: MIT
// LFM2 (Liquid AI): a hybrid of gated short-convolution layers and attention layers (with
// per-head q/k RMSNorm), each followed by a SwiGLU feed-forward. As in MLX-LM's lfm2.py.
#include <algorithm>

#include "lmx/core/ops.h"
#include "lmx/models/model.h"
#include "lmx/models/ssm.h"
#include "lmx/models/transformer.h"
#include "lmx/nn/ssm_cache.h"

namespace lmx::models {

namespace {

// out_proj(C * conv(B * x)) with B, C, x from one input projection.
class ShortConv : public nn::Module {
 public:
  ShortConv(int64_t hidden, int64_t kernel, bool bias) : hidden_(hidden) {
    conv = std::make_shared<DepthwiseConv1d>(hidden, kernel, bias);
    in_proj = std::make_shared<nn::Linear>(hidden, 3 * hidden, bias);
    out_proj = std::make_shared<nn::Linear>(hidden, hidden, bias);
    register_module("conv", conv);
    register_module("in_proj", in_proj);
    register_module("out_proj", out_proj);
  }
  // x (B, L, hidden) -> (B, L, hidden); `cache` holds the conv window.
  Array operator()(const Array& x, nn::ArraysCache* cache) {
    int64_t D = hidden_;
    Array bcx = (*in_proj)(x);  // (B, L, 3D): [B | C | x]
    Array bx = multiply(slice(bcx, -1, 0, D), slice(bcx, -1, 2 * D, 3 * D));
    Array y = (*conv)(bx, cache ? &(*cache)[0] : nullptr);
    if (cache) cache->advance(x.shape(1));
    return (*out_proj)(multiply(slice(bcx, -1, D, 2 * D), y));
  }
  std::shared_ptr<DepthwiseConv1d> conv;
  std::shared_ptr<nn::Linear> in_proj, out_proj;

 private:
  int64_t hidden_;
};

// w2(silu(w1(x)) * w3(x)).
class FeedForwardSwiGLU : public FeedForward {
 public:
  FeedForwardSwiGLU(int64_t hidden, int64_t ff) {
    w1 = std::make_shared<nn::Linear>(hidden, ff, false);
    w2 = std::make_shared<nn::Linear>(ff, hidden, false);
    w3 = std::make_shared<nn::Linear>(hidden, ff, false);
    register_module("w1", w1);
    register_module("w2", w2);
    register_module("w3", w3);
  }
  Array operator()(const Array& x) override { return (*w2)(multiply(silu((*w1)(x)), (*w3)(x))); }
  std::shared_ptr<nn::Linear> w1, w2, w3;
};

// h = x + op(operator_norm(x)); out = h + feed_forward(ffn_norm(h)), op being attention or
// the short convolution.
class Lfm2Layer : public DecoderLayer {
 public:
  Lfm2Layer(std::shared_ptr<Attention> attn, std::shared_ptr<ShortConv> conv_,
            std::shared_ptr<FeedForward> ff, int64_t hidden, float eps)
      : self_attn(std::move(attn)), conv(std::move(conv_)), feed_forward(std::move(ff)) {
    if (self_attn) register_module("self_attn", self_attn);
    if (conv) register_module("conv", conv);
    register_module("feed_forward", feed_forward);
    operator_norm = std::make_shared<nn::RMSNorm>(hidden, eps);
    ffn_norm = std::make_shared<nn::RMSNorm>(hidden, eps);
    register_module("operator_norm", operator_norm);
    register_module("ffn_norm", ffn_norm);
  }
  Array operator()(const Array& x, nn::Cache* cache) override {
    Array n = (*operator_norm)(x);
    Array r = self_attn ? (*self_attn)(n, cache) : (*conv)(n, static_cast<nn::ArraysCache*>(cache));
    Array h = add(x, r);
    return add(h, (*feed_forward)((*ffn_norm)(h)));
  }
  bool is_attention() const { return self_attn != nullptr; }

  std::shared_ptr<Attention> self_attn;
  std::shared_ptr<ShortConv> conv;
  std::shared_ptr<FeedForward> feed_forward;
  std::shared_ptr<nn::RMSNorm> operator_norm, ffn_norm;
};

class Lfm2 : public CausalLM {
 public:
  using CausalLM::CausalLM;
  // Attention layers get the usual KV caches, convolution layers their window.
  nn::CacheList make_cache(const nn::CacheOptions& opts) override {
    nn::CacheList c = Model::make_cache(opts);
    for (size_t i = 0; i < c.size(); ++i)
      if (!static_cast<Lfm2Layer&>(*model->layers[i]).is_attention())
        c[i] = std::make_shared<nn::ArraysCache>(1);
    return c;
  }
  std::map<std::string, Array> sanitize(std::map<std::string, Array> w) override {
    sanitize_conv1d(w, "conv.conv.weight");
    return CausalLM::sanitize(std::move(w));
  }
};

// The feed-forward width: LFM2 shrinks the configured size to 2/3, scales it and rounds it
// up to a multiple (block_auto_adjust_ff_dim).
int64_t ff_dim(const io::ModelConfig& c) {
  int64_t ff = c.get<int64_t>("block_ff_dim", c.get<int64_t>("intermediate_size"));
  if (!c.get<bool>("block_auto_adjust_ff_dim", false)) return ff;
  ff = int64_t(2 * ff / 3);
  if (auto m = c.get_optional<double>("block_ffn_dim_multiplier")) ff = int64_t(*m * double(ff));
  int64_t multiple = c.get<int64_t>("block_multiple_of", 256);
  return multiple * ((ff + multiple - 1) / multiple);
}

std::shared_ptr<Model> make_lfm2(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("hidden_size"), n = c.get<int64_t>("num_hidden_layers");
  float eps = c.get<float>("norm_eps", 1e-5f);
  std::vector<bool> attention(size_t(n), false);
  if (auto idxs = c.get_optional<std::vector<int64_t>>("full_attn_idxs")) {
    for (int64_t i : *idxs)
      if (i >= 0 && i < n) attention[size_t(i)] = true;
  } else {
    auto types = c.layer_types();
    for (size_t i = 0; i < types.size() && i < attention.size(); ++i)
      attention[i] = types[i] == "full_attention";
  }
  AttentionConfig attn = attention_config(c);
  attn.qk_norm = QKNorm::rms;
  attn.norm_eps = eps;
  attn.o_name = "out_proj";
  attn.q_norm_name = "q_layernorm";
  attn.k_norm_name = "k_layernorm";
  auto rope = std::make_shared<const RoPE>(c.rope(), attn.head_dim,
                                           c.get<int64_t>("max_position_embeddings", 128000));
  int64_t ff = ff_dim(c);
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < n; ++i) {
    std::shared_ptr<Attention> a;
    std::shared_ptr<ShortConv> conv;
    if (attention[size_t(i)])
      a = std::make_shared<Attention>(attn, rope);
    else
      conv = std::make_shared<ShortConv>(hidden, c.get<int64_t>("conv_L_cache", 3),
                                         c.get<bool>("conv_bias", false));
    layers.push_back(std::make_shared<Lfm2Layer>(
        a, conv, std::make_shared<FeedForwardSwiGLU>(hidden, ff), hidden, eps));
  }
  CausalLMConfig lm{.vocab_size = c.get<int64_t>("vocab_size"),
                    .hidden_size = hidden,
                    .tie_word_embeddings = c.tie_word_embeddings(true),
                    .names = {.norm = "embedding_norm"}};
  return std::make_shared<Lfm2>(c, lm, std::move(layers),
                                std::make_shared<nn::RMSNorm>(hidden, eps));
}

}  // namespace

void register_lfm2() { static ModelRegistrar r({"lfm2"}, make_lfm2); }

}  // namespace lmx::models
