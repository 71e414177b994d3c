// SPDX-License-Identifier: MIT
#include "lmx/tokenizer/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "lmx/tokenizer/error.h"

namespace lmx::tok {

struct Regex::Impl {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Impl() {
    if (code) pcre2_code_free(code);
  }
};

Regex::Regex(const std::string& pattern, const std::string& what)
    : impl_(std::make_unique<Impl>()) {
  int err = 0;
  PCRE2_SIZE off = 0;
  impl_->code = pcre2_compile((PCRE2_SPTR)pattern.data(), pattern.size(),
                              PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &err, &off, nullptr);
  if (!impl_->code) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(err, buf, sizeof(buf));
    throw TokenizerError(what + ": cannot compile regex '" + pattern + "' at offset " +
                         std::to_string(off) + ": " + (const char*)buf);
  }
  impl_->jit = pcre2_jit_compile(impl_->code, PCRE2_JIT_COMPLETE) == 0;
}

Regex::~Regex() = default;
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;

namespace {
struct MatchData {
  pcre2_match_data* md = pcre2_match_data_create(4, nullptr);
  ~MatchData() { pcre2_match_data_free(md); }
};
}  // namespace

std::vector<std::pair<size_t, size_t>> Regex::find_all(std::string_view text) const {
  thread_local MatchData data;
  std::vector<std::pair<size_t, size_t>> out;
  size_t start = 0;
  uint32_t options = 0;
  while (start <= text.size()) {
    int rc = impl_->jit ? pcre2_jit_match(impl_->code, (PCRE2_SPTR)text.data(), text.size(), start,
                                          options, data.md, nullptr)
                        : pcre2_match(impl_->code, (PCRE2_SPTR)text.data(), text.size(), start,
                                      options | PCRE2_NO_UTF_CHECK, data.md, nullptr);
    if (rc < 0) break;
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data.md);
    size_t b = ov[0], e = ov[1];
    out.emplace_back(b, e);
    if (e == b) {
      // Empty match: step over one character to avoid looping.
      if (e >= text.size()) break;
      size_t n = 1;
      while (e + n < text.size() && ((unsigned char)text[e + n] & 0xC0) == 0x80) ++n;
      start = e + n;
    } else {
      start = e;
    }
  }
  return out;
}

std::string Regex::escape(std::string_view literal) {
  std::string out = "\\Q";
  for (size_t i = 0; i < literal.size(); ++i) {
    if (literal.compare(i, 2, "\\E") == 0) {
      out += "\\E\\\\E\\Q";
      ++i;
    } else {
      out.push_back(literal[i]);
    }
  }
  out += "\\E";
  return out;
}

std::string Regex::from_oniguruma(std::string_view p) {
  // Oniguruma's Unicode \\w: Alphabetic, marks, decimal digits, connectors, and the
  // Latin-1 superscripts and fractions its ISO-8859-1 table counts as word characters.
  static const char* kWord =
      "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{B2}\\x{B3}\\x{B9}\\x{BC}-\\x{BE}";
  std::string out;
  out.reserve(p.size() + 16);
  int class_depth = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      char e = p[++i];
      bool in_class = class_depth > 0;
      switch (e) {
        case 's':
          out += "\\p{White_Space}";
          break;
        case 'S':
          out += "\\P{White_Space}";
          break;
        case 'w':
          out += in_class ? std::string(kWord) : "[" + std::string(kWord) + "]";
          break;
        case 'W':
          if (in_class)
            out += "\\W";
          else
            out += "[^" + std::string(kWord) + "]";
          break;
        case 'h':
          out += in_class ? "0-9a-fA-F" : "[0-9a-fA-F]";
          break;
        default:
          out.push_back('\\');
          out.push_back(e);
      }
      continue;
    }
    if (c == '[') {
      ++class_depth;
      out.push_back(c);
      // A ']' right after '[' or '[^' is a literal.
      if (i + 1 < p.size() && p[i + 1] == '^') out.push_back(p[++i]);
      if (i + 1 < p.size() && p[i + 1] == ']') out.push_back(p[++i]);
      continue;
    }
    if (c == ']' && class_depth > 0) --class_depth;
    out.push_back(c);
  }
  return out;
}

}  // namespace lmx::tok
