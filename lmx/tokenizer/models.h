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

// Token strings by id and ids by string: one string arena and an open-addressing hash
// table of ids (cache-friendly for vocabularies of several hundred thousand tokens).
class Vocab {
 public:
  // Adds `token` with `id` (ids may come in any order; gaps stay unused). A token string
  // seen before keeps its first id for lookups.
  void add(std::string_view token, int32_t id);
  std::optional<int32_t> find(std::string_view token) const;
  // The token string, or nullopt when id is out of range or unused.
  std::optional<std::string_view> token(int32_t id) const {
    if (id < 0 || (size_t)id >= offsets_.size() || offsets_[id] == kUnused) return std::nullopt;
    return std::string_view(pool_.data() + offsets_[id], lengths_[id]);
  }
  size_t size() const { return offsets_.size(); }
  // Number of distinct token strings (Hugging Face's get_vocab_size).
  size_t count() const { return count_; }
  void reserve(size_t n);

 private:
  static constexpr uint64_t kUnused = ~0ull;
  static uint64_t hash(std::string_view s);
  void grow();
  std::string pool_;
  std::vector<uint64_t> offsets_;
  std::vector<uint32_t> lengths_;
  // Slots hold id+1 (0 = empty) and a 32-bit hash tag.
  std::vector<std::pair<uint32_t, uint32_t>> slots_;
  size_t count_ = 0;
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
  void reserve_merges(size_t n);
  void tokenize(std::string_view word, std::vector<int32_t>& out) const override;

 private:
  // Open-addressing table of merges keyed by the (left id, right id) pair.
  struct Merge {
    uint64_t key = kEmpty;
    int32_t rank = 0;
    int32_t new_id = 0;
  };
  static constexpr uint64_t kEmpty = ~0ull;
  const Merge* find_merge(int32_t a, int32_t b) const;
  void merge_word(std::string_view word, std::vector<int32_t>& out) const;
  static uint64_t key(int32_t a, int32_t b) { return ((uint64_t)(uint32_t)a << 32) | (uint32_t)b; }

  BpeOptions opt_;
  std::optional<int32_t> unk_id_;
  std::vector<Merge> merges_;
  size_t merge_count_ = 0;
  std::string scratch_;
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
  bool is_prefix(uint64_t h) const;
  std::vector<double> scores_;
  std::optional<int32_t> unk_id_;
  bool byte_fallback_;
  double unk_score_;
  size_t max_piece_bytes_ = 0;
  // Hashes of every prefix of every piece (open addressing; 0 = empty): the Viterbi
  // search stops extending a candidate once it is no piece's prefix.
  std::vector<uint64_t> prefixes_;
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

class JsonScanner;
// Where the large members of "model" are in the raw tokenizer.json text when they were
// left out of `j` (null there) to be scanned directly; npos when absent.
struct RawModelParts {
  const JsonScanner* scanner = nullptr;
  size_t vocab = std::string::npos, merges = std::string::npos;
};

// Builds the model described by tokenizer.json's "model" object.
std::unique_ptr<Model> make_model(const nlohmann::json& j, const RawModelParts& raw = {});

}  // namespace lmx::tok
