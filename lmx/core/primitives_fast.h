// SPDX-License-Identifier: MIT
// Primitives of the fused ops (lmx/core/fast.h) and of conv1d. Their eval_cpu bodies live
// in lmx/backend/cpu/fast_*.cpp and conv.cpp; their vjps differentiate the composite
// reference of each op (lmx/core/fast*.cpp, conv.cpp).
#pragma once

#include <functional>
#include <vector>

#include "lmx/core/primitive.h"

namespace lmx::fast {

namespace detail {
// Cotangents of primals[argnums] through `fn` (a composite reference made of ops).
std::vector<Array> composite_vjp(
    const std::function<std::vector<Array>(const std::vector<Array>&)>& fn,
    const std::vector<Array>& primals, const std::vector<Array>& cots,
    const std::vector<int>& argnums);
}  // namespace detail

// inputs = {x (contiguous, output dtype)} or {x, weight (D,)}.
class RMSNorm : public Primitive {
 public:
  explicit RMSNorm(float eps) : eps_(eps) {}
  const char* name() const override { return "rms_norm"; }
  float eps() const { return eps_; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
 private:
  float eps_;
};

// inputs = {x (contiguous), weight?, bias?} as the flags say.
class LayerNorm : public Primitive {
 public:
  LayerNorm(float eps, bool has_weight, bool has_bias)
      : eps_(eps), has_weight_(has_weight), has_bias_(has_bias) {}
  const char* name() const override { return "layer_norm"; }
  float eps() const { return eps_; }
  bool has_weight() const { return has_weight_; }
  bool has_bias() const { return has_bias_; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
 private:
  float eps_;
  bool has_weight_, has_bias_;
};

// inputs = {x (B, N, L, D), offset (int32, () or (B,)), freqs (float32 (dims/2,))?}.
// `base` is unused when freqs are given. forward=false rotates the other way (the vjp).
class RoPE : public Primitive {
 public:
  RoPE(int dims, bool traditional, float base, float scale, bool forward)
      : dims_(dims), traditional_(traditional), base_(base), scale_(scale), forward_(forward) {}
  const char* name() const override { return "rope"; }
  int dims() const { return dims_; }
  bool traditional() const { return traditional_; }
  float base() const { return base_; }
  float scale() const { return scale_; }
  bool forward() const { return forward_; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
 private:
  int dims_;
  bool traditional_;
  float base_, scale_;
  bool forward_;
};

// inputs = {q, k, v, mask?, sinks?}: q (B, Hq, Lq, Dk), k (B, Hkv, Lk, Dk),
// v (B, Hkv, Lk, Dv) of one float dtype with unit stride on the last axis; mask a
// (B, Hq, Lq, Lk) view (bool or float32, broadcast strides allowed); sinks float32 (Hq,).
class ScaledDotProductAttention : public Primitive {
 public:
  struct Config {
    float scale = 1.0f;
    bool causal = false;
    bool has_mask = false;
    bool has_sinks = false;
    int sliding_window = 0;
    float softcap = 0.0f;
  };
  explicit ScaledDotProductAttention(Config c) : c_(c) {}
  const char* name() const override { return "scaled_dot_product_attention"; }
  const Config& config() const { return c_; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
 private:
  Config c_;
};

}  // namespace lmx::fast

namespace lmx {

// inputs = {x (N, L, C_in), w (C_out, K, C_in / groups)} of one float dtype.
class Conv1d : public Primitive {
 public:
  Conv1d(int stride, int padding, int dilation, int groups)
      : stride_(stride), padding_(padding), dilation_(dilation), groups_(groups) {}
  const char* name() const override { return "conv1d"; }
  int stride() const { return stride_; }
  int padding() const { return padding_; }
  int dilation() const { return dilation_; }
  int groups() const { return groups_; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
 private:
  int stride_, padding_, dilation_, groups_;
};

}  // namespace lmx
