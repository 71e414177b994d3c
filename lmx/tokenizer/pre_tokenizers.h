// SPDX-License-Identifier: MIT
// Pre-tokenizers of tokenizer.json ("pre_tokenizer": {...}): split normalized text into
// the words the model tokenizes one by one.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>
#include <vector>

namespace lmx::tok {

// One split of the input. `at_start` is true when the split begins at offset 0 of the
// original text (Metaspace's prepend_scheme "first" depends on it).
struct Piece {
  std::string text;
  bool at_start = false;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces `pieces` with their splits; empty splits are dropped. Thread-safe.
  virtual void pre_tokenize(std::vector<Piece>& pieces) const = 0;
};

// Builds the pre-tokenizer described by `j` (null gives nullptr).
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json& j);

// How a Split keeps its delimiters (Hugging Face's SplitDelimiterBehavior).
enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };
SplitBehavior parse_split_behavior(const std::string& name);

// Segments of a string: [begin, end) and whether the segment is a delimiter match.
struct Segment {
  size_t begin, end;
  bool is_match;
};
// Applies `behavior` to segments covering a string; returns the kept [begin, end) ranges.
std::vector<std::pair<size_t, size_t>> apply_split_behavior(const std::vector<Segment>& segs,
                                                            SplitBehavior behavior);

}  // namespace lmx::tok
