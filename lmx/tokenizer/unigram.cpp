// SPDX-License-Identifier: MIT
// Unigram language model tokenization (Viterbi), as Hugging Face tokenizers does it.
#include <algorithm>
#include <cstdio>
#include <limits>

#include "lmx/tokenizer/models.h"
#include "lmx/tokenizer/unicode.h"

namespace lmx::tok {

namespace {
constexpr double kUnkPenalty = 10.0;
// FNV-1a step; never 0 for a non-empty prefix in practice (0 marks empty slots).
inline uint64_t fnv_step(uint64_t h, unsigned char c) { return (h ^ c) * 0x100000001b3ull; }
constexpr uint64_t kFnvBasis = 0xcbf29ce484222325ull;
inline size_t slot_of(uint64_t h, size_t mask) {
  return (size_t)((h ^ (h >> 29)) * 0x9E3779B97F4A7C15ull >> 7) & mask;
}
}  // namespace

bool Unigram::is_prefix(uint64_t h) const {
  size_t mask = prefixes_.size() - 1;
  for (size_t i = slot_of(h, mask);; i = (i + 1) & mask) {
    if (prefixes_[i] == h) return true;
    if (prefixes_[i] == 0) return false;
  }
}

Unigram::Unigram(std::vector<std::pair<std::string, double>> pieces, std::optional<int32_t> unk_id,
                 bool byte_fallback)
    : unk_id_(unk_id), byte_fallback_(byte_fallback) {
  vocab_.reserve(pieces.size());
  scores_.reserve(pieces.size());
  double min_score = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < pieces.size(); ++i) {
    max_piece_bytes_ = std::max(max_piece_bytes_, pieces[i].first.size());
    vocab_.add(pieces[i].first, (int32_t)i);
    scores_.push_back(pieces[i].second);
    min_score = std::min(min_score, pieces[i].second);
  }
  unk_score_ = min_score - kUnkPenalty;
  size_t total = 0;
  for (size_t i = 0; i < vocab_.size(); ++i)
    if (auto t = vocab_.token((int32_t)i)) total += t->size();
  size_t cap = 16;
  while (cap < total * 2) cap <<= 1;
  prefixes_.assign(cap, 0);
  size_t mask = cap - 1;
  for (size_t id = 0; id < vocab_.size(); ++id) {
    auto t = vocab_.token((int32_t)id);
    if (!t) continue;
    uint64_t h = kFnvBasis;
    for (unsigned char c : *t) {
      h = fnv_step(h, c);
      for (size_t i = slot_of(h, mask);; i = (i + 1) & mask) {
        if (prefixes_[i] == h) break;
        if (prefixes_[i] == 0) {
          prefixes_[i] = h;
          break;
        }
      }
    }
  }
}

void Unigram::tokenize(std::string_view s, std::vector<int32_t>& out) const {
  if (s.empty()) return;
  if (cache_.get(s, out)) return;
  struct Node {
    int32_t id = -1;
    double score = 0;
    int64_t starts_at = -1;
  };
  const size_t n = s.size();
  std::vector<Node> best(n + 1);
  for (size_t start = 0; start < n;) {
    double base = best[start].score;
    size_t mblen = std::min<size_t>(utf8_len((unsigned char)s[start]), n - start);
    bool single = false;
    size_t max_len = std::min(max_piece_bytes_, n - start);
    uint64_t h = kFnvBasis;
    for (size_t len = 1; len <= max_len; ++len) {
      size_t end = start + len;
      h = fnv_step(h, (unsigned char)s[end - 1]);
      if (!is_prefix(h)) break;
      // Pieces end on character boundaries.
      if (end < n && ((unsigned char)s[end] & 0xC0) == 0x80) continue;
      auto id = vocab_.find(s.substr(start, len));
      if (!id) continue;
      double cand = scores_[*id] + base;
      Node& t = best[end];
      if (t.starts_at < 0 || cand > t.score) t = {*id, cand, (int64_t)start};
      if (len == mblen) single = true;
    }
    if (!single) {
      Node& t = best[start + mblen];
      double cand = unk_score_ + base;
      if (t.starts_at < 0 || cand > t.score) t = {unk_id_.value_or(-1), cand, (int64_t)start};
    }
    start += mblen;
  }
  // Backtrack; consecutive unknown pieces are fused.
  std::vector<std::string_view> pieces;
  size_t fused_begin = std::string::npos, fused_end = 0;
  for (size_t end = n; end > 0;) {
    const Node& node = best[end];
    size_t start = (size_t)node.starts_at;
    bool unk = unk_id_ && node.id == *unk_id_;
    if (unk) {
      if (fused_begin == std::string::npos) fused_end = end;
      fused_begin = start;
    } else {
      if (fused_begin != std::string::npos)
        pieces.push_back(s.substr(fused_begin, fused_end - fused_begin)),
            fused_begin = std::string::npos;
      pieces.push_back(s.substr(start, end - start));
    }
    end = start;
  }
  if (fused_begin != std::string::npos)
    pieces.push_back(s.substr(fused_begin, fused_end - fused_begin));
  std::reverse(pieces.begin(), pieces.end());

  std::vector<int32_t> ids;
  for (std::string_view p : pieces) {
    if (auto id = vocab_.find(p)) {
      ids.push_back(*id);
      continue;
    }
    if (byte_fallback_) {
      std::vector<int32_t> bytes;
      for (unsigned char c : p) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "<0x%02X>", c);
        if (auto id = vocab_.find(buf))
          bytes.push_back(*id);
        else
          break;
      }
      if (bytes.size() == p.size()) {
        ids.insert(ids.end(), bytes.begin(), bytes.end());
        continue;
      }
    }
    if (unk_id_) ids.push_back(*unk_id_);
  }
  cache_.put(s, ids);
  out.insert(out.end(), ids.begin(), ids.end());
}

}  // namespace lmx::tok
