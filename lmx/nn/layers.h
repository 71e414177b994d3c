// SPDX-License-Identifier: MIT
// Basic layers. Linear and Embedding are the seams where quantized (and, later, adapter)
// variants are swapped in: model files only ever name Linear and Embedding.
#pragma once

#include <string>

#include "lmx/core/array.h"
#include "lmx/nn/module.h"

namespace lmx::nn {

// y = x @ weight.T + bias; weight (out, in) as Hugging Face stores it.
class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias);
  virtual Array operator()(const Array& x);
  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }
  bool has_bias() const { return has_bias_; }

  Array weight;
  Array bias;

 protected:
  int64_t in_, out_;
  bool has_bias_;
};

// Affine quantization parameters (MLX's format).
struct QuantParams {
  int group_size = 64;
  int bits = 4;
  std::string mode = "affine";
};

// A Linear whose weight is MLX-quantized: weight (out, in*bits/32) uint32, scales and
// biases (out, in/group_size). Runs on the quantized kernels without dequantizing.
class QuantizedLinear : public Linear {
 public:
  QuantizedLinear(int64_t in_features, int64_t out_features, bool bias, QuantParams q);
  Array operator()(const Array& x) override;
  const QuantParams& quant() const { return q_; }

  Array scales;
  Array biases;

 private:
  QuantParams q_;
};

// Token embeddings: weight (num_embeddings, dims).
class Embedding : public Module {
 public:
  Embedding(int64_t num_embeddings, int64_t dims);
  // (...) int ids -> (..., dims)
  virtual Array operator()(const Array& ids);
  // x @ weight.T, for tied output heads: (..., dims) -> (..., num_embeddings)
  virtual Array as_linear(const Array& x);
  int64_t num_embeddings() const { return num_; }
  int64_t dims() const { return dims_; }

  Array weight;

 protected:
  int64_t num_, dims_;
};

class QuantizedEmbedding : public Embedding {
 public:
  QuantizedEmbedding(int64_t num_embeddings, int64_t dims, QuantParams q);
  Array operator()(const Array& ids) override;
  Array as_linear(const Array& x) override;

  Array scales;
  Array biases;

 private:
  QuantParams q_;
};

// What every normalization layer is, so a block can hold either kind: x (..., D) -> (..., D).
class Norm : public Module {
 public:
  virtual Array operator()(const Array& x) = 0;
};

// RMSNorm: x / rms(x) * weight. With `offset` 1 the weight is applied as (1 + weight)
// (Gemma's convention).
class RMSNorm : public Norm {
 public:
  RMSNorm(int64_t dims, float eps, float offset = 0.0f);
  Array operator()(const Array& x) override;
  Array weight;

 private:
  float eps_, offset_;
};

// LayerNorm variants beyond size and eps, e.g. {.bias = false}.
struct LayerNormOptions {
  bool affine = true;   // learned weight
  bool bias = true;     // learned bias (only with affine)
  float offset = 0.0f;  // weight applied as (offset + weight): Nemotron's LayerNorm1P uses 1
  int64_t heads = 0;    // > 0: weight and bias (heads, dims), one per head of x (..., heads, dims)
};

// LayerNorm over the last axis with optional affine weight and bias.
class LayerNorm : public Norm {
 public:
  LayerNorm(int64_t dims, float eps, LayerNormOptions options = {});
  Array operator()(const Array& x) override;
  Array weight;
  Array bias;

 private:
  float eps_;
  LayerNormOptions o_;
};

}  // namespace lmx::nn
