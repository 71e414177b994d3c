// SPDX-License-Identifier: MIT
// Mamba-2 (Dao & Gu, 2024): multi-head state-space mixers with a scalar decay per head,
// computed with the SSD scan, and a gated RMSNorm before the output projection. As in
// MLX-LM's mamba2.py.
#include <cmath>
#include <limits>

#include "lmx/core/fast.h"
#include "lmx/core/ops.h"
#include "lmx/models/model.h"
#include "lmx/models/ssm.h"
#include "lmx/models/transformer.h"
#include "lmx/nn/ssm_cache.h"

namespace lmx::models {

namespace {

struct Mamba2Config {
  int64_t hidden = 0, heads = 0, head_dim = 0, groups = 1, state = 0, conv_kernel = 0;
  bool bias = false, conv_bias = true;
  float eps = 1e-5f;
  float dt_min = 0.0f, dt_max = std::numeric_limits<float>::infinity();  // time_step_limit
};

class Mamba2Mixer : public nn::Module {
 public:
  explicit Mamba2Mixer(const Mamba2Config& c) : c_(c) {
    int64_t inner = c.heads * c.head_dim, conv_dim = inner + 2 * c.groups * c.state;
    in_proj = std::make_shared<nn::Linear>(c.hidden, inner + conv_dim + c.heads, c.bias);
    conv1d = std::make_shared<DepthwiseConv1d>(conv_dim, c.conv_kernel, c.conv_bias);
    norm = std::make_shared<nn::RMSNorm>(inner, c.eps);
    out_proj = std::make_shared<nn::Linear>(inner, c.hidden, c.bias);
    dt_bias = zeros({c.heads});
    A_log = zeros({c.heads});
    D = zeros({c.heads});
    register_module("in_proj", in_proj);
    register_module("conv1d", conv1d);
    register_module("norm", norm);
    register_module("out_proj", out_proj);
    register_parameter("dt_bias", dt_bias);
    register_parameter("A_log", A_log);
    register_parameter("D", D);
  }

  // x (B, L, hidden) -> (B, L, hidden); `cache` holds the conv window and the SSM state.
  Array operator()(const Array& x, nn::ArraysCache* cache) {
    int64_t Bsz = x.shape(0), L = x.shape(1), H = c_.heads, P = c_.head_dim;
    int64_t inner = H * P, GN = c_.groups * c_.state, conv_dim = inner + 2 * GN;
    Array proj = (*in_proj)(x);  // (B, L, inner + conv_dim + H): [gate | x B C | dt]
    Array gate = slice(proj, -1, 0, inner);
    Array xbc =
        silu((*conv1d)(slice(proj, -1, inner, inner + conv_dim), cache ? &(*cache)[0] : nullptr));
    Array dt = softplus(
        add(astype(slice(proj, -1, inner + conv_dim, inner + conv_dim + H), Dtype::float32),
            astype(dt_bias, Dtype::float32)));  // (B, L, H)
    if (c_.dt_min > 0.0f || std::isfinite(c_.dt_max))
      dt = clip(dt, Array(c_.dt_min), Array(c_.dt_max));
    Shape groups{Bsz, L, c_.groups, c_.state};
    Array y = ssd_scan({.x = reshape(slice(xbc, -1, 0, inner), {Bsz, L, H, P}),
                        .dt = dt,
                        .A = negative(exp(astype(A_log, Dtype::float32))),
                        .B = reshape(slice(xbc, -1, inner, inner + GN), groups),
                        .C = reshape(slice(xbc, -1, inner + GN, conv_dim), groups),
                        .D = D},
                       cache ? &(*cache)[1] : nullptr);  // (B, L, H, P)
    if (cache) cache->advance(L);
    // Gated RMSNorm: normalize y * silu(gate) in float32.
    Array g = multiply(astype(reshape(y, {Bsz, L, inner}), Dtype::float32),
                       silu(astype(gate, Dtype::float32)));
    return (*out_proj)(astype((*norm)(g), x.dtype()));
  }

  std::shared_ptr<nn::Linear> in_proj, out_proj;
  std::shared_ptr<DepthwiseConv1d> conv1d;
  std::shared_ptr<nn::RMSNorm> norm;
  Array dt_bias, A_log, D;

 private:
  Mamba2Config c_;
};

// A time_step_limit bound: a number, or {"__float__": "Infinity"} as transformers writes
// infinities.
float limit_value(const nlohmann::json& v, float fallback) {
  if (v.is_number()) return v.get<float>();
  if (v.is_object() && v.contains("__float__")) {
    std::string s = v["__float__"].get<std::string>();
    if (s == "Infinity" || s == "inf") return std::numeric_limits<float>::infinity();
    if (s == "-Infinity" || s == "-inf") return -std::numeric_limits<float>::infinity();
  }
  return fallback;
}

std::shared_ptr<Model> make_mamba2(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("hidden_size");
  Mamba2Config m{.hidden = hidden,
                 .heads = c.get<int64_t>("num_heads"),
                 .head_dim = c.get<int64_t>("head_dim"),
                 .groups = c.get<int64_t>("n_groups", 1),
                 .state = c.get<int64_t>("state_size"),
                 .conv_kernel = c.get<int64_t>("conv_kernel"),
                 .bias = c.get<bool>("use_bias", false),
                 .conv_bias = c.get<bool>("use_conv_bias", true),
                 .eps = c.get<float>("layer_norm_epsilon", 1e-5f)};
  if (const auto* lim = c.find("time_step_limit"); lim && lim->is_array() && lim->size() == 2) {
    m.dt_min = limit_value((*lim)[0], m.dt_min);
    m.dt_max = limit_value((*lim)[1], m.dt_max);
  }
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < c.get<int64_t>("num_hidden_layers"); ++i)
    layers.push_back(std::make_shared<ResidualMixerBlock<Mamba2Mixer>>(
        m.hidden, m.eps, std::make_shared<Mamba2Mixer>(m)));
  CausalLMConfig lm{.vocab_size = c.get<int64_t>("vocab_size"),
                    .hidden_size = hidden,
                    .tie_word_embeddings = c.tie_word_embeddings(true),
                    .names = {.model = "backbone", .embed = "embeddings", .norm = "norm_f"}};
  return std::make_shared<RecurrentLM>(c, lm, std::move(layers),
                                       std::make_shared<nn::RMSNorm>(hidden, m.eps));
}

}  // namespace

void register_mamba2() { static ModelRegistrar r({"mamba2"}, make_mamba2); }

}  // namespace lmx::models
