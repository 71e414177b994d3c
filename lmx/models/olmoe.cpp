// SPDX-License-Identifier: MIT
// OLMoE: attention with q/k RMSNorm over all heads at once (as OLMo 2), sparse MoE
// feed-forwards (softmax router, top-k, optional renormalization). As in MLX-LM's olmoe.py.
#include "lmx/core/error.h"
#include "lmx/models/model.h"
#include "lmx/models/moe.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

class Olmoe : public CausalLM {
 public:
  using CausalLM::CausalLM;
  std::map<std::string, Array> sanitize(std::map<std::string, Array> w) override {
    return CausalLM::sanitize(stack_experts(std::move(w)));
  }
};

std::shared_ptr<Model> make_olmoe(const io::ModelConfig& c) {
  LMX_CHECK(!c.has("clip_qkv"), ValueError, "olmoe", "clip_qkv is not supported");
  int64_t hidden = c.get<int64_t>("hidden_size");
  float eps = c.get<float>("rms_norm_eps", 1e-5f);
  AttentionConfig attn = attention_config(c);
  attn.qkv_bias = attn.o_bias = c.get<bool>("attention_bias", false);
  attn.qk_norm = QKNorm::rms_full;
  attn.norm_eps = eps;
  auto rope = std::make_shared<const RoPE>(c.rope(), attn.head_dim,
                                           c.get<int64_t>("max_position_embeddings", 4096));
  MoEConfig moe{.hidden = hidden,
                .intermediate = c.get<int64_t>("intermediate_size"),
                .num_experts = c.get<int64_t>("num_experts"),
                .router = {.top_k = c.get<int64_t>("num_experts_per_tok"),
                           .norm_topk_prob = c.get<bool>("norm_topk_prob", false)}};
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < c.get<int64_t>("num_hidden_layers"); ++i) {
    layers.push_back(std::make_shared<TransformerBlock>(
        BlockConfig{.attn = std::make_shared<Attention>(attn, rope),
                    .mlp = std::make_shared<SparseMoeBlock>(moe),
                    .pre_attn = std::make_shared<nn::RMSNorm>(hidden, eps),
                    .pre_mlp = std::make_shared<nn::RMSNorm>(hidden, eps)}));
  }
  CausalLMConfig lm{.vocab_size = c.get<int64_t>("vocab_size"),
                    .hidden_size = hidden,
                    .tie_word_embeddings = c.tie_word_embeddings(false)};
  return std::make_shared<Olmoe>(c, lm, std::move(layers),
                                 std::make_shared<nn::RMSNorm>(hidden, eps));
}

}  // namespace

void register_olmoe() { static ModelRegistrar r({"olmoe"}, make_olmoe); }

}  // namespace lmx::models
