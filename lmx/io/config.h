// SPDX-License-Identifier: MIT
// config.json and generation_config.json in every form Hugging Face and MLX checkpoints use.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lmx/io/error.h"

namespace lmx::io {

// Rotary embedding parameters, merged from rope_theta/rope_scaling (either "type" or
// "rope_type"), the newer rope_parameters (flat or per layer type) and top-level keys.
// Defaults are transformers' for a key a checkpoint leaves out.
struct RopeConfig {
  std::string type = "default";  // default, linear, dynamic, llama3, yarn, longrope ("su")
  double theta = 10000.0;
  double factor = 1.0;
  double low_freq_factor = 1.0;                             // llama3
  double high_freq_factor = 4.0;                            // llama3
  std::optional<int64_t> original_max_position_embeddings;  // llama3, yarn, longrope
  double beta_fast = 32.0;                                  // yarn
  double beta_slow = 1.0;                                   // yarn
  std::optional<double> mscale, mscale_all_dim;             // yarn (DeepSeek)
  std::optional<double> attention_factor;                   // yarn, longrope
  bool truncate = true;                                     // yarn (gpt-oss sets false)
  std::vector<double> short_factor, long_factor;            // longrope
  double partial_rotary_factor = 1.0;                       // fraction of head_dim that rotates
  std::vector<int64_t> mrope_section;                       // multimodal rope sections (Qwen2-VL)
  nlohmann::json raw;  // the block as found (null when there was none)
};

// One quantization setting, as MLX writes it.
struct QuantSpec {
  int bits = 4;
  int group_size = 64;
  std::string mode = "affine";  // affine, mxfp4, nvfp4, mxfp8
  bool operator==(const QuantSpec&) const = default;
};

// The "quantization" block of an MLX checkpoint (or "quantization_config"): a global
// setting plus per-module overrides keyed by module path, where `false` means unquantized.
struct QuantizationConfig {
  std::string method = "mlx";  // "mlx", or another format's quant_method (fp8, gptq, ...)
  QuantSpec defaults;
  std::map<std::string, std::optional<QuantSpec>> overrides;
  nlohmann::json raw;

  // The setting for module `path` (e.g. "model.layers.0.mlp.gate"): its override, else the
  // default; nullopt when the module is listed as not quantized.
  std::optional<QuantSpec> for_module(std::string_view path) const;
};

// A model's configuration. Lookups read the text model's config (text_config of multimodal
// checkpoints) first, then the top level. Immutable after construction.
class ModelConfig {
 public:
  // From parsed JSON; `source` names it in error messages.
  static ModelConfig from_json(nlohmann::json config, nlohmann::json generation = nullptr,
                               std::string source = "config.json");
  // From a config.json file (no generation config).
  static ModelConfig from_file(const std::filesystem::path& config_json);
  // From a checkpoint folder: config.json, and generation_config.json when present.
  static ModelConfig load(const std::filesystem::path& dir);

  // The whole config.json.
  const nlohmann::json& root() const { return root_; }
  // text_config when the checkpoint nests one, else root().
  const nlohmann::json& text() const { return has_text_config_ ? root_.at("text_config") : root_; }
  // generation_config.json (null when absent).
  const nlohmann::json& generation() const { return generation_; }
  // Whether config.json nests the text model's config in "text_config".
  bool has_text_config() const { return has_text_config_; }

  // The text model's model_type (e.g. "gemma3_text" inside a "gemma3" checkpoint).
  std::string model_type() const;
  // The top-level model_type.
  std::string root_model_type() const;

  // The value of `key` (text config, then top level), or null when absent or JSON null.
  const nlohmann::json* find(std::string_view key) const;
  // Whether `key` is present and not null.
  bool has(std::string_view key) const { return find(key) != nullptr; }
  // The value of `key` as T; throws IoError when absent, null or of the wrong type.
  template <class T>
  T get(std::string_view key) const;
  // The value of `key` as T, or `fallback` when absent or null (a wrong type still throws).
  template <class T>
  T get(std::string_view key, T fallback) const;
  // The value of `key` as T, or nullopt when absent or null.
  template <class T>
  std::optional<T> get_optional(std::string_view key) const;

  // head_dim when set, else hidden_size / num_attention_heads.
  int64_t head_dim() const;
  // tie_word_embeddings, or `fallback` when absent.
  bool tie_word_embeddings(bool fallback = true) const;
  // EOS ids: generation_config.json's when it has any, else config.json's (int or list).
  std::vector<int64_t> eos_token_ids() const;
  // layer_types (e.g. "full_attention", "sliding_attention"), empty when absent.
  std::vector<std::string> layer_types() const;
  // The checkpoint's float dtype ("dtype" or the older "torch_dtype"), if stated.
  std::optional<std::string> dtype() const;
  // RoPE for layers of `layer_type` ("" means full attention).
  RopeConfig rope(std::string_view layer_type = {}) const;
  // The quantization block, or nullopt for an unquantized checkpoint.
  std::optional<QuantizationConfig> quantization() const;

 private:
  template <class T>
  T convert(const nlohmann::json& v, std::string_view key) const;

  nlohmann::json root_;
  nlohmann::json generation_;
  bool has_text_config_ = false;
  std::string source_;
};

template <class T>
T ModelConfig::convert(const nlohmann::json& v, std::string_view key) const {
  using nlohmann::json;
  bool ok;
  if constexpr (std::is_same_v<T, bool>) {
    ok = v.is_boolean();
  } else if constexpr (std::is_integral_v<T>) {
    ok = v.is_number_integer() ||
         (v.is_number_float() && v.get<double>() == static_cast<double>(v.get<int64_t>()));
  } else if constexpr (std::is_floating_point_v<T>) {
    ok = v.is_number();
  } else if constexpr (std::is_same_v<T, std::string>) {
    ok = v.is_string();
  } else {
    ok = true;  // containers and json: let nlohmann decide
  }
  if (ok) {
    try {
      return v.get<T>();
    } catch (const json::exception&) {
    }
  }
  throw IoError(fmt::format("[config] {}: \"{}\" has an unexpected value {}", source_, key,
                            v.dump().substr(0, 200)));
}

template <class T>
T ModelConfig::get(std::string_view key) const {
  const nlohmann::json* v = find(key);
  if (!v) throw IoError(fmt::format("[config] {}: missing \"{}\"", source_, key));
  return convert<T>(*v, key);
}

template <class T>
T ModelConfig::get(std::string_view key, T fallback) const {
  const nlohmann::json* v = find(key);
  return v ? convert<T>(*v, key) : fallback;
}

template <class T>
std::optional<T> ModelConfig::get_optional(std::string_view key) const {
  const nlohmann::json* v = find(key);
  if (!v) return std::nullopt;
  return convert<T>(*v, key);
}

}  // namespace lmx::io
