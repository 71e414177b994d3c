// SPDX-License-Identifier: MIT
// Tokenization models of tokenizer.json ("model": {...}): BPE, Unigram, WordPiece and
// WordLevel. Each turns one pre-tokenized word into ids.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace lmx::tok {

// Hash and equality that let unordered_map<std::string, ...> be searched by string_view.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using StringMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

// Token strings by id and ids by string.
class Vocab {
 public:
  // Adds `token` with `id` (ids may come in any order; gaps are empty strings).
  void add(std::string token, int32_t id);
  std::optional<int32_t> find(std::string_view token) const {
    auto it = to_id_.find(token);
    if (it == to_id_.end()) return std::nullopt;
    return it->second;
  }
  // The token string, or nullptr when id is out of range or unused.
  const std::string* token(int32_t id) const {
    return id >= 0 && (size_t)id < to_token_.size() && has_[id] ? &to_token_[id] : nullptr;
  }
  size_t size() const { return to_token_.size(); }
  void reserve(size_t n) {
    to_id_.reserve(n);
    to_token_.reserve(n);
    has_.reserve(n);
  }

 private:
  StringMap to_id_;
  std::vector<std::string> to_token_;
  std::vector<bool> has_;
};

class Model {
 public:
  virtual ~Model() = default;
  // Appends the ids of one word to `out`. Thread-safe.
  virtual void tokenize(std::string_view word, std::vector<int32_t>& out) const = 0;
  const Vocab& vocab() const { return vocab_; }

 protected:
  Vocab vocab_;
};

// Per-word id cache shared by the models (bounded; cleared when full). Thread-safe.
class WordCache {
 public:
  bool get(std::string_view word, std::vector<int32_t>& out) const;
  void put(std::string_view word, const std::vector<int32_t>& ids) const;

 private:
  static constexpr size_t kCapacity = 1 << 16;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> map_;
};

struct BpeOptions {
  std::optional<std::string> unk_token;
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
  bool byte_fallback = false;
  bool fuse_unk = false;
  bool ignore_merges = false;
};

// Byte-pair encoding with ranked merges; merging is O(n log n) per word (a heap of
// candidate pairs over a linked list of symbols).
class Bpe : public Model {
 public:
  Bpe(Vocab vocab, BpeOptions options);
  // Adds the merge (left, right) with priority `rank` (lower merges first) producing the
  // token left+right (prefix handling as Hugging Face). Returns false when a part or the
  // result is not in the vocabulary.
  bool add_merge(std::string_view left, std::string_view right, int32_t rank);
  void tokenize(std::string_view word, std::vector<int32_t>& out) const override;

 private:
  struct Merge {
    int32_t rank;
    int32_t new_id;
  };
  void merge_word(std::string_view word, std::vector<int32_t>& out) const;
  static uint64_t key(int32_t a, int32_t b) { return ((uint64_t)(uint32_t)a << 32) | (uint32_t)b; }

  BpeOptions opt_;
  std::optional<int32_t> unk_id_;
  std::unordered_map<uint64_t, Merge> merges_;
  int32_t byte_ids_[256];
  WordCache cache_;
};

// Unigram language model with Viterbi decoding (SentencePiece's algorithm).
class Unigram : public Model {
 public:
  Unigram(std::vector<std::pair<std::string, double>> pieces, std::optional<int32_t> unk_id,
          bool byte_fallback);
  void tokenize(std::string_view word, std::vector<int32_t>& out) const override;

 private:
  std::vector<double> scores_;
  std::optional<int32_t> unk_id_;
  bool byte_fallback_;
  double unk_score_;
  size_t max_piece_bytes_ = 0;
  WordCache cache_;
};

// Greedy longest-match-first WordPiece (BERT).
class WordPiece : public Model {
 public:
  WordPiece(Vocab vocab, std::string unk_token, std::string prefix, size_t max_chars);
  void tokenize(std::string_view word, std::vector<int32_t>& out) const override;

 private:
  std::string unk_token_, prefix_;
  size_t max_chars_;
};

// One id per word, or the unknown token.
class WordLevel : public Model {
 public:
  WordLevel(Vocab vocab, std::string unk_token);
  void tokenize(std::string_view word, std::vector<int32_t>& out) const override;

 private:
  std::string unk_token_;
};

// Builds the model described by tokenizer.json's "model" object.
std::unique_ptr<Model> make_model(const nlohmann::json& j);

}  // namespace lmx::tok
