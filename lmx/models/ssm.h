// SPDX-License-Identifier: MIT
// State-space and linear-attention mechanics that several architectures share: the causal
// short convolution with a carried window, Mamba's selective scan, Mamba-2's SSD scan and
// the gated delta rule (Qwen3-Next's linear attention). Each takes a whole sequence and an
// optional carried state, so one call serves prefill (L tokens) and decode (L = 1). States
// are float32 whatever the activations' dtype; outputs take the input's dtype.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "lmx/core/array.h"
#include "lmx/core/ops.h"
#include "lmx/models/transformer.h"
#include "lmx/nn/layers.h"
#include "lmx/nn/module.h"
#include "lmx/nn/ssm_cache.h"

namespace lmx::models {

// Depthwise causal convolution over time: x (B, L, C), weight (C, K, 1) (MLX's layout),
// bias (C,) or null -> (B, L, C), before any activation. `state` (B, K-1, C) holds the K-1
// inputs before x: a null pointer means none (zeros); otherwise it is read (zeros while
// *state is null) and replaced by the last K-1 inputs including x.
Array causal_conv1d(const Array& x, const Array& weight, const Array& bias, Array* state);

// The depthwise convolution module checkpoints name conv1d (or conv): weight (C, K, 1),
// optional bias (C,). Hugging Face stores the weight as (C, 1, K); see sanitize_conv1d.
class DepthwiseConv1d : public nn::Module {
 public:
  DepthwiseConv1d(int64_t channels, int64_t kernel_size, bool bias);
  // x (B, L, C) -> (B, L, C); `state` as in causal_conv1d.
  Array operator()(const Array& x, Array* state) { return causal_conv1d(x, weight, bias, state); }
  Array weight, bias;
};

// Moves Hugging Face's (C, 1, K) depthwise weights whose names end in `suffix` to MLX's
// (C, K, 1); MLX-format ones pass through.
void sanitize_conv1d(std::map<std::string, Array>& weights, const std::string& suffix);

// Mamba's selective scan, per channel i and state n:
//   h_t = exp(dt_t A) h_{t-1} + dt_t B_t x_t,   y_t = C_t . h_t + D x_t
struct SelectiveScanInputs {
  Array x;   // (B, L, I)
  Array dt;  // (B, L, I), after softplus
  Array A;   // (I, N), negative (-exp(A_log))
  Array B;   // (B, L, N)
  Array C;   // (B, L, N)
  Array D;   // (I,)
};
// -> y (B, L, I). `state` (B, I, N) as in causal_conv1d.
Array selective_scan(const SelectiveScanInputs& in, Array* state);

// Mamba-2's scan (state-space duality), per head h with a scalar decay:
//   h_t = exp(dt_t A_h) h_{t-1} + dt_t x_t B_t^T,   y_t = h_t C_t + D_h x_t
// Computed in chunks: attention-like within a chunk, recurrent across chunks.
struct SSDInputs {
  Array x;   // (B, L, H, P)
  Array dt;  // (B, L, H), after softplus and clipping
  Array A;   // (H,), negative
  Array B;   // (B, L, G, N); head h reads group h / (H / G)
  Array C;   // (B, L, G, N)
  Array D;   // (H,)
};
// -> y (B, L, H, P). `state` (B, H, P, N) as in causal_conv1d.
Array ssd_scan(const SSDInputs& in, Array* state);

// The gated delta rule, per value head h (state S is (Dv, Dk)):
//   S = exp(g_t) S;  S += beta_t (v_t - S k_t) k_t^T;  y_t = S q_t
// Computed in chunks (the WY form: matmuls plus a small triangular solve per chunk).
struct GatedDeltaInputs {
  Array q;     // (B, L, Hk, Dk), normalized and scaled; value head h reads h / (Hv / Hk)
  Array k;     // (B, L, Hk, Dk), normalized
  Array v;     // (B, L, Hv, Dv)
  Array g;     // (B, L, Hv), log of the decay (<= 0)
  Array beta;  // (B, L, Hv)
};
// -> y (B, L, Hv, Dv). `state` (B, Hv, Dv, Dk) as in causal_conv1d (MLX-LM's layout).
Array gated_delta_rule(const GatedDeltaInputs& in, Array* state);

// x + mixer(norm(x)): the block of Mamba-style models around a recurrent mixer, whose
// call is (x, ArraysCache*).
template <typename Mixer>
class ResidualMixerBlock : public DecoderLayer {
 public:
  ResidualMixerBlock(int64_t hidden, float eps, std::shared_ptr<Mixer> m)
      : norm(std::make_shared<nn::RMSNorm>(hidden, eps)), mixer(std::move(m)) {
    register_module("norm", norm);
    register_module("mixer", mixer);
  }
  Array operator()(const Array& x, nn::Cache* cache) override {
    return add(x, (*mixer)((*norm)(x), static_cast<nn::ArraysCache*>(cache)));
  }
  std::shared_ptr<nn::RMSNorm> norm;
  std::shared_ptr<Mixer> mixer;
};

// A causal LM of recurrent blocks only (Mamba, Mamba-2): a two-slot ArraysCache per layer
// (convolution window, SSM state) and Hugging Face's conv1d weights put in MLX's layout.
class RecurrentLM : public CausalLM {
 public:
  using CausalLM::CausalLM;
  nn::CacheList make_cache(const nn::CacheOptions&) override {
    nn::CacheList c;
    for (int i = 0; i < num_layers(); ++i) c.push_back(std::make_shared<nn::ArraysCache>(2));
    return c;
  }
  std::map<std::string, Array> sanitize(std::map<std::string, Array> w) override {
    sanitize_conv1d(w, "conv1d.weight");
    return CausalLM::sanitize(std::move(w));
  }
};

}  // namespace lmx::models
