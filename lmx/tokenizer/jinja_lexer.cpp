// SPDX-License-Identifier: MIT
#include "lmx/tokenizer/jinja_lexer.h"

#include <algorithm>

#include "lmx/tokenizer/jinja_unicode.h"
#include "lmx/tokenizer/jinja_value.h"

namespace lmx::jinja {
namespace {

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

int count_newlines(std::string_view s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

// Python str.rstrip() on UTF-8 text.
std::string rstrip_ws(std::string_view s) { return py_strip(s, nullptr, false, true); }

// True when s holds only (Unicode) whitespace.
bool all_ws(std::string_view s) {
  for (char32_t c : utf8_decode(s))
    if (!py_isspace(c)) return false;
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Python's unicode_escape decoding of a string literal body.
std::string unescape(std::string_view s, int line) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c != '\\' || i + 1 >= s.size()) {
      out.push_back(c);
      continue;
    }
    char e = s[++i];
    switch (e) {
      case '\n':
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '\'':
        out.push_back('\'');
        break;
      case '"':
        out.push_back('"');
        break;
      case 'a':
        out.push_back('\a');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'v':
        out.push_back('\v');
        break;
      case 'x':
      case 'u':
      case 'U': {
        size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t cp = 0;
        for (size_t k = 0; k < n; ++k) {
          int h = i + 1 + k < s.size() ? hex_value(s[i + 1 + k]) : -1;
          if (h < 0)
            throw TemplateError("invalid \\" + std::string(1, e) + " escape in string", line);
          cp = cp * 16 + static_cast<uint32_t>(h);
        }
        i += n;
        utf8_append(out, cp);
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          uint32_t cp = static_cast<uint32_t>(e - '0');
          for (int k = 0; k < 2 && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7'; ++k)
            cp = cp * 8 + static_cast<uint32_t>(s[++i] - '0');
          utf8_append(out, cp);
        } else {
          out.push_back('\\');
          out.push_back(e);
        }
    }
  }
  return out;
}

class Lexer {
 public:
  Lexer(std::string src, const LexerOptions& opts) : src_(std::move(src)), opts_(opts) {}

  std::vector<Token> run() {
    size_t n = src_.size();
    while (pos_ < n) {
      size_t start = find_tag_start(pos_);
      if (start == std::string::npos) {
        emit_data(src_.substr(pos_));
        break;
      }
      std::string text = src_.substr(pos_, start - pos_);
      int text_lines = count_newlines(text);
      char kind = src_[start + 1];
      char mod = start + 2 < n ? src_[start + 2] : '\0';
      if (mod == '-') {
        text = rstrip_ws(text);
      } else if (mod != '+' && opts_.lstrip_blocks && kind != '{') {
        size_t nl = text.rfind('\n');
        size_t l_pos = nl == std::string::npos ? 0 : nl + 1;
        if ((l_pos > 0 || line_starting_) && all_ws(std::string_view(text).substr(l_pos)))
          text.resize(l_pos);
      }
      emit_data(std::move(text));
      line_ += text_lines;
      pos_ = start + 2 + ((mod == '-' || mod == '+') ? 1 : 0);
      if (kind == '#') {
        lex_comment();
      } else if (kind == '%' && try_raw()) {
        continue;
      } else {
        lex_tag(kind == '%');
      }
    }
    tokens_.push_back({TokenType::kEof, "", line_});
    return std::move(tokens_);
  }

