// SPDX-License-Identifier: MIT
// WordPiece (greedy longest match first) and WordLevel models.
#include "lmx/tokenizer/models.h"
#include "lmx/tokenizer/unicode.h"

namespace lmx::tok {

WordPiece::WordPiece(Vocab vocab, std::string unk_token, std::string prefix, size_t max_chars)
    : unk_token_(std::move(unk_token)), prefix_(std::move(prefix)), max_chars_(max_chars) {
  vocab_ = std::move(vocab);
}

void WordPiece::tokenize(std::string_view word, std::vector<int32_t>& out) const {
  auto unk = [&] {
    if (auto id = vocab_.find(unk_token_)) out.push_back(*id);
  };
  size_t nchars = 0;
  for (size_t pos = 0; pos < word.size(); ++nchars) next_codepoint(word, pos);
  if (nchars > max_chars_) return unk();
  std::vector<int32_t> ids;
  std::string candidate;
  for (size_t start = 0; start < word.size();) {
    size_t end = word.size();
    std::optional<int32_t> found;
    while (start < end) {
      candidate.clear();
      if (start > 0) candidate += prefix_;
      candidate.append(word.substr(start, end - start));
      if ((found = vocab_.find(candidate))) break;
      // Step back one character.
      do --end;
      while (end > start && ((unsigned char)word[end] & 0xC0) == 0x80);
    }
    if (!found) return unk();
    ids.push_back(*found);
    start = end;
  }
  out.insert(out.end(), ids.begin(), ids.end());
}

WordLevel::WordLevel(Vocab vocab, std::string unk_token) : unk_token_(std::move(unk_token)) {
  vocab_ = std::move(vocab);
}

void WordLevel::tokenize(std::string_view word, std::vector<int32_t>& out) const {
  if (auto id = vocab_.find(word))
    out.push_back(*id);
  else if (auto unk = vocab_.find(unk_token_))
    out.push_back(*unk);
}

}  // namespace lmx::tok
