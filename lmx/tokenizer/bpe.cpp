// SPDX-License-Identifier: MIT
// Byte-pair encoding as Hugging Face tokenizers' BPE model does it.
#include <cstdio>
#include <queue>

#include "lmx/tokenizer/models.h"
#include "lmx/tokenizer/unicode.h"

namespace lmx::tok {

uint64_t Vocab::hash(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a, then a final mix
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  h ^= h >> 32;
  return h * 0x9E3779B97F4A7C15ull;
}

void Vocab::reserve(size_t n) {
  offsets_.reserve(n);
  lengths_.reserve(n);
  size_t cap = 16;
  while (cap < n * 2) cap <<= 1;
  if (cap > slots_.size()) {
    auto old = std::move(slots_);
    slots_.assign(cap, {0, 0});
    for (auto [slot, tag] : old)
      if (slot) {
        size_t mask = slots_.size() - 1;
        auto t = *token((int32_t)slot - 1);
        for (size_t i = hash(t) & mask;; i = (i + 1) & mask)
          if (!slots_[i].first) {
            slots_[i] = {slot, tag};
            break;
          }
      }
  }
}

void Vocab::grow() { reserve(std::max<size_t>(count_ + 1, slots_.size())); }

void Vocab::add(std::string_view token, int32_t id) {
  if (id < 0) return;
  if ((size_t)id >= offsets_.size()) {
    offsets_.resize(id + 1, kUnused);
    lengths_.resize(id + 1, 0);
  }
  if ((count_ + 1) * 2 > slots_.size()) grow();
  offsets_[id] = pool_.size();
  lengths_[id] = (uint32_t)token.size();
  pool_.append(token);
  uint64_t h = hash(token);
  size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    auto& [slot, tag] = slots_[i];
    if (!slot) {
      slot = (uint32_t)id + 1;
      tag = (uint32_t)(h >> 32);
      ++count_;
      return;
    }
    if (tag == (uint32_t)(h >> 32) && *this->token((int32_t)slot - 1) == token) return;
  }
}

std::optional<int32_t> Vocab::find(std::string_view token) const {
  if (slots_.empty()) return std::nullopt;
  uint64_t h = hash(token);
  size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    auto [slot, tag] = slots_[i];
    if (!slot) return std::nullopt;
    if (tag == (uint32_t)(h >> 32)) {
      int32_t id = (int32_t)slot - 1;
      if (std::string_view(pool_.data() + offsets_[id], lengths_[id]) == token) return id;
    }
  }
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

static uint64_t mix(uint64_t k) {
  k ^= k >> 31;
  k *= 0x9E3779B97F4A7C15ull;
  return k ^ (k >> 29);
}

void Bpe::reserve_merges(size_t n) {
  size_t cap = 16;
  while (cap < n * 2) cap <<= 1;
  if (cap <= merges_.size()) return;
  std::vector<Merge> old = std::move(merges_);
  merges_.assign(cap, Merge{});
  for (const Merge& m : old)
    if (m.key != kEmpty)
      for (size_t i = mix(m.key) & (cap - 1);; i = (i + 1) & (cap - 1))
        if (merges_[i].key == kEmpty) {
          merges_[i] = m;
          break;
        }
}

const Bpe::Merge* Bpe::find_merge(int32_t a, int32_t b) const {
  if (merges_.empty()) return nullptr;
  uint64_t k = key(a, b);
  size_t mask = merges_.size() - 1;
  for (size_t i = mix(k) & mask;; i = (i + 1) & mask) {
    const Merge& m = merges_[i];
    if (m.key == k) return &m;
    if (m.key == kEmpty) return nullptr;
  }
}

bool Bpe::add_merge(std::string_view left, std::string_view right, int32_t rank) {
  auto a = vocab_.find(left), b = vocab_.find(right);
  if (!a || !b) return false;
  std::string_view tail = right;
  const auto& prefix = opt_.continuing_subword_prefix;
  if (!prefix.empty() && tail.substr(0, prefix.size()) == prefix) tail.remove_prefix(prefix.size());
  scratch_.assign(left);
  scratch_ += tail;
  auto id = vocab_.find(scratch_);
  if (!id) return false;
  if ((merge_count_ + 1) * 2 > merges_.size())
    reserve_merges(std::max<size_t>(merge_count_ + 1, 1024));
  uint64_t k = key(*a, *b);
  size_t mask = merges_.size() - 1;
  for (size_t i = mix(k) & mask;; i = (i + 1) & mask) {
    Merge& m = merges_[i];
    if (m.key == k) return true;  // the first (lowest rank) occurrence wins
    if (m.key == kEmpty) {
      m = {k, rank, *id};
      ++merge_count_;
      return true;
    }
  }
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
    if (const Merge* m = find_merge(syms[pos].id, syms[nx].id))
      heap.push({m->rank, pos, m->new_id});
  };
  for (int32_t i = 0; i + 1 < (int32_t)syms.size(); ++i) push_pair(i);
  while (!heap.empty()) {
    Cand top = heap.top();
    heap.pop();
    Symbol& s = syms[top.pos];
    if (!s.alive || s.next < 0) continue;
    Symbol& right = syms[s.next];
    const Merge* m = find_merge(s.id, right.id);
    if (!m || m->new_id != top.new_id) continue;  // stale
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
