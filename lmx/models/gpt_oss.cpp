// SPDX-License-Identifier: MIT
// gpt-oss: attention with learned sinks and biases, alternating sliding-window and full
// layers, and an MoE whose experts use a clamped SwiGLU, (up + 1) * gate * sigmoid(1.702
// gate), with biases. The router takes the top-k logits and softmaxes over them. As in
// MLX-LM's gpt_oss.py.
//
// Checkpoints hold the experts as transformers' fused tensors (gate_up_proj (E, H, 2I)
// with gate and up interleaved, down_proj (E, I, H)), or as OpenAI's MXFP4 blocks
// (<name>_blocks (E, out, in/32, 16) uint8 and <name>_scales (E, out, in/32) uint8),
// which are dequantized to bfloat16 at load time; or already split in MLX-LM's layout.
#include <cmath>
#include <cstring>
#include <vector>

#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/models/model.h"
#include "lmx/models/moe.h"
#include "lmx/models/transformer.h"

namespace lmx::models {

namespace {

// MXFP4 (OCP microscaling): 32 FP4 e2m1 codes per block, two per byte (low nibble first),
// sharing the scale 2^(s - 127). blocks (..., G, 16), scales (..., G) -> (..., G * 32) bf16.
Array dequantize_mxfp4(const Array& blocks, const Array& scales) {
  static const float kFp4[16] = {0.0f,  0.5f,  1.0f,  1.5f,  2.0f,  3.0f,  4.0f,  6.0f,
                                 -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f};
  LMX_CHECK(blocks.ndim() >= 2 && blocks.shape(-1) == 16 && blocks.dtype() == Dtype::uint8 &&
                scales.dtype() == Dtype::uint8 && scales.size() * 16 == blocks.size(),
            ValueError, "gpt_oss", "MXFP4 blocks {} and scales {} do not match",
            shape_str(blocks.shape()), shape_str(scales.shape()));
  Array b = contiguous(blocks), s = contiguous(scales);
  const uint8_t* pb = b.data<uint8_t>();
  const uint8_t* ps = s.data<uint8_t>();
  int64_t groups = s.size();
  std::vector<float> out(size_t(groups * 32));
  for (int64_t g = 0; g < groups; ++g) {
    float scale = std::ldexp(1.0f, int(ps[g]) - 127);
    for (int j = 0; j < 16; ++j) {
      uint8_t byte = pb[g * 16 + j];
      out[size_t(g * 32 + 2 * j)] = kFp4[byte & 15] * scale;
      out[size_t(g * 32 + 2 * j + 1)] = kFp4[byte >> 4] * scale;
    }
  }
  Shape shape = scales.shape();
  shape.back() *= 32;
  return astype(Array(out, shape), Dtype::bfloat16);
}

// Every other row (offset 0: gate, 1: up) of the interleaved axis `axis`.
Array deinterleave(const Array& a, int axis, int offset) {
  int ax = axis < 0 ? a.ndim() + axis : axis;
  return contiguous(slice(a, ax, offset, a.shape(ax), 2));
}

class GptOss : public CausalLM {
 public:
  GptOss(const io::ModelConfig& config, CausalLMConfig lm,
         std::vector<std::shared_ptr<DecoderLayer>> layers, std::shared_ptr<nn::Norm> norm)
      : CausalLM(config, std::move(lm), std::move(layers), std::move(norm)) {}

