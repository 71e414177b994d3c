// SPDX-License-Identifier: MIT
// Decoders of tokenizer.json ("decoder": {...}): turn token strings back into text.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>
#include <vector>

namespace lmx::tok {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Rewrites the token strings (Hugging Face's decode_chain). Thread-safe.
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
  // The decoded text: decode_chain, then concatenation.
  std::string decode(std::vector<std::string> tokens) const;
};

// Builds the decoder described by `j` (null gives nullptr).
std::unique_ptr<Decoder> make_decoder(const nlohmann::json& j);

// The byte-level decoder (GPT-2 alphabet back to bytes, then lossy UTF-8).
std::unique_ptr<Decoder> make_byte_level_decoder();
// Hugging Face's WordPiece cleanup of spaces before punctuation and contractions.
std::string cleanup_tokenization(std::string s);

}  // namespace lmx::tok
