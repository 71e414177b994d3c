// SPDX-License-Identifier: MIT
#include "lmx/tokenizer/added_tokens.h"

#include "lmx/tokenizer/normalizers.h"
#include "lmx/tokenizer/unicode.h"

namespace lmx::tok {

namespace {

// Rust regex's \w: alphanumeric, marks and connector punctuation.
bool is_word_char(uint32_t cp) {
  return is_alphanumeric(cp) || is_mark(cp) || cp == '_' || cp == 0x200C || cp == 0x200D ||
         (is_punctuation(cp) &&
          (cp == 0x203F || cp == 0x2040 || cp == 0x2054 || cp == 0xFE33 || cp == 0xFE34 ||
           cp == 0xFE4D || cp == 0xFE4E || cp == 0xFE4F || cp == 0xFF3F));
}

uint32_t last_codepoint(std::string_view s, size_t end, size_t& start) {
  start = end;
  do --start;
  while (start > 0 && ((unsigned char)s[start] & 0xC0) == 0x80);
  size_t p = start;
  return next_codepoint(s, p);
}

}  // namespace

AddedVocabulary::Trie::Trie() {
  for (auto& r : root) r = -1;
}

void AddedVocabulary::Trie::insert(std::string_view s, int32_t token_index) {
  if (s.empty()) return;
  int32_t node = -1;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char b = s[i];
    int32_t* slot;
    int32_t found = -1;
    if (node < 0) {
      slot = &root[b];
      found = *slot;
    } else {
      auto it = edges.find(((uint64_t)node << 8) | b);
      if (it != edges.end()) found = it->second;
      slot = nullptr;
    }
    if (found < 0) {
      found = (int32_t)token_at.size();
      token_at.push_back(-1);
      if (slot)
        *slot = found;
      else
        edges.emplace(((uint64_t)node << 8) | b, found);
    }
    node = found;
  }
  token_at[node] = token_index;
}

int32_t AddedVocabulary::Trie::longest(std::string_view s, size_t pos, size_t& len) const {
  int32_t node = root[(unsigned char)s[pos]];
  int32_t best = -1;
  for (size_t i = pos; node >= 0;) {
    if (token_at[node] >= 0) best = token_at[node], len = i + 1 - pos;
    if (++i >= s.size()) break;
    auto it = edges.find(((uint64_t)node << 8) | (unsigned char)s[i]);
    node = it == edges.end() ? -1 : it->second;
  }
  return best;
}

void AddedVocabulary::add(AddedToken token) {
  auto it = by_id_.find(token.id);
  if (it != by_id_.end()) {
    tokens_[it->second] = std::move(token);
    return;
  }
  by_id_[token.id] = tokens_.size();
  tokens_.push_back(std::move(token));
}

void AddedVocabulary::build(const Normalizer* normalizer) {
  raw_ = Trie();
  normalized_ = Trie();
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const auto& t = tokens_[i];
    if (t.normalized) {
      std::string c = t.content;
      if (normalizer) normalizer->normalize(c);
      normalized_.insert(c, (int32_t)i);
    } else {
      raw_.insert(t.content, (int32_t)i);
    }
  }
}

std::vector<AddedSplit> AddedVocabulary::split(std::string_view s, bool normalized_tokens) const {
  const Trie& trie = normalized_tokens ? normalized_ : raw_;
  std::vector<AddedSplit> out;
  size_t start_offset = 0;
  for (size_t pos = 0; pos < s.size();) {
    size_t len = 0;
    int32_t ti = trie.longest(s, pos, len);
    if (ti < 0) {
      ++pos;
      continue;
    }
    const AddedToken& t = tokens_[ti];
    size_t start = pos, stop = pos + len;
    pos = stop;  // the matcher resumes after this match even when it is discarded
    if (t.single_word) {
      size_t cs;
      bool start_ok = start == 0 || !is_word_char(last_codepoint(s, start, cs));
      size_t p = stop;
      bool stop_ok = stop == s.size() || !is_word_char(next_codepoint(s, p));
      if (!start_ok || !stop_ok) continue;
    }
    if (t.lstrip) {
      size_t b = start;
      while (b > start_offset) {
        size_t cs;
        if (!is_whitespace(last_codepoint(s, b, cs))) break;
        b = cs;
      }
      start = b;
    }
    if (t.rstrip) {
      size_t e = stop;
      while (e < s.size()) {
        size_t p = e;
        if (!is_whitespace(next_codepoint(s, p))) break;
        e = p;
      }
      stop = e;
      pos = std::max(pos, stop);
    }
    if (start_offset < start) out.push_back({start_offset, start, -1});
    out.push_back({start, stop, t.id});
    start_offset = stop;
  }
  if (start_offset < s.size()) out.push_back({start_offset, s.size(), -1});
  return out;
}

const AddedToken* AddedVocabulary::by_id(int32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

std::optional<int32_t> AddedVocabulary::find(std::string_view content) const {
  for (const auto& t : tokens_)
    if (t.content == content) return t.id;
  return std::nullopt;
}

}  // namespace lmx::tok
