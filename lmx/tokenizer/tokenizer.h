// SPDX-License-Identifier: MIT
// lmx's tokenizer: Hugging Face tokenizer.json (and SentencePiece tokenizer.model) with
// the exact ids of the Rust `tokenizers` library, GGUF vocabularies with the ids of
// llama.cpp, and a streaming detokenizer. The tokenizer layer depends on no other layer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lmx/tokenizer/error.h"
#include "lmx/tokenizer/tokenizer_config.h"

namespace lmx {

namespace tok {
class Engine;
}

class Tokenizer {
 public:
  // Loads from a checkpoint folder (tokenizer.json, else tokenizer.model, plus
  // tokenizer_config.json, config.json and generation_config.json when present), a
  // tokenizer.json, a SentencePiece tokenizer.model, or a .gguf file. Throws TokenizerError.
  static Tokenizer load(const std::filesystem::path& path);
  // Parses tokenizer.json text directly (no config files); `origin` names it in errors.
  static Tokenizer from_json(const std::string& json_text, const std::string& origin = "json");

  // Token ids of `text` (UTF-8; invalid bytes are read as U+FFFD). With
  // add_special_tokens, the post-processor's tokens (e.g. BOS) are added. Thread-safe.
  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens = false) const;
  // The text of `ids`; unknown ids are skipped. Thread-safe.
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens = false) const;

  // The id of a token string (added tokens first), or nullopt.
  std::optional<int32_t> token_to_id(std::string_view token) const;
  // The token string of an id, or nullopt when out of range.
  std::optional<std::string> id_to_token(int32_t id) const;
  // One past the largest id (base vocabulary plus added tokens).
  size_t vocab_size() const;
  // Whether `id` is a special (control) token, skipped by skip_special_tokens.
  bool is_special(int32_t id) const;

  // BOS/EOS/PAD/UNK ids from tokenizer_config.json, config.json or the vocabulary file.
  std::optional<int32_t> bos_id() const;
  std::optional<int32_t> eos_id() const;
  std::optional<int32_t> pad_id() const;
  std::optional<int32_t> unk_id() const;
  // Every id that ends generation: eos ids merged from tokenizer_config.json,
  // config.json and generation_config.json (int or list).
  const std::set<int32_t>& eos_ids() const;
  // The checkpoint's tokenizer_config.json settings (empty when there is none).
  const TokenizerConfig& config() const;
  // The raw chat template: `name` "" gives the default one; nullopt when absent.
  std::optional<std::string> chat_template(std::string_view name = "") const;

  // Implementation detail (the engine and the special ids), shared between copies.
  struct Impl;

 private:
  std::shared_ptr<const Impl> impl_;
};

// Turns ids into text as they are generated: add() returns the text that has become
// final (incomplete UTF-8 and SentencePiece leading spaces are held back), and the
// concatenation of everything returned, finish() included, equals decode(all ids).
// Not thread-safe; keeps a copy of the Tokenizer handle.
class StreamingDetokenizer {
 public:
  explicit StreamingDetokenizer(Tokenizer tokenizer, bool skip_special_tokens = false);
  // Adds one generated id; returns newly final text (often empty).
  std::string add(int32_t id);
  // Flushes what was held back; call once at the end.
  std::string finish();
  // Forgets all ids, for a new sequence.
  void reset();
  // All ids added since the last reset.
  const std::vector<int32_t>& ids() const { return ids_; }

 private:
  std::string decode_range(size_t begin, size_t end) const;
  Tokenizer tokenizer_;
  bool skip_special_;
  std::vector<int32_t> ids_;
  size_t prefix_offset_ = 0, read_offset_ = 0;
  std::string emitted_;
};

}  // namespace lmx
