// SPDX-License-Identifier: MIT
// Byte-pair encoding as Hugging Face tokenizers' BPE model does it.
#include <cstdio>
#include <queue>

#include "lmx/tokenizer/models.h"
#include "lmx/tokenizer/unicode.h"

namespace lmx::tok {

void Vocab::add(std::string token, int32_t id) {
  if (id < 0) return;
  if ((size_t)id >= to_token_.size()) {
    to_token_.resize(id + 1);
    has_.resize(id + 1, false);
  }
  to_id_.emplace(token, id);
  to_token_[id] = std::move(token);
  has_[id] = true;
}

bool WordCache::get(std::string_view word, std::vector<int32_t>& out) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(word);
  if (it == map_.end()) return false;
  out.insert(out.end(), it->second.begin(), it->second.end());
  return true;
}

void WordCache::put(std::string_view word, const std::vector<int32_t>& ids) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (map_.size() >= kCapacity) map_.clear();
  map_.emplace(std::string(word), ids);
}

Bpe::Bpe(Vocab vocab, BpeOptions options) : opt_(std::move(options)) {
  vocab_ = std::move(vocab);
  if (opt_.unk_token) unk_id_ = vocab_.find(*opt_.unk_token);
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "<0x%02X>", b);
    byte_ids_[b] = vocab_.find(buf).value_or(-1);
  }
}

bool Bpe::add_merge(std::string_view left, std::string_view right, int32_t rank) {
  auto a = vocab_.find(left), b = vocab_.find(right);
  if (!a || !b) return false;
  std::string merged(left);
  std::string_view tail = right;
  const auto& prefix = opt_.continuing_subword_prefix;
  if (!prefix.empty() && tail.substr(0, prefix.size()) == prefix) tail.remove_prefix(prefix.size());
  merged += tail;
  auto id = vocab_.find(merged);
  if (!id) return false;
  merges_.emplace(key(*a, *b), Merge{rank, *id});
  return true;
}

void Bpe::tokenize(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (opt_.ignore_merges) {
    if (auto id = vocab_.find(word)) {
      out.push_back(*id);
      return;
    }
  }
  if (cache_.get(word, out)) return;
  std::vector<int32_t> ids;
  merge_word(word, ids);
  cache_.put(word, ids);
  out.insert(out.end(), ids.begin(), ids.end());
}

void Bpe::merge_word(std::string_view w, std::vector<int32_t>& out) const {
  struct Symbol {
    int32_t id;
    int32_t prev, next;
    bool alive;
  };
  std::vector<Symbol> syms;
  syms.reserve(w.size());
  auto add = [&](int32_t id) {
    int32_t n = (int32_t)syms.size();
    syms.push_back({id, n - 1, -1, true});
    if (n > 0) syms[n - 1].next = n;
  };
  // Pending unknown token (fused when fuse_unk).
  bool have_unk = false;
  std::string piece;
  for (size_t i = 0; i < w.size();) {
    size_t len = std::min<size_t>(utf8_len((unsigned char)w[i]), w.size() - i);
    bool first = i == 0, last = i + len == w.size();
    piece.clear();
    if (!first) piece += opt_.continuing_subword_prefix;
    piece.append(w.substr(i, len));
    if (last) piece += opt_.end_of_word_suffix;
    i += len;
    if (auto id = vocab_.find(piece)) {
      if (have_unk) add(*unk_id_), have_unk = false;
      add(*id);
      continue;
    }
    if (opt_.byte_fallback) {
      bool all = true;
      for (unsigned char c : piece) all &= byte_ids_[c] >= 0;
      if (all) {
        for (unsigned char c : piece) add(byte_ids_[c]);
        continue;
      }
    }
    if (unk_id_) {
      if (have_unk && !opt_.fuse_unk) add(*unk_id_);
      have_unk = true;
    }
  }
  if (have_unk) add(*unk_id_);

  struct Cand {
    int32_t rank, pos, new_id;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
  auto push_pair = [&](int32_t pos) {
    if (pos < 0) return;
    int32_t nx = syms[pos].next;
    if (nx < 0) return;
    auto it = merges_.find(key(syms[pos].id, syms[nx].id));
    if (it != merges_.end()) heap.push({it->second.rank, pos, it->second.new_id});
  };
  for (int32_t i = 0; i + 1 < (int32_t)syms.size(); ++i) push_pair(i);
  while (!heap.empty()) {
    Cand top = heap.top();
    heap.pop();
    Symbol& s = syms[top.pos];
    if (!s.alive || s.next < 0) continue;
    Symbol& right = syms[s.next];
    auto it = merges_.find(key(s.id, right.id));
    if (it == merges_.end() || it->second.new_id != top.new_id) continue;  // stale
    s.id = top.new_id;
    right.alive = false;
    s.next = right.next;
    if (right.next >= 0) syms[right.next].prev = top.pos;
    push_pair(s.prev);
    push_pair(top.pos);
  }
  for (int32_t i = syms.empty() ? -1 : 0; i >= 0; i = syms[i].next) out.push_back(syms[i].id);
}

}  // namespace lmx::tok
