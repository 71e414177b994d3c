// SPDX-License-Identifier: MIT
#include "lmx/tokenizer/tokenizer_config.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "lmx/tokenizer/error.h"

namespace lmx {

using json = nlohmann::json;

namespace {

std::optional<json> read_json(const std::filesystem::path& p) {
  if (!std::filesystem::is_regular_file(p)) return std::nullopt;
  std::ifstream f(p);
  try {
    return json::parse(f);
  } catch (const json::exception& e) {
    throw TokenizerError(p.string() + ": not valid JSON: " + e.what());
  }
}

// A special token given as a string or as {"content": ...} (AddedToken object).
std::optional<std::string> token_string(const json& j, const char* key) {
  if (!j.contains(key)) return std::nullopt;
  const json& v = j[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string())
    return v["content"].get<std::string>();
  return std::nullopt;
}

void add_ids(const json& j, std::set<int32_t>& out) {
  if (!j.contains("eos_token_id")) return;
  const json& v = j["eos_token_id"];
  if (v.is_number_integer()) out.insert(v.get<int32_t>());
  if (v.is_array())
    for (const auto& e : v)
      if (e.is_number_integer()) out.insert(e.get<int32_t>());
}

}  // namespace

TokenizerConfig TokenizerConfig::load(const std::filesystem::path& dir) {
  TokenizerConfig c;
  auto path = dir / "tokenizer_config.json";
  if (auto j = read_json(path)) {
    c.bos_token = token_string(*j, "bos_token");
    c.eos_token = token_string(*j, "eos_token");
    c.pad_token = token_string(*j, "pad_token");
    c.unk_token = token_string(*j, "unk_token");
    if (j->contains("add_bos_token") && (*j)["add_bos_token"].is_boolean())
      c.add_bos_token = (*j)["add_bos_token"].get<bool>();
    if (j->contains("add_eos_token") && (*j)["add_eos_token"].is_boolean())
      c.add_eos_token = (*j)["add_eos_token"].get<bool>();
    if (j->contains("chat_template")) {
      const json& t = (*j)["chat_template"];
      if (t.is_string()) {
        c.chat_templates["default"] = t.get<std::string>();
      } else if (t.is_array()) {
        for (const auto& e : t) {
          if (!e.contains("name") || !e.contains("template"))
            throw TokenizerError(path.string() +
                                 ": chat_template: list entries need \"name\" and \"template\"");
          c.chat_templates[e["name"].get<std::string>()] = e["template"].get<std::string>();
        }
      }
    }
  }
  auto jinja = dir / "chat_template.jinja";
  if (std::filesystem::is_regular_file(jinja)) {
    std::ifstream f(jinja, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    c.chat_templates["default"] = ss.str();
  } else if (auto j = read_json(dir / "chat_template.json")) {
    if (j->contains("chat_template") && (*j)["chat_template"].is_string() &&
        !c.chat_templates.count("default"))
      c.chat_templates["default"] = (*j)["chat_template"].get<std::string>();
  }
  return c;
}

std::set<int32_t> read_eos_token_ids(const std::filesystem::path& dir) {
  std::set<int32_t> ids;
  for (const char* name : {"config.json", "generation_config.json"}) {
    if (auto j = read_json(dir / name)) {
      add_ids(*j, ids);
      if (j->contains("text_config") && (*j)["text_config"].is_object())
        add_ids((*j)["text_config"], ids);
    }
  }
  return ids;
}

std::optional<int32_t> read_bos_token_id(const std::filesystem::path& dir) {
  for (const char* name : {"config.json", "generation_config.json"}) {
    if (auto j = read_json(dir / name))
      if (j->contains("bos_token_id") && (*j)["bos_token_id"].is_number_integer())
        return (*j)["bos_token_id"].get<int32_t>();
  }
  return std::nullopt;
}

}  // namespace lmx
