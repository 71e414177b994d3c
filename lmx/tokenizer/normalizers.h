// SPDX-License-Identifier: MIT
// Normalizers of tokenizer.json ("normalizer": {...}): string-to-string rewrites applied
// before pre-tokenization. Offsets are not tracked; lmx only needs ids.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>
#include <vector>

namespace lmx::tok {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // Rewrites s in place. Thread-safe (normalizers are immutable after loading).
  virtual void normalize(std::string& s) const = 0;
};

// Builds the normalizer described by `j` (null gives nullptr); throws TokenizerError for
// unknown types.
std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& j);

// SentencePiece's precompiled character map (a darts-clone double array plus a pool of
// NUL-terminated replacement strings), as Hugging Face's Precompiled normalizer uses it.
class PrecompiledCharsmap {
 public:
  // `blob` is the raw charsmap bytes (base64-decoded when it came from JSON).
  explicit PrecompiledCharsmap(std::string blob);
  // Replacement for the shortest trie prefix of `chunk`, or nullptr when none matches.
  const char* transform(std::string_view chunk, size_t& len) const;
  // Hugging Face's grapheme-wise normalization.
  std::string normalize(std::string_view s) const;
  bool empty() const { return trie_.empty(); }

 private:
  std::vector<uint32_t> trie_;
  std::string pool_;
};

std::string base64_decode(std::string_view in);

}  // namespace lmx::tok
