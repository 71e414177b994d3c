// SPDX-License-Identifier: MIT
// Qwen2-MoE: Qwen2 attention (q/k/v biases) with sparse MoE feed-forwards plus one shared
// expert whose output is gated by sigmoid(shared_expert_gate(x)). As in MLX-LM's
// qwen2_moe.py.
#include "lmx/models/model.h"
#include "lmx/models/moe.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

class Qwen2Moe : public CausalLM {
 public:
  using CausalLM::CausalLM;
  std::map<std::string, Array> sanitize(std::map<std::string, Array> w) override {
    return CausalLM::sanitize(stack_experts(std::move(w)));
  }
};

std::shared_ptr<Model> make_qwen2_moe(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("hidden_size");
  float eps = c.get<float>("rms_norm_eps", 1e-6f);
  AttentionConfig attn = attention_config(c);
  attn.qkv_bias = c.get<bool>("qkv_bias", true);
  if (c.get<bool>("use_sliding_window", false))
    attn.sliding_window = c.get<int64_t>("sliding_window", 0);
  auto rope = std::make_shared<const RoPE>(c.rope(), attn.head_dim,
                                           c.get<int64_t>("max_position_embeddings", 4096));
  int64_t experts = c.get<int64_t>("num_experts", 0);
  MoEConfig moe{.hidden = hidden,
                .intermediate = c.get<int64_t>("moe_intermediate_size"),
                .num_experts = experts,
                .router = {.top_k = c.get<int64_t>("num_experts_per_tok"),
                           .norm_topk_prob = c.get<bool>("norm_topk_prob", false)},
                .shared_intermediate = c.get<int64_t>("shared_expert_intermediate_size", 0),
                .shared_gate = true,
                .shared_name = "shared_expert"};
  auto layers = sparse_step_layers(c, attn, rope, moe, eps);
  CausalLMConfig lm{.vocab_size = c.get<int64_t>("vocab_size"),
                    .hidden_size = hidden,
                    .tie_word_embeddings = c.tie_word_embeddings(false)};
  return std::make_shared<Qwen2Moe>(c, lm, std::move(layers),
                                    std::make_shared<nn::RMSNorm>(hidden, eps));
}

}  // namespace

void register_qwen2_moe() { static ModelRegistrar r({"qwen2_moe"}, make_qwen2_moe); }

}  // namespace lmx::models
