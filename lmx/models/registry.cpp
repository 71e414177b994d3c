// SPDX-License-Identifier: MIT
#include <algorithm>
#include <mutex>

#include "lmx/core/error.h"
#include "lmx/models/model.h"

namespace lmx::models {

namespace {
std::map<std::string, ModelFactory>& factories() {
  static std::map<std::string, ModelFactory> f;
  return f;
}
void register_all() {
  static std::once_flag once;
  std::call_once(once, [] {
    // One line per architecture file.
    register_llama();
    register_gemma();
    register_gemma2();
    register_phi();
    register_phi3();
    register_starcoder2();
    register_cohere();
    register_olmo2();
    register_granite();
    register_stablelm();
    register_gpt_neox();
    register_gpt2();
    register_smollm3();
    register_glm4();
    register_exaone4();
    register_ernie4_5();
    register_helium();
    register_nemotron();
    register_mamba();
    register_mamba2();
    register_lfm2();
    register_qwen3_next();
    register_mixtral();
    register_qwen2_moe();
    register_qwen3_moe();
    register_olmoe();
    register_deepseek();
    register_gpt_oss();
  });
}
}  // namespace

ModelRegistrar::ModelRegistrar(std::vector<std::string> model_types, ModelFactory factory) {
  for (auto& t : model_types) factories()[t] = factory;
}

std::vector<std::string> supported_model_types() {
  register_all();
  std::vector<std::string> out;
  for (auto& [k, _] : factories()) out.push_back(k);
  return out;
}

std::shared_ptr<Model> create_model(const io::ModelConfig& config) {
  register_all();
  std::string type = config.model_type();
  auto it = factories().find(type);
  if (it == factories().end()) {
    std::string list;
    for (auto& t : supported_model_types()) list += (list.empty() ? "" : ", ") + t;
    raise<ValueError>("load", "model_type '{}' is not supported (supported: {})", type, list);
  }
  return it->second(config);
}

void Model::prefill(const Array& inputs, nn::CacheList& cache) { (*this)(inputs, &cache); }

nn::CacheList Model::make_cache(const nn::CacheOptions& opts) {
  nn::CacheList c;
  for (int i = 0; i < num_layers(); ++i) {
    if (opts.max_kv_size > 0)
      c.push_back(std::make_shared<nn::RotatingKVCache>(opts.max_kv_size, 4));
    else
      c.push_back(std::make_shared<nn::KVCache>());
  }
  return c;
}

std::map<std::string, Array> Model::sanitize(std::map<std::string, Array> weights) {
  for (auto it = weights.begin(); it != weights.end();) {
    if (it->first.find("rotary_emb.inv_freq") != std::string::npos)
      it = weights.erase(it);
    else
      ++it;
  }
  return weights;
}

}  // namespace lmx::models
