// SPDX-License-Identifier: MIT
// The internal interface behind lmx::Tokenizer: the Hugging Face pipeline
// (tokenizer.json, tokenizer.model) and the llama.cpp-compatible GGUF vocabulary.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lmx/tokenizer/added_tokens.h"
#include "lmx/tokenizer/decoders.h"
#include "lmx/tokenizer/models.h"
#include "lmx/tokenizer/normalizers.h"
#include "lmx/tokenizer/post_processors.h"
#include "lmx/tokenizer/pre_tokenizers.h"

namespace lmx::tok {

class Engine {
 public:
  virtual ~Engine() = default;
  // All methods are thread-safe.
  virtual std::vector<int32_t> encode(std::string_view text, bool add_special) const = 0;
  virtual std::string decode(const std::vector<int32_t>& ids, bool skip_special) const = 0;
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;
  virtual std::optional<std::string> id_to_token(int32_t id) const = 0;
  virtual size_t vocab_size() const = 0;
  virtual bool is_special(int32_t id) const = 0;
  // Whether decoding a lone token after others may differ from its piece (SentencePiece
  // leading-space stripping); the streaming detokenizer keeps context when so.
  virtual bool strips_leading_space() const { return false; }
  // Ids the vocabulary file itself names ("bos", "eos", "pad", "unk", "eot").
  virtual std::optional<int32_t> special_id(std::string_view which) const { return std::nullopt; }
};

// normalizer -> added tokens -> pre-tokenizer -> model -> post-processor; decoder.
class Pipeline : public Engine {
 public:
  std::unique_ptr<Normalizer> normalizer;
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  std::unique_ptr<Model> model;
  std::unique_ptr<PostProcessor> post_processor;
  std::unique_ptr<Decoder> decoder;
  AddedVocabulary added;

  std::vector<int32_t> encode(std::string_view text, bool add_special) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special) const override;
  std::optional<int32_t> token_to_id(std::string_view token) const override;
  std::optional<std::string> id_to_token(int32_t id) const override;
  size_t vocab_size() const override;
  bool is_special(int32_t id) const override;
  std::optional<int32_t> special_id(std::string_view which) const override;
  // Special ids known to the loader (tokenizer.model names bos/eos/pad/unk).
  std::optional<int32_t> bos, eos, pad, unk;
};

// Reads a whole file; throws TokenizerError when it cannot be opened.
std::string read_file(const std::string& path);

// Loaders; each throws TokenizerError naming the file and key at fault.
std::unique_ptr<Pipeline> load_tokenizer_json(const std::string& path);
std::unique_ptr<Pipeline> parse_tokenizer_json(const std::string& text, const std::string& origin);
std::unique_ptr<Pipeline> load_sentencepiece_model(const std::string& path);
std::unique_ptr<Engine> load_gguf_vocab(const std::string& path);

}  // namespace lmx::tok
