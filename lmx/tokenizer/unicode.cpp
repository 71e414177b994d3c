// SPDX-License-Identifier: MIT
#include "lmx/tokenizer/unicode.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

namespace lmx::tok {

namespace {

// Length of the valid UTF-8 sequence at s[pos], or 0 with `bad` set to the length of the
// maximal invalid subpart (Unicode "substitution of maximal subparts").
size_t valid_seq_len(std::string_view s, size_t pos, size_t& bad) {
  auto b = [&](size_t i) -> int { return pos + i < s.size() ? (unsigned char)s[pos + i] : -1; };
  int c0 = b(0);
  bad = 1;
  if (c0 < 0x80) return 1;
  int need;
  int lo = 0x80, hi = 0xBF;
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    need = 1;
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    need = 2;
    if (c0 == 0xE0) lo = 0xA0;
    if (c0 == 0xED) hi = 0x9F;
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    need = 3;
    if (c0 == 0xF0) lo = 0x90;
    if (c0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  for (int i = 1; i <= need; ++i) {
    int c = b(i);
    int l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
    if (c < l || c > h) {
      bad = i;
      return 0;
    }
  }
  return need + 1;
}

}  // namespace

uint32_t next_codepoint(std::string_view s, size_t& pos) {
  size_t bad;
  size_t n = valid_seq_len(s, pos, bad);
  if (n == 0) {
    pos += 1;
    return 0xFFFD;
  }
  auto u = [&](size_t i) { return (uint32_t)(unsigned char)s[pos + i]; };
  uint32_t cp;
  if (n == 1)
    cp = u(0);
  else if (n == 2)
    cp = ((u(0) & 0x1F) << 6) | (u(1) & 0x3F);
  else if (n == 3)
    cp = ((u(0) & 0x0F) << 12) | ((u(1) & 0x3F) << 6) | (u(2) & 0x3F);
  else
    cp = ((u(0) & 0x07) << 18) | ((u(1) & 0x3F) << 12) | ((u(2) & 0x3F) << 6) | (u(3) & 0x3F);
  pos += n;
  return cp;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back((char)cp);
  } else if (cp < 0x800) {
    out.push_back((char)(0xC0 | (cp >> 6)));
    out.push_back((char)(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back((char)(0xE0 | (cp >> 12)));
    out.push_back((char)(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back((char)(0x80 | (cp & 0x3F)));
  } else {
    out.push_back((char)(0xF0 | (cp >> 18)));
    out.push_back((char)(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back((char)(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back((char)(0x80 | (cp & 0x3F)));
  }
}

std::string to_utf8(uint32_t cp) {
  std::string s;
  append_utf8(s, cp);
  return s;
}

std::vector<uint32_t> to_codepoints(std::string_view s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) out.push_back(next_codepoint(s, pos));
  return out;
}

bool is_valid_utf8(std::string_view s) {
  for (size_t pos = 0, bad; pos < s.size();) {
    size_t n = valid_seq_len(s, pos, bad);
    if (n == 0) return false;
    pos += n;
  }
  return true;
}

std::string utf8_lossy(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t pos = 0, bad; pos < s.size();) {
    size_t n = valid_seq_len(s, pos, bad);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      pos += bad;
    } else {
      out.append(s.substr(pos, n));
      pos += n;
    }
  }
  return out;
}

size_t complete_utf8_prefix(std::string_view s) {
  // Look back at most 3 bytes for a lead byte whose sequence runs past the end.
  size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    unsigned char c = s[n - back];
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    int len = utf8_len(c);
    if (len > (int)back) {
      size_t bad;
      // Only hold back if the bytes so far could still become a valid sequence.
      std::string probe(s.substr(n - back));
      if (valid_seq_len(probe, 0, bad) == 0 && bad == back) return n - back;
    }
    break;
  }
  return n;
}

bool is_whitespace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

static int category(uint32_t cp) { return cp > 0x10FFFF ? 0 : utf8proc_category((int32_t)cp); }

bool is_numeric(uint32_t cp) {
  int c = category(cp);
  return c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

bool is_alphanumeric(uint32_t cp) {
  int c = category(cp);
  return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) || is_numeric(cp);
}

bool is_punctuation(uint32_t cp) {
  int c = category(cp);
  return c >= UTF8PROC_CATEGORY_PC && c <= UTF8PROC_CATEGORY_PO;
}

bool is_mark(uint32_t cp) {
  int c = category(cp);
  return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC || c == UTF8PROC_CATEGORY_ME;
}

bool is_nonspacing_mark(uint32_t cp) { return category(cp) == UTF8PROC_CATEGORY_MN; }

bool is_other(uint32_t cp) {
  int c = category(cp);
  return c == UTF8PROC_CATEGORY_CN || c == UTF8PROC_CATEGORY_CC || c == UTF8PROC_CATEGORY_CF ||
         c == UTF8PROC_CATEGORY_CS || c == UTF8PROC_CATEGORY_CO;
}

bool is_control(uint32_t cp) { return category(cp) == UTF8PROC_CATEGORY_CC; }

bool is_bert_control(uint32_t cp) {
  if (cp == '\t' || cp == '\n' || cp == '\r') return false;
  int c = category(cp);
  return c == UTF8PROC_CATEGORY_CC || c == UTF8PROC_CATEGORY_CF || c == UTF8PROC_CATEGORY_CN ||
         c == UTF8PROC_CATEGORY_CO;
}

bool is_bert_punctuation(uint32_t cp) {
  bool ascii_punct = (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
                     (cp >= 123 && cp <= 126);
  return ascii_punct || is_punctuation(cp);
}

bool is_chinese_char(uint32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

std::string normalize(std::string_view s, NormalForm form) {
  int opts = UTF8PROC_STABLE;
  switch (form) {
    case NormalForm::kNFC:
      opts |= UTF8PROC_COMPOSE;
      break;
    case NormalForm::kNFD:
      opts |= UTF8PROC_DECOMPOSE;
      break;
    case NormalForm::kNFKC:
      opts |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
      break;
    case NormalForm::kNFKD:
      opts |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
      break;
  }
  // ASCII is invariant under every form.
  bool ascii = true;
  for (char c : s) ascii &= (unsigned char)c < 0x80;
  if (ascii) return std::string(s);
  utf8proc_uint8_t* out = nullptr;
  utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t*)s.data(), (utf8proc_ssize_t)s.size(),
                                    &out, (utf8proc_option_t)opts);
  if (n < 0) return std::string(s);
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> guard(out, &std::free);
  return std::string((const char*)out, (size_t)n);
}

std::string to_lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) {
    uint32_t cp = next_codepoint(s, pos);
    if (cp < 0x80) {
      out.push_back((char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
    } else if (cp == 0x130) {
      out += "i\xCC\x87";  // the one multi-character lowercase mapping
    } else {
      append_utf8(out, (uint32_t)utf8proc_tolower((int32_t)cp));
    }
  }
  return out;
}

std::vector<size_t> grapheme_lengths(std::string_view s) {
  std::vector<size_t> out;
  utf8proc_int32_t state = 0;
  size_t start = 0;
  uint32_t prev = 0;
  bool first = true;
  for (size_t pos = 0; pos < s.size();) {
    size_t at = pos;
    uint32_t cp = next_codepoint(s, pos);
    if (!first && utf8proc_grapheme_break_stateful((int32_t)prev, (int32_t)cp, &state)) {
      out.push_back(at - start);
      start = at;
    }
    first = false;
    prev = cp;
  }
  if (start < s.size()) out.push_back(s.size() - start);
  return out;
}

const std::array<std::string, 256>& byte_to_unicode() {
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    uint32_t n = 0;
    for (int b = 0; b < 256; ++b) {
      bool keep = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      t[b] = to_utf8(keep ? (uint32_t)b : 256 + n++);
    }
    return t;
  }();
  return table;
}

int unicode_to_byte(uint32_t cp) {
  static const std::vector<int> table = [] {
    std::vector<int> t(512, -1);
    const auto& fwd = byte_to_unicode();
    for (int b = 0; b < 256; ++b) {
      size_t pos = 0;
      t[next_codepoint(fwd[b], pos)] = b;
    }
    return t;
  }();
  return cp < table.size() ? table[cp] : -1;
}

}  // namespace lmx::tok
