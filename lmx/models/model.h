// SPDX-License-Identifier: MIT
// The interface every architecture implements, and the registry that finds one by
// config.json's model_type.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lmx/core/array.h"
#include "lmx/io/config.h"
#include "lmx/nn/cache.h"
#include "lmx/nn/module.h"

namespace lmx::models {

class Model : public nn::Module {
 public:
  // (B, L) integer token ids -> (B, L, vocab_size) logits. `cache` (one entry per
  // make_cache() slot) is read and extended by L tokens; null runs without a cache.
  virtual Array operator()(const Array& inputs, nn::CacheList* cache) = 0;
  // Runs (B, L) ids only to extend `cache` (prefill): the logits of these positions are not
  // needed, so models skip the output head (for a 512-token chunk of Qwen2.5-0.5B that is
  // 140 GFLOP of lm_head). Default: operator(), result dropped.
  virtual void prefill(const Array& inputs, nn::CacheList& cache);
  // The caches generation starts with (MLX-LM's make_prompt_cache for this model):
  // bounded (rotating) when opts.max_kv_size > 0.
  virtual nn::CacheList make_cache(const nn::CacheOptions& opts = {});
  // Renames and drops checkpoint keys that do not match the module names (default:
  // drops rotary inv_freq buffers).
  virtual std::map<std::string, Array> sanitize(std::map<std::string, Array> weights);
  virtual int64_t vocab_size() const = 0;
  virtual int num_layers() const = 0;
  // Paths of the modules quantization may apply to (default: every Linear and Embedding).
  const io::ModelConfig& config() const { return config_; }

 protected:
  explicit Model(io::ModelConfig config) : config_(std::move(config)) {}
  io::ModelConfig config_;
};

using ModelFactory = std::function<std::shared_ptr<Model>(const io::ModelConfig&)>;

// Registers an architecture under one or more model_type names.
struct ModelRegistrar {
  ModelRegistrar(std::vector<std::string> model_types, ModelFactory factory);
};

// Builds the model for config.model_type(); throws ValueError listing the supported
// types when it is unknown.
std::shared_ptr<Model> create_model(const io::ModelConfig& config);
// The model_types lmx knows.
std::vector<std::string> supported_model_types();

// Every architecture file defines one of these (the registry has no global constructor
// tricks: registry.cpp calls them, so static linking cannot drop a model).
void register_llama();
void register_gemma();
void register_gemma2();
void register_phi();
void register_phi3();
void register_starcoder2();
void register_cohere();
void register_olmo2();
void register_granite();
void register_stablelm();
void register_gpt_neox();
void register_gpt2();
void register_smollm3();
void register_glm4();
void register_exaone4();
void register_ernie4_5();
void register_helium();
void register_nemotron();
void register_mamba();
void register_mamba2();
void register_lfm2();
void register_qwen3_next();
void register_mixtral();
void register_qwen2_moe();
void register_qwen3_moe();
void register_olmoe();
void register_deepseek();
void register_gpt_oss();

}  // namespace lmx::models