 private:
  size_t find_tag_start(size_t from) const {
    for (size_t i = src_.find('{', from); i != std::string::npos; i = src_.find('{', i + 1)) {
      if (i + 1 < src_.size() && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#'))
        return i;
    }
    return std::string::npos;
  }

  void emit_data(std::string text) {
    if (!text.empty()) tokens_.push_back({TokenType::kData, std::move(text), line_});
  }

  // After a block or comment end: `-` strips all following whitespace, otherwise
  // trim_blocks drops one newline. `plus` disables trim_blocks.
  void after_end(bool minus, bool plus, bool is_block) {
    char last = src_[pos_ - 1];
    if (minus) {
      while (pos_ < src_.size() && is_ws(src_[pos_])) {
        if (src_[pos_] == '\n') ++line_;
        last = src_[pos_++];
      }
    } else if (!plus && is_block && opts_.trim_blocks && pos_ < src_.size() && src_[pos_] == '\n') {
      ++line_;
      last = src_[pos_++];
    }
    line_starting_ = last == '\n';
  }

  void lex_comment() {
    size_t end = src_.find("#}", pos_);
    if (end == std::string::npos) throw TemplateError("Missing end of comment tag", line_);
    bool minus = end > pos_ && src_[end - 1] == '-';
    bool plus = end > pos_ && src_[end - 1] == '+';
    line_ += count_newlines(std::string_view(src_).substr(pos_, end - pos_));
    pos_ = end + 2;
    after_end(minus, plus, true);
  }

  // {% raw %}...{% endraw %}: emits the body verbatim.
  bool try_raw() {
    size_t p = pos_;
    while (p < src_.size() && is_ws(src_[p])) ++p;
    if (src_.compare(p, 3, "raw") != 0 || (p + 3 < src_.size() && is_name_char(src_[p + 3])))
      return false;
    p += 3;
    while (p < src_.size() && is_ws(src_[p])) ++p;
    bool minus = p < src_.size() && src_[p] == '-';
    if (minus) ++p;
    if (src_.compare(p, 2, "%}") != 0) return false;
    line_ += count_newlines(std::string_view(src_).substr(pos_, p + 2 - pos_));
    pos_ = p + 2;
    if (minus) after_end(true, false, false);
    // Find {%[-+]? endraw [-+]?%}
    for (size_t i = src_.find("{%", pos_); i != std::string::npos; i = src_.find("{%", i + 1)) {
      size_t q = i + 2;
      char m = q < src_.size() ? src_[q] : '\0';
      if (m == '-' || m == '+') ++q;
      while (q < src_.size() && is_ws(src_[q])) ++q;
      if (src_.compare(q, 6, "endraw") != 0) continue;
      q += 6;
      while (q < src_.size() && is_ws(src_[q])) ++q;
      char em = q < src_.size() ? src_[q] : '\0';
      if (em == '-' || em == '+') ++q;
      if (src_.compare(q, 2, "%}") != 0) continue;
      std::string body = src_.substr(pos_, i - pos_);
      if (m == '-') body = rstrip_ws(body);
      emit_data(body);
      line_ += count_newlines(std::string_view(src_).substr(pos_, q + 2 - pos_));
      pos_ = q + 2;
      after_end(em == '-', em == '+', true);
      return true;
    }
    throw TemplateError("Missing end of raw directive", line_);
  }

  void lex_tag(bool block) {
    tokens_.push_back({block ? TokenType::kBlockBegin : TokenType::kVarBegin, "", line_});
    std::vector<char> balance;
    const char* end_mark = block ? "%}" : "}}";
    for (;;) {
      while (pos_ < src_.size() && is_ws(src_[pos_])) {
        if (src_[pos_] == '\n') ++line_;
        ++pos_;
      }
      if (pos_ >= src_.size())
        throw TemplateError(std::string("unexpected end of template, expected '") + end_mark + "'",
                            line_);
      if (balance.empty()) {
        char c = src_[pos_];
        if ((c == '-' || c == '+') && src_.compare(pos_ + 1, 2, end_mark) == 0 &&
            (block || c == '-')) {
          pos_ += 3;
          tokens_.push_back({block ? TokenType::kBlockEnd : TokenType::kVarEnd, "", line_});
          after_end(c == '-', c == '+', block);
          return;
        }
        if (src_.compare(pos_, 2, end_mark) == 0) {
          pos_ += 2;
          tokens_.push_back({block ? TokenType::kBlockEnd : TokenType::kVarEnd, "", line_});
          after_end(false, false, block);
          return;
        }
      }
      lex_expr_token(balance);
    }
  }

  void lex_expr_token(std::vector<char>& balance) {
    char c = src_[pos_];
    if (c == '\'' || c == '"') {
      size_t p = pos_ + 1;
      while (p < src_.size() && src_[p] != c) p += src_[p] == '\\' ? 2 : 1;
      if (p >= src_.size()) throw TemplateError("unexpected end of string", line_);
      std::string body = src_.substr(pos_ + 1, p - pos_ - 1);
      tokens_.push_back({TokenType::kString, unescape(body, line_), line_});
      line_ += count_newlines(body);
      pos_ = p + 1;
      return;
    }
    if (is_digit(c)) {
      size_t p = pos_;
      auto digits = [&] {
        while (p < src_.size() && (is_digit(src_[p]) || (src_[p] == '_' && p + 1 < src_.size() &&
                                                         is_digit(src_[p + 1]))))
          ++p;
      };
      digits();
      bool is_float = false;
      if (p + 1 < src_.size() && src_[p] == '.' && is_digit(src_[p + 1])) {
        is_float = true;
        ++p;
        digits();
      }
      if (p < src_.size() && (src_[p] == 'e' || src_[p] == 'E')) {
        size_t q = p + 1;
        if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
        if (q < src_.size() && is_digit(src_[q])) {
          is_float = true;
          p = q;
          digits();
        }
      }
      std::string text;
      for (size_t i = pos_; i < p; ++i)
        if (src_[i] != '_') text.push_back(src_[i]);
      tokens_.push_back({is_float ? TokenType::kFloat : TokenType::kInteger, text, line_});
      pos_ = p;
      return;
    }
    if (is_name_start(c)) {
      size_t p = pos_;
      while (p < src_.size() && is_name_char(src_[p])) ++p;
      tokens_.push_back({TokenType::kName, src_.substr(pos_, p - pos_), line_});
      pos_ = p;
      return;
    }
    static const char* kTwo[] = {"//", "**", "==", "!=", "<=", ">="};
    for (const char* op : kTwo) {
      if (src_.compare(pos_, 2, op) == 0) {
        tokens_.push_back({TokenType::kOperator, op, line_});
        pos_ += 2;
        return;
      }
    }
    static const std::string kOne = "+-*/%~()[]{},.:|=<>;";
    if (kOne.find(c) == std::string::npos)
      throw TemplateError(std::string("unexpected char '") + c + "'", line_);
    if (c == '(' || c == '[' || c == '{') {
      balance.push_back(c);
    } else if (c == ')' || c == ']' || c == '}') {
      char open = c == ')' ? '(' : c == ']' ? '[' : '{';
      if (balance.empty() || balance.back() != open)
        throw TemplateError(std::string("unexpected '") + c + "'", line_);
      balance.pop_back();
    }
    tokens_.push_back({TokenType::kOperator, std::string(1, c), line_});
    ++pos_;
  }

  std::string src_;
  LexerOptions opts_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int line_ = 1;
  bool line_starting_ = true;
};

std::string normalize_newlines(std::string_view s, bool keep_trailing) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      out.push_back(s[i]);
    }
  }
  if (!keep_trailing && !out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace

std::vector<Token> tokenize(std::string_view source, const LexerOptions& opts) {
  return Lexer(normalize_newlines(source, opts.keep_trailing_newline), opts).run();
}

}  // namespace lmx::jinja
