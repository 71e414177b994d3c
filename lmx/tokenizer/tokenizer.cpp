// SPDX-License-Identifier: MIT
#include "lmx/tokenizer/tokenizer.h"

#include "lmx/tokenizer/engine.h"
#include "lmx/tokenizer/unicode.h"

namespace lmx {

namespace fs = std::filesystem;

struct Tokenizer::Impl {
  std::unique_ptr<tok::Engine> engine;
  TokenizerConfig config;
  std::optional<int32_t> bos, eos, pad, unk;
  std::set<int32_t> eos_ids;
};

namespace {

std::shared_ptr<Tokenizer::Impl> finish_impl(std::unique_ptr<tok::Engine> engine,
                                             const fs::path& dir) {
  auto impl = std::make_shared<Tokenizer::Impl>();
  impl->engine = std::move(engine);
  if (!dir.empty()) impl->config = TokenizerConfig::load(dir);
  const auto& e = *impl->engine;
  auto resolve = [&](const std::optional<std::string>& token, const char* which) {
    if (token)
      if (auto id = e.token_to_id(*token)) return id;
    return e.special_id(which);
  };
  impl->bos = resolve(impl->config.bos_token, "bos");
  impl->eos = resolve(impl->config.eos_token, "eos");
  impl->pad = resolve(impl->config.pad_token, "pad");
  impl->unk = resolve(impl->config.unk_token, "unk");
  if (!impl->bos && !dir.empty()) impl->bos = read_bos_token_id(dir);
  if (impl->eos) impl->eos_ids.insert(*impl->eos);
  if (auto eot = e.special_id("eot")) impl->eos_ids.insert(*eot);
  if (!dir.empty())
    for (int32_t id : read_eos_token_ids(dir)) impl->eos_ids.insert(id);
  if (!impl->eos && !impl->eos_ids.empty()) impl->eos = *impl->eos_ids.begin();
  return impl;
}

bool ends_with(const fs::path& p, std::string_view suffix) {
  std::string s = p.filename().string();
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Tokenizer Tokenizer::load(const fs::path& path) {
  Tokenizer t;
  if (fs::is_directory(path)) {
    if (fs::is_regular_file(path / "tokenizer.json")) {
      t.impl_ = finish_impl(tok::load_tokenizer_json((path / "tokenizer.json").string()), path);
    } else if (fs::is_regular_file(path / "tokenizer.model")) {
      t.impl_ =
          finish_impl(tok::load_sentencepiece_model((path / "tokenizer.model").string()), path);
    } else {
      fs::path gguf;
      for (const auto& entry : fs::directory_iterator(path))
        if (ends_with(entry.path(), ".gguf")) gguf = entry.path();
      if (gguf.empty())
        throw TokenizerError(path.string() +
                             ": no tokenizer.json, tokenizer.model or .gguf file in this folder");
      t.impl_ = finish_impl(tok::load_gguf_vocab(gguf.string()), path);
    }
    return t;
  }
  if (!fs::exists(path)) throw TokenizerError(path.string() + ": no such file or folder");
  fs::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  if (ends_with(path, ".gguf")) {
    t.impl_ = finish_impl(tok::load_gguf_vocab(path.string()), {});
  } else if (ends_with(path, ".model")) {
    t.impl_ = finish_impl(tok::load_sentencepiece_model(path.string()), dir);
  } else {
    t.impl_ = finish_impl(tok::load_tokenizer_json(path.string()), dir);
  }
  return t;
}

Tokenizer Tokenizer::from_json(const std::string& json_text, const std::string& origin) {
  Tokenizer t;
  t.impl_ = finish_impl(tok::parse_tokenizer_json(json_text, origin), {});
  return t;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  if (!tok::is_valid_utf8(text)) {
    std::string clean = tok::utf8_lossy(text);
    return impl_->engine->encode(clean, add_special_tokens);
  }
  return impl_->engine->encode(text, add_special_tokens);
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  return impl_->engine->decode(std::vector<int32_t>(ids.begin(), ids.end()), skip_special_tokens);
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  return impl_->engine->token_to_id(token);
}
std::optional<std::string> Tokenizer::id_to_token(int32_t id) const {
  return impl_->engine->id_to_token(id);
}
size_t Tokenizer::vocab_size() const { return impl_->engine->vocab_size(); }
bool Tokenizer::is_special(int32_t id) const { return impl_->engine->is_special(id); }
std::optional<int32_t> Tokenizer::bos_id() const { return impl_->bos; }
std::optional<int32_t> Tokenizer::eos_id() const { return impl_->eos; }
std::optional<int32_t> Tokenizer::pad_id() const { return impl_->pad; }
std::optional<int32_t> Tokenizer::unk_id() const { return impl_->unk; }
const std::set<int32_t>& Tokenizer::eos_ids() const { return impl_->eos_ids; }
const TokenizerConfig& Tokenizer::config() const { return impl_->config; }

std::optional<std::string> Tokenizer::chat_template(std::string_view name) const {
  const auto& t = impl_->config.chat_templates;
  auto it = t.find(name.empty() ? std::string("default") : std::string(name));
  if (it == t.end()) return std::nullopt;
  return it->second;
}

StreamingDetokenizer::StreamingDetokenizer(Tokenizer tokenizer, bool skip_special_tokens)
    : tokenizer_(std::move(tokenizer)), skip_special_(skip_special_tokens) {}

std::string StreamingDetokenizer::decode_range(size_t begin, size_t end) const {
  return tokenizer_.decode(std::span<const int32_t>(ids_.data() + begin, end - begin),
                           skip_special_);
}

std::string StreamingDetokenizer::add(int32_t id) {
  ids_.push_back(id);
  std::string prefix = decode_range(prefix_offset_, read_offset_);
  std::string full = decode_range(prefix_offset_, ids_.size());
  // A trailing U+FFFD may be an incomplete UTF-8 sequence: wait for more ids.
  if (full.size() <= prefix.size() || full.compare(0, prefix.size(), prefix) != 0 ||
      (full.size() >= 3 && full.compare(full.size() - 3, 3, "\xEF\xBF\xBD") == 0))
    return {};
  std::string delta = full.substr(prefix.size());
  prefix_offset_ = read_offset_;
  read_offset_ = ids_.size();
  emitted_ += delta;
  return delta;
}

std::string StreamingDetokenizer::finish() {
  std::string all = decode_range(0, ids_.size());
  std::string rest;
  if (all.compare(0, emitted_.size(), emitted_) == 0) {
    rest = all.substr(emitted_.size());
  } else {
    // Not expected: the windowed decodes disagreed with the full one. Emit the window's
    // unflushed tail rather than repeat text.
    std::string prefix = decode_range(prefix_offset_, read_offset_);
    std::string full = decode_range(prefix_offset_, ids_.size());
    if (full.size() > prefix.size()) rest = full.substr(prefix.size());
  }
  emitted_ += rest;
  prefix_offset_ = read_offset_ = ids_.size();
  return rest;
}

void StreamingDetokenizer::reset() {
  ids_.clear();
  prefix_offset_ = read_offset_ = 0;
  emitted_.clear();
}

}  // namespace lmx
