// SPDX-License-Identifier: MIT
// Mixtral: Mistral attention with a sparse MoE feed-forward (block_sparse_moe): softmax
// router, top-k experts renormalized. As in MLX-LM's mixtral.py.
#include "lmx/models/model.h"
#include "lmx/models/moe.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

class Mixtral : public CausalLM {
 public:
  using CausalLM::CausalLM;
  // Per-expert w1/w2/w3 -> block_sparse_moe.switch_mlp.{gate,down,up}_proj (E, ...).
  std::map<std::string, Array> sanitize(std::map<std::string, Array> w) override {
    return CausalLM::sanitize(stack_experts(
        std::move(w), "switch_mlp", {{"w1", "gate_proj"}, {"w2", "down_proj"}, {"w3", "up_proj"}}));
  }
};

std::shared_ptr<Model> make_mixtral(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("hidden_size");
  float eps = c.get<float>("rms_norm_eps", 1e-5f);
  AttentionConfig attn = attention_config(c);
  attn.sliding_window = c.get<int64_t>("sliding_window", 0);
  auto rope = std::make_shared<const RoPE>(c.rope(), attn.head_dim,
                                           c.get<int64_t>("max_position_embeddings", 4096));
  MoEConfig moe{.hidden = hidden,
                .intermediate = c.get<int64_t>("intermediate_size"),
                .num_experts = c.get<int64_t>("num_local_experts"),
                .router = {.top_k = c.get<int64_t>("num_experts_per_tok"), .norm_topk_prob = true}};
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < c.get<int64_t>("num_hidden_layers"); ++i) {
    layers.push_back(std::make_shared<TransformerBlock>(
        BlockConfig{.attn = std::make_shared<Attention>(attn, rope),
                    .mlp = std::make_shared<SparseMoeBlock>(moe),
                    .pre_attn = std::make_shared<nn::RMSNorm>(hidden, eps),
                    .pre_mlp = std::make_shared<nn::RMSNorm>(hidden, eps),
                    .mlp_name = "block_sparse_moe"}));
  }
  CausalLMConfig lm{.vocab_size = c.get<int64_t>("vocab_size"),
                    .hidden_size = hidden,
                    .tie_word_embeddings = c.tie_word_embeddings(false)};
  return std::make_shared<Mixtral>(c, lm, std::move(layers),
                                   std::make_shared<nn::RMSNorm>(hidden, eps));
}

}  // namespace

void register_mixtral() { static ModelRegistrar r({"mixtral"}, make_mixtral); }

}  // namespace lmx::models
