// SPDX-License-Identifier: MIT
// Building a model from a checkpoint folder: config.json -> architecture, safetensors
// weights (memory-mapped, zero-copy where the dtype allows), MLX quantization applied to
// the modules the checkpoint quantized.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "lmx/core/array.h"
#include "lmx/io/config.h"
#include "lmx/io/safetensors.h"
#include "lmx/models/model.h"

namespace lmx::models {

struct LoadOptions {
  // Float weights are converted to this dtype (default: the checkpoint's). Quantized
  // codes stay; their scales and biases follow it.
  std::optional<Dtype> dtype;
};

// Loads the model in `dir` (a local checkpoint folder).
std::shared_ptr<Model> load_model(const std::filesystem::path& dir, const LoadOptions& opts = {});

// A safetensors tensor as an Array (borrowing the mapped memory where possible).
Array to_array(const io::TensorView& t);

// Replaces Linear/Embedding/SwitchLinear modules that have "<path>.scales" in `weights`
// with their quantized variants, with bits and group size from `q` (per-module overrides first).
void quantize_modules(nn::Module& model, const io::QuantizationConfig& q,
                      const std::map<std::string, Array>& weights);

}  // namespace lmx::models
