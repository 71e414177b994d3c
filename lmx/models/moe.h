// SPDX-License-Identifier: MIT
// Mixture-of-experts mechanics shared by the MoE architectures (as MLX-LM's
// switch_layers.py): stacked expert weights run with gather_mm / gather_qmm so a token
// reads only the experts it was routed to, the routers checkpoints use (softmax or
// sigmoid scores, top-k, renormalization, correction bias, group limits), shared experts,
// and the sanitize step that stacks Hugging Face's per-expert tensors.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "lmx/core/array.h"
#include "lmx/models/transformer.h"
#include "lmx/nn/layers.h"

namespace lmx::models {

// One linear layer per expert, stacked: weight (E, out, in), bias (E, out).
// x (..., M, in) with indices (..., k) -> (..., k, M, out): token row i times expert
// indices[i, j]. Only the indexed experts' weights are read.
class SwitchLinear : public nn::Module {
 public:
  SwitchLinear(int64_t in_features, int64_t out_features, int64_t num_experts, bool bias);
  virtual Array operator()(const Array& x, const Array& indices);
  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }
  int64_t num_experts() const { return experts_; }
  bool has_bias() const { return has_bias_; }

  Array weight;
  Array bias;

 protected:
  Array add_bias(const Array& y, const Array& indices) const;
  int64_t in_, out_, experts_;
  bool has_bias_;
};

// SwitchLinear with MLX-quantized experts: weight (E, out, in*bits/32) uint32, scales and
// biases (E, out, in/group_size). Swapped in by quantize_modules like QuantizedLinear.
class QuantizedSwitchLinear : public SwitchLinear {
 public:
  QuantizedSwitchLinear(int64_t in_features, int64_t out_features, int64_t num_experts, bool bias,
                        nn::QuantParams q);
  Array operator()(const Array& x, const Array& indices) override;

  Array scales;
  Array biases;

 private:
  nn::QuantParams q_;
};

// (gate, up) -> hidden activation of a gated expert; default silu(gate) * up.
using GLUActivation = std::function<Array(const Array& gate, const Array& up)>;

// The experts of a gated MLP: down(act(gate(x), up(x))) with gate_proj, up_proj and
// down_proj each a SwitchLinear. x (..., hidden), indices (..., k) -> (..., k, hidden).
class SwitchGLU : public nn::Module {
 public:
  SwitchGLU(int64_t hidden, int64_t intermediate, int64_t num_experts, bool bias = false,
            GLUActivation act = {});
  Array operator()(const Array& x, const Array& indices);
  std::shared_ptr<SwitchLinear> gate_proj, up_proj, down_proj;

 private:
  GLUActivation act_;
};

// How router logits become expert choices and weights.
struct RouterConfig {
  int64_t top_k = 1;
  enum class Scores { softmax, sigmoid, topk_softmax } scores = Scores::softmax;
  // topk_softmax (gpt-oss): top-k on the raw logits, then softmax over those k.
  bool norm_topk_prob = false;         // weights renormalized to sum to 1
  float routed_scaling_factor = 1.0f;  // weights multiplied by this (DeepSeek)
  int64_t n_group = 1;                 // group-limited routing: experts in n_group groups,
  int64_t topk_group = 1;              // only the topk_group best groups are eligible,
  bool group_by_top2_sum = false;      // a group scored by its best (V2) or top-2 sum (V3)
};

// logits (..., E) -> (indices (..., k) int32, weights (..., k) float32). `correction_bias`
// (E,) (DeepSeek-V3's e_score_correction_bias, may be null) shifts scores for choosing
// experts only; the weights are the unbiased scores.
std::pair<Array, Array> route(const Array& logits, const RouterConfig& c,
                              const Array& correction_bias = {});

// A sparse MoE feed-forward layer. Checkpoint names: the router `gate` (or `router`), the
// experts `switch_mlp` (MLX-LM; Hugging Face's per-expert tensors are stacked into it by
// stack_experts), and optional shared experts.
struct MoEConfig {
  int64_t hidden = 0;
  int64_t intermediate = 0;  // per expert
  int64_t num_experts = 0;
  RouterConfig router = {};
  bool gate_bias = false;           // router Linear with bias (gpt-oss)
  bool correction_bias = false;     // <gate>.e_score_correction_bias (DeepSeek-V3)
  bool expert_bias = false;         // experts' Linears with biases (gpt-oss)
  GLUActivation act = {};           // experts' activation (default silu(gate) * up)
  int64_t shared_intermediate = 0;  // > 0: shared experts, a GatedMLP of this size
  bool shared_gate = false;         // shared output scaled by sigmoid(shared_expert_gate(x))
  std::string gate_name = "gate";
  std::string experts_name = "switch_mlp";
  std::string shared_name = "shared_experts";  // "shared_expert" in Qwen2-MoE
};

class SparseMoeBlock : public FeedForward {
 public:
  explicit SparseMoeBlock(const MoEConfig& c);
  // x (..., hidden) -> (..., hidden)
  Array operator()(const Array& x) override;

  std::shared_ptr<nn::Linear> gate;
  std::shared_ptr<SwitchGLU> experts;
  std::shared_ptr<GatedMLP> shared;
  std::shared_ptr<nn::Linear> shared_expert_gate;
  Array e_score_correction_bias;

 private:
  MoEConfig c_;
};

// Stacks Hugging Face's per-expert tensors "<p>.experts.<e>.<proj>.<weight|scales|biases|
// bias>" into "<p>.<switch_name>.<proj>.<...>" (E, ...), renaming projections by `renames`
// (Mixtral's w1/w2/w3). Also splits transformers' fused "<p>.experts.gate_up_proj"
// (E, 2I, H) and takes "<p>.experts.down_proj" (E, H, I). Other keys pass through.
std::map<std::string, Array> stack_experts(std::map<std::string, Array> weights,
                                           const std::string& switch_name = "switch_mlp",
                                           const std::map<std::string, std::string>& renames = {});

// Qwen-MoE-style decoder layers (pre-norm RMSNorm blocks): layer i has a SparseMoeBlock
// when the model has experts, (i + 1) is a multiple of decoder_sparse_step and i is not
// in mlp_only_layers; otherwise a dense GatedMLP of intermediate_size.
std::vector<std::shared_ptr<DecoderLayer>> sparse_step_layers(const io::ModelConfig& c,
                                                              const AttentionConfig& attn,
                                                              std::shared_ptr<const RoPE> rope,
                                                              const MoEConfig& moe, float eps);

}  // namespace lmx::models
