// SPDX-License-Identifier: MIT
// tokenizer_config.json and the other checkpoint files that say which tokens are special.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace lmx {

struct TokenizerConfig {
  // Special token strings (the string form or an AddedToken object's "content").
  std::optional<std::string> bos_token, eos_token, pad_token, unk_token;
  std::optional<bool> add_bos_token, add_eos_token;
  // Raw chat templates by name; a single template is stored as "default". A
  // chat_template.jinja beside tokenizer_config.json overrides "default".
  std::map<std::string, std::string> chat_templates;

  // Reads <dir>/tokenizer_config.json and <dir>/chat_template.jinja when present (an
  // absent file gives an empty config). Throws TokenizerError on malformed JSON.
  static TokenizerConfig load(const std::filesystem::path& dir);
};

// eos_token_id values (int or list) of <dir>/config.json and <dir>/generation_config.json.
std::set<int32_t> read_eos_token_ids(const std::filesystem::path& dir);
// bos_token_id of <dir>/config.json, else of generation_config.json.
std::optional<int32_t> read_bos_token_id(const std::filesystem::path& dir);

}  // namespace lmx
