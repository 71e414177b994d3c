// SPDX-License-Identifier: MIT
// Added tokens of tokenizer.json ("added_tokens": [...]): matched in the text before the
// model runs, leftmost first and longest first, as Hugging Face's AddedVocabulary does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lmx::tok {

class Normalizer;

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = false;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
};

// A run of text, or one matched added token (id >= 0), as byte offsets into the input.
struct AddedSplit {
  size_t begin, end;
  int32_t id;  // -1 for plain text
};

class AddedVocabulary {
 public:
  // Registers a token (a later token with the same id replaces the earlier one).
  void add(AddedToken token);
  // Builds the matchers; `normalizer` (may be null) normalizes the contents of tokens
  // with normalized=true. Call once after the last add().
  void build(const Normalizer* normalizer);
  // Splits `s` on the raw-text tokens (normalized=false) or on the normalized ones.
  std::vector<AddedSplit> split(std::string_view s, bool normalized_tokens) const;
  const AddedToken* by_id(int32_t id) const;
  std::optional<int32_t> find(std::string_view content) const;
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  // Byte trie: children of node n under byte b in `edges_`, root in `root_`.
  struct Trie {
    int32_t root[256];
    std::unordered_map<uint64_t, int32_t> edges;
    std::vector<int32_t> token_at;  // index into tokens_ or -1
    Trie();
    void insert(std::string_view s, int32_t token_index);
    // Longest token starting at s[pos]: returns its index and sets len, or -1.
    int32_t longest(std::string_view s, size_t pos, size_t& len) const;
  };
  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> by_id_;
  Trie raw_, normalized_;
};

}  // namespace lmx::tok
