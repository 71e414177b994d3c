// SPDX-License-Identifier: MIT
// Mamba (Gu & Dao, 2023): each block is a gated selective state-space mixer, as in
// MLX-LM's mamba.py. falcon_mamba also RMS-normalizes the time step, B and C.
#include <cmath>

#include "lmx/core/fast.h"
#include "lmx/core/ops.h"
#include "lmx/models/model.h"
#include "lmx/models/ssm.h"
#include "lmx/models/transformer.h"
#include "lmx/nn/ssm_cache.h"

namespace lmx::models {

namespace {

struct MambaConfig {
  int64_t hidden = 0, intermediate = 0, state = 0, conv_kernel = 0, dt_rank = 0;
  bool bias = false, conv_bias = true;
  float bcdt_rms_eps = 0.0f;  // > 0: falcon_mamba's norms of dt, B and C
};

class MambaMixer : public nn::Module {
 public:
  explicit MambaMixer(const MambaConfig& c) : c_(c) {
    in_proj = std::make_shared<nn::Linear>(c.hidden, 2 * c.intermediate, c.bias);
    conv1d = std::make_shared<DepthwiseConv1d>(c.intermediate, c.conv_kernel, c.conv_bias);
    x_proj = std::make_shared<nn::Linear>(c.intermediate, c.dt_rank + 2 * c.state, false);
    dt_proj = std::make_shared<nn::Linear>(c.dt_rank, c.intermediate, true);
    out_proj = std::make_shared<nn::Linear>(c.intermediate, c.hidden, c.bias);
    A_log = zeros({c.intermediate, c.state});
    D = zeros({c.intermediate});
    register_module("in_proj", in_proj);
    register_module("conv1d", conv1d);
    register_module("x_proj", x_proj);
    register_module("dt_proj", dt_proj);
    register_module("out_proj", out_proj);
    register_parameter("A_log", A_log);
    register_parameter("D", D);
  }

  // x (B, L, hidden) -> (B, L, hidden); `cache` holds the conv window and the SSM state.
  Array operator()(const Array& x, nn::ArraysCache* cache) {
    int64_t I = c_.intermediate, R = c_.dt_rank, N = c_.state;
    Array xz = (*in_proj)(x);  // (B, L, 2I)
    Array h = silu((*conv1d)(slice(xz, -1, 0, I), cache ? &(*cache)[0] : nullptr));
    Array z = slice(xz, -1, I, 2 * I);
    Array dbc = (*x_proj)(h);  // (B, L, R + 2N)
    Array dt = slice(dbc, -1, 0, R), B = slice(dbc, -1, R, R + N),
          C = slice(dbc, -1, R + N, R + 2 * N);
    if (c_.bcdt_rms_eps > 0.0f) {
      dt = fast::rms_norm(dt, {}, c_.bcdt_rms_eps);
      B = fast::rms_norm(B, {}, c_.bcdt_rms_eps);
      C = fast::rms_norm(C, {}, c_.bcdt_rms_eps);
    }
    Array y = selective_scan({.x = h,
                              .dt = softplus((*dt_proj)(dt)),
                              .A = negative(exp(astype(A_log, Dtype::float32))),
                              .B = B,
                              .C = C,
                              .D = D},
                             cache ? &(*cache)[1] : nullptr);  // (B, L, I)
    if (cache) cache->advance(x.shape(1));
    return (*out_proj)(multiply(y, silu(z)));
  }

  std::shared_ptr<nn::Linear> in_proj, x_proj, dt_proj, out_proj;
  std::shared_ptr<DepthwiseConv1d> conv1d;
  Array A_log, D;

 private:
  MambaConfig c_;
};

std::shared_ptr<Model> make_mamba(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("hidden_size");
  // "auto" (or absent): ceil(hidden / 16), as the reference code.
  const auto* rank = c.find("time_step_rank");
  int64_t dt_rank =
      rank && rank->is_number() ? c.get<int64_t>("time_step_rank") : (hidden + 15) / 16;
  MambaConfig m{.hidden = hidden,
                .intermediate = c.get<int64_t>("intermediate_size"),
                .state = c.get<int64_t>("state_size"),
                .conv_kernel = c.get<int64_t>("conv_kernel"),
                .dt_rank = dt_rank,
                .bias = c.get<bool>("use_bias", false),
                .conv_bias = c.get<bool>("use_conv_bias", true),
                .bcdt_rms_eps =
                    c.model_type() == "falcon_mamba" ? c.get<float>("mixer_rms_eps", 1e-6f) : 0.0f};
  float eps = c.get<float>("layer_norm_epsilon", 1e-5f);
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < c.get<int64_t>("num_hidden_layers"); ++i)
    layers.push_back(std::make_shared<ResidualMixerBlock<MambaMixer>>(
        m.hidden, eps, std::make_shared<MambaMixer>(m)));
  CausalLMConfig lm{.vocab_size = c.get<int64_t>("vocab_size"),
                    .hidden_size = hidden,
                    .tie_word_embeddings = c.tie_word_embeddings(true),
                    .names = {.model = "backbone", .embed = "embeddings", .norm = "norm_f"}};
  return std::make_shared<RecurrentLM>(c, lm, std::move(layers),
                                       std::make_shared<nn::RMSNorm>(hidden, eps));
}

}  // namespace

void register_mamba() { static ModelRegistrar r({"mamba", "falcon_mamba"}, make_mamba); }

}  // namespace lmx::models
