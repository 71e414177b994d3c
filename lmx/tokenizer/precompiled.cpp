// SPDX-License-Identifier: MIT
// The SentencePiece precompiled charsmap: the blob starts with a little-endian uint32
// byte size of the double-array trie, then the trie units, then the replacement pool.
#include <cstring>

#include "lmx/tokenizer/error.h"
#include "lmx/tokenizer/normalizers.h"
#include "lmx/tokenizer/unicode.h"

namespace lmx::tok {

std::string base64_decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = val(c);
    if (v < 0) continue;  // padding and whitespace
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back((char)((acc >> bits) & 0xFF));
    }
  }
  return out;
}

PrecompiledCharsmap::PrecompiledCharsmap(std::string blob) {
  if (blob.empty()) return;
  if (blob.size() < 4) throw TokenizerError("precompiled_charsmap: blob shorter than 4 bytes");
  uint32_t trie_bytes;
  std::memcpy(&trie_bytes, blob.data(), 4);
  if (trie_bytes % 4 != 0 || 4 + (size_t)trie_bytes > blob.size())
    throw TokenizerError("precompiled_charsmap: trie size " + std::to_string(trie_bytes) +
                         " does not fit the " + std::to_string(blob.size()) + "-byte blob");
  trie_.resize(trie_bytes / 4);
  std::memcpy(trie_.data(), blob.data() + 4, trie_bytes);
  pool_ = blob.substr(4 + trie_bytes);
}

const char* PrecompiledCharsmap::transform(std::string_view chunk, size_t& len) const {
  if (trie_.empty()) return nullptr;
  // darts-clone unit layout: offset in bits 10.. (shifted by 8 when bit 9 is set),
  // label in bits 0-7 (bit 31 marks value units), has_leaf in bit 8.
  auto offset = [](uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); };
  size_t node = offset(trie_[0]);
  for (unsigned char c : chunk) {
    if (c == 0) break;
    node ^= c;
    if (node >= trie_.size()) return nullptr;
    uint32_t unit = trie_[node];
    if ((unit & ((1u << 31) | 0xFF)) != c) return nullptr;
    node ^= offset(unit);
    if ((unit >> 8) & 1) {
      if (node >= trie_.size()) return nullptr;
      size_t at = trie_[node] & ((1u << 31) - 1);
      if (at >= pool_.size()) return nullptr;
      // The first (shortest) match wins, as in Hugging Face's spm_precompiled.
      const char* p = pool_.data() + at;
      len = strnlen(p, pool_.size() - at);
      return p;
    }
  }
  return nullptr;
}

std::string PrecompiledCharsmap::normalize(std::string_view s) const {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  for (size_t glen : grapheme_lengths(s)) {
    std::string_view g = s.substr(pos, glen);
    pos += glen;
    size_t n = 0;
    if (glen < 6) {
      if (const char* r = transform(g, n)) {
        out.append(r, n);
        continue;
      }
    }
    for (size_t i = 0; i < g.size();) {
      size_t j = i;
      next_codepoint(g, j);
      std::string_view part = g.substr(i, j - i);
      if (const char* r = transform(part, n))
        out.append(r, n);
      else
        out.append(part);
      i = j;
    }
  }
  return out;
}

}  // namespace lmx::tok
