// SPDX-License-Identifier: MIT
#include "lmx/io/config.h"

#include <fstream>

namespace lmx::io {
namespace {

using nlohmann::json;

json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw IoError(fmt::format("[config] cannot open {}", path.string()));
  try {
    json j = json::parse(in);
    if (!j.is_object()) throw IoError(fmt::format("[config] {}: not a JSON object", path.string()));
    return j;
  } catch (const json::exception& e) {
    throw IoError(fmt::format("[config] {}: bad JSON: {}", path.string(), e.what()));
  }
}

// A non-null member of an object, or null.
const json* member(const json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

// Whether a rope_parameters object is itself a parameter block (not keyed by layer type).
bool is_rope_block(const json& j) {
  for (const char* k : {"rope_type", "type", "rope_theta", "factor", "partial_rotary_factor"})
    if (j.contains(k)) return true;
  return false;
}

std::vector<int64_t> ids_of(const json& v, const std::string& source) {
  std::vector<int64_t> out;
  if (v.is_number_integer()) {
    out.push_back(v.get<int64_t>());
  } else if (v.is_array()) {
    for (const json& x : v) {
      if (!x.is_number_integer())
        throw IoError(fmt::format("[config] {}: eos_token_id holds a non-integer", source));
      out.push_back(x.get<int64_t>());
    }
  } else {
    throw IoError(fmt::format("[config] {}: eos_token_id must be an integer or a list", source));
  }
  return out;
}

// Default group size and bits of each MLX quantization mode.
QuantSpec mode_defaults(const std::string& mode) {
  if (mode == "mxfp4") return {4, 32, mode};
  if (mode == "nvfp4") return {4, 16, mode};
  if (mode == "mxfp8") return {8, 32, mode};
  return {4, 64, mode};
}

QuantSpec parse_spec(const json& j, const QuantSpec& base, const std::string& where) {
  QuantSpec s = base;
  if (const json* m = member(j, "mode")) {
    if (!m->is_string()) throw IoError(where + ": \"mode\" must be a string");
    s = mode_defaults(m->get<std::string>());
  }
  for (auto [key, field] : {std::pair{"bits", &s.bits}, std::pair{"group_size", &s.group_size}}) {
    if (const json* v = member(j, key)) {
      if (!v->is_number_integer() || v->get<int64_t>() <= 0)
        throw IoError(fmt::format("{}: \"{}\" must be a positive integer", where, key));
      *field = v->get<int>();
    }
  }
  return s;
}

}  // namespace

std::optional<QuantSpec> QuantizationConfig::for_module(std::string_view path) const {
  auto it = overrides.find(std::string(path));
  return it == overrides.end() ? std::optional<QuantSpec>(defaults) : it->second;
}

ModelConfig ModelConfig::from_json(json config, json generation, std::string source) {
  if (!config.is_object()) throw IoError(fmt::format("[config] {}: not a JSON object", source));
  ModelConfig c;
  c.root_ = std::move(config);
  c.generation_ = generation.is_object() ? std::move(generation) : json();
  c.source_ = std::move(source);
  const json* tc = member(c.root_, "text_config");
  c.has_text_config_ = tc && tc->is_object();
  return c;
}

ModelConfig ModelConfig::from_file(const std::filesystem::path& config_json) {
  return from_json(read_json(config_json), nullptr, config_json.string());
}

ModelConfig ModelConfig::load(const std::filesystem::path& dir) {
  const auto config = dir / "config.json";
  if (!std::filesystem::exists(config))
    throw IoError(fmt::format("[config] {} has no config.json", dir.string()));
  const auto gen = dir / "generation_config.json";
  json generation = std::filesystem::exists(gen) ? read_json(gen) : json();
  return from_json(read_json(config), std::move(generation), config.string());
}

const json* ModelConfig::find(std::string_view key) const {
  if (has_text_config_)
    if (const json* v = member(text(), key)) return v;
  return member(root_, key);
}

std::string ModelConfig::model_type() const {
  if (has_text_config_)
    if (const json* v = member(text(), "model_type"); v && v->is_string())
      return v->get<std::string>();
  return get<std::string>("model_type");
}

std::string ModelConfig::root_model_type() const {
  const json* v = member(root_, "model_type");
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

int64_t ModelConfig::head_dim() const {
  if (auto d = get_optional<int64_t>("head_dim")) return *d;
  const int64_t hidden = get<int64_t>("hidden_size"), heads = get<int64_t>("num_attention_heads");
  if (heads <= 0 || hidden % heads != 0)
    throw IoError(
        fmt::format("[config] {}: hidden_size {} is not a multiple of num_attention_heads {}",
                    source_, hidden, heads));
  return hidden / heads;
}

bool ModelConfig::tie_word_embeddings(bool fallback) const {
  return get<bool>("tie_word_embeddings", fallback);
}

std::vector<int64_t> ModelConfig::eos_token_ids() const {
  if (const json* g = member(generation_, "eos_token_id")) {
    std::vector<int64_t> ids = ids_of(*g, "generation_config.json");
    if (!ids.empty()) return ids;
  }
  if (const json* v = find("eos_token_id")) return ids_of(*v, source_);
  return {};
}

std::vector<std::string> ModelConfig::layer_types() const {
  return get<std::vector<std::string>>("layer_types", {});
}

std::optional<std::string> ModelConfig::dtype() const {
  if (auto d = get_optional<std::string>("dtype")) return d;
  return get_optional<std::string>("torch_dtype");
}

RopeConfig ModelConfig::rope(std::string_view layer_type) const {
  const std::string where = fmt::format("[config] {}: rope", source_);
  RopeConfig r;
  const json* block = nullptr;
  bool old_style = true;
  if (const json* rp = find("rope_parameters"); rp && rp->is_object()) {
    old_style = false;
    if (is_rope_block(*rp)) {
      block = rp;
    } else {  // keyed by layer type
      block = member(*rp, layer_type.empty() ? "full_attention" : layer_type);
      if (!block) block = member(*rp, "full_attention");
      if (!block && !rp->empty()) block = &rp->begin().value();
    }
  } else if (const json* rs = find("rope_scaling"); rs && rs->is_object()) {
    block = rs;
  }
  const json empty = json::object();
  const json& b = block && block->is_object() ? *block : empty;
  if (block) r.raw = *block;
  auto num = [&](const char* key) -> std::optional<double> {
    const json* v = member(b, key);
    if (!v) return std::nullopt;
    if (!v->is_number()) throw IoError(fmt::format("{}: \"{}\" must be a number", where, key));
    return v->get<double>();
  };

  if (const json* t = member(b, "rope_type") ? member(b, "rope_type") : member(b, "type")) {
    if (!t->is_string()) throw IoError(where + ": rope type must be a string");
    r.type = t->get<std::string>();
  }
  if (r.type == "su") r.type = "longrope";
  if (r.type == "mrope") r.type = "default";  // transformers treats it as default + sections
  if (auto v = num("rope_theta")) {
    r.theta = *v;
  } else if (auto t = get_optional<double>("rope_theta")) {
    r.theta = *t;
  } else if (auto base = get_optional<double>("rotary_emb_base")) {
    r.theta = *base;
  }
  r.factor = num("factor").value_or(1.0);
  r.low_freq_factor = num("low_freq_factor").value_or(r.low_freq_factor);
  r.high_freq_factor = num("high_freq_factor").value_or(r.high_freq_factor);
  if (auto v = num("original_max_position_embeddings"))
    r.original_max_position_embeddings = static_cast<int64_t>(*v);
  else
    r.original_max_position_embeddings = get_optional<int64_t>("original_max_position_embeddings");
  r.beta_fast = num("beta_fast").value_or(r.beta_fast);
  r.beta_slow = num("beta_slow").value_or(r.beta_slow);
  r.mscale = num("mscale");
  r.mscale_all_dim = num("mscale_all_dim");
  r.attention_factor = num("attention_factor");
  if (const json* v = member(b, "truncate")) r.truncate = v->is_boolean() ? v->get<bool>() : true;
  for (auto [key, out] :
       {std::pair{"short_factor", &r.short_factor}, std::pair{"long_factor", &r.long_factor}}) {
    if (const json* v = member(b, key)) {
      if (!v->is_array()) throw IoError(fmt::format("{}: \"{}\" must be a list", where, key));
      for (const json& x : *v) {
        if (!x.is_number()) throw IoError(fmt::format("{}: \"{}\" holds a non-number", where, key));
        out->push_back(x.get<double>());
      }
    }
  }
  if (const json* v = member(b, "mrope_section"); v && v->is_array())
    for (const json& x : *v) r.mrope_section.push_back(x.get<int64_t>());
  if (auto v = num("partial_rotary_factor"))
    r.partial_rotary_factor = *v;
  else if (auto p = get_optional<double>("partial_rotary_factor"))
    r.partial_rotary_factor = *p;
  else if (auto pct = get_optional<double>("rotary_pct"))
    r.partial_rotary_factor = *pct;

  // Older Gemma 3 configs give sliding layers their own base and no scaling.
  if (old_style && layer_type == "sliding_attention") {
    if (auto local = get_optional<double>("rope_local_base_freq")) {
      r.theta = *local;
      r.type = "default";
      r.factor = 1.0;
    }
  }
  return r;
}

std::optional<QuantizationConfig> ModelConfig::quantization() const {
  const json* block = member(root_, "quantization");
  if (!block) block = member(root_, "quantization_config");
  if (!block && has_text_config_) {
    block = member(text(), "quantization");
    if (!block) block = member(text(), "quantization_config");
  }
  if (!block) return std::nullopt;
  const std::string where = fmt::format("[config] {}: quantization", source_);
  if (!block->is_object()) throw IoError(where + " must be an object");
  QuantizationConfig q;
  q.raw = *block;
  if (const json* m = member(*block, "quant_method"); m && m->is_string())
    q.method = m->get<std::string>();
  q.defaults = parse_spec(*block, mode_defaults("affine"), where);
  if (q.method != "mlx") return q;  // another format: its keys are not module paths
  for (const auto& [key, value] : block->items()) {
    if (value.is_boolean()) {
      q.overrides[key] = value.get<bool>() ? std::optional<QuantSpec>(q.defaults) : std::nullopt;
    } else if (value.is_object()) {
      q.overrides[key] = parse_spec(value, q.defaults, fmt::format("{} of \"{}\"", where, key));
    }
  }
  return q;
}

}  // namespace lmx::io