  std::map<std::string, Array> sanitize(std::map<std::string, Array> w) override {
    std::map<std::string, Array> out;
    const std::string gu = "gate_up_proj", dn = "down_proj";
    for (auto& [k, v] : w) {
      auto ends = [&](const std::string& s) {
        return k.size() >= s.size() && k.compare(k.size() - s.size(), s.size(), s) == 0;
      };
      std::string base = k.substr(0, k.rfind('.') + 1);  // "<...>.mlp.experts."
      if (ends("_scales") && (ends(gu + "_scales") || ends(dn + "_scales"))) continue;
      if (ends(gu + "_blocks") || ends(dn + "_blocks")) {
        std::string stem = k.substr(0, k.size() - 7);  // drops "_blocks"
        Array wf = dequantize_mxfp4(v, w.at(stem + "_scales"));
        wf = reshape(wf, {wf.shape(0), wf.shape(1), -1});  // (E, out, in)
        split(out, base, ends(gu + "_blocks"), wf);
      } else if (ends("." + gu) || ends("." + dn)) {
        // transformers' layout multiplies x @ w: (E, in, out).
        split(out, base, ends("." + gu), swapaxes(v, -1, -2));
      } else if (ends(gu + "_bias")) {
        out[base + "gate_proj.bias"] = deinterleave(v, -1, 0);
        out[base + "up_proj.bias"] = deinterleave(v, -1, 1);
      } else if (ends(dn + "_bias")) {
        out[base + "down_proj.bias"] = v;
      } else {
        out.emplace(k, v);
      }
    }
    return CausalLM::sanitize(std::move(out));
  }

 private:
  // wf (E, out, in): gate_up's rows interleave gate and up.
  static void split(std::map<std::string, Array>& out, const std::string& base, bool gate_up,
                    const Array& wf) {
    if (gate_up) {
      out[base + "gate_proj.weight"] = deinterleave(wf, -2, 0);
      out[base + "up_proj.weight"] = deinterleave(wf, -2, 1);
    } else {
      out[base + "down_proj.weight"] = contiguous(wf);
    }
  }
};

std::shared_ptr<Model> make_gpt_oss(const io::ModelConfig& c) {
  int64_t hidden = c.get<int64_t>("hidden_size");
  int64_t n_layers = c.get<int64_t>("num_hidden_layers");
  float eps = c.get<float>("rms_norm_eps", 1e-5f);
  float limit = c.get<float>("swiglu_limit", 7.0f);
  auto types = c.layer_types();
  if (types.empty())
    for (int64_t i = 0; i < n_layers; ++i)
      types.push_back(i % 2 == 0 ? "sliding_attention" : "full_attention");
  AttentionConfig attn = attention_config(c);
  attn.qkv_bias = attn.o_bias = c.get<bool>("attention_bias", true);
  attn.sinks = true;
  auto rope = std::make_shared<const RoPE>(c.rope(), attn.head_dim,
                                           c.get<int64_t>("max_position_embeddings", 131072));
  MoEConfig moe{.hidden = hidden,
                .intermediate = c.get<int64_t>("intermediate_size"),
                .num_experts = c.get<int64_t>("num_local_experts"),
                .router = {.top_k = c.get<int64_t>("num_experts_per_tok"),
                           .scores = RouterConfig::Scores::topk_softmax},
                .gate_bias = true,
                .expert_bias = true,
                .act =
                    [limit](const Array& gate, const Array& up) {
                      Array g = clip(gate, {}, Array(limit));
                      Array u = clip(up, Array(-limit), Array(limit));
                      Array glu = multiply(g, sigmoid(multiply(g, Array(1.702f))));
                      return multiply(glu, add(u, Array(1.0f)));
                    },
                .gate_name = "router",
                .experts_name = "experts"};
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (int64_t i = 0; i < n_layers; ++i) {
    AttentionConfig a = attn;
    if (types.at(size_t(i)) == "sliding_attention")
      a.sliding_window = c.get<int64_t>("sliding_window");
    layers.push_back(std::make_shared<TransformerBlock>(
        BlockConfig{.attn = std::make_shared<Attention>(a, rope),
                    .mlp = std::make_shared<SparseMoeBlock>(moe),
                    .pre_attn = std::make_shared<nn::RMSNorm>(hidden, eps),
                    .pre_mlp = std::make_shared<nn::RMSNorm>(hidden, eps)}));
  }
  CausalLMConfig lm{.vocab_size = c.get<int64_t>("vocab_size"),
                    .hidden_size = hidden,
                    .tie_word_embeddings = c.tie_word_embeddings(false)};
  return std::make_shared<GptOss>(c, lm, std::move(layers),
                                  std::make_shared<nn::RMSNorm>(hidden, eps));
}

}  // namespace

void register_gpt_oss() { static ModelRegistrar r({"gpt_oss"}, make_gpt_oss); }

}  // namespace lmx::models
