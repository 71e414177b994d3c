// SPDX-License-Identifier: MIT
// UTF-8 and Unicode helpers for the tokenizers: decoding, character classes that follow
// Rust's `char` methods (which Hugging Face tokenizers use), normalization forms, and the
// GPT-2 byte-to-character table.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lmx::tok {

// Byte length of the UTF-8 sequence that starts with `lead` (1 for stray bytes).
inline int utf8_len(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

// Decodes one code point at s[pos] and advances pos; invalid bytes give U+FFFD, one byte.
uint32_t next_codepoint(std::string_view s, size_t& pos);
// Appends the UTF-8 encoding of cp.
void append_utf8(std::string& out, uint32_t cp);
std::string to_utf8(uint32_t cp);
std::vector<uint32_t> to_codepoints(std::string_view s);
// Whether s is well-formed UTF-8.
bool is_valid_utf8(std::string_view s);
// Rust's String::from_utf8_lossy: each maximal invalid subsequence becomes U+FFFD.
std::string utf8_lossy(std::string_view bytes);
// Length of the longest prefix of s that is complete UTF-8 (an incomplete trailing
// sequence is left out).
size_t complete_utf8_prefix(std::string_view s);

// Character classes (Rust `char` semantics where one exists).
bool is_whitespace(uint32_t cp);  // White_Space property
bool is_alphanumeric(uint32_t cp);
bool is_numeric(uint32_t cp);          // General category N*
bool is_punctuation(uint32_t cp);      // General category P*
bool is_mark(uint32_t cp);             // General category M*
bool is_nonspacing_mark(uint32_t cp);  // General category Mn (what BERT's strip_accents removes)
bool is_control(uint32_t cp);
bool is_other(uint32_t cp);             // General category C* (Cc, Cf, Cs, Co, Cn)
bool is_bert_control(uint32_t cp);      // Cc/Cf/Cn/Co except \t \n \r
bool is_bert_punctuation(uint32_t cp);  // ASCII punctuation or P*
bool is_chinese_char(uint32_t cp);

// Unicode normalization forms (via utf8proc); invalid UTF-8 is returned unchanged.
enum class NormalForm { kNFC, kNFD, kNFKC, kNFKD };
std::string normalize(std::string_view s, NormalForm form);
// Full lowercase mapping, as Rust's str::to_lowercase.
std::string to_lower(std::string_view s);
// Splits s into extended grapheme clusters (byte lengths).
std::vector<size_t> grapheme_lengths(std::string_view s);

// GPT-2 byte-level alphabet: byte -> UTF-8 of its printable stand-in, and back (-1 if
// the code point is not in the alphabet).
const std::array<std::string, 256>& byte_to_unicode();
int unicode_to_byte(uint32_t cp);

}  // namespace lmx::tok
