// SPDX-License-Identifier: MIT
#include "lmx/tokenizer/json_scan.h"

#include <cstdlib>
#include <cstring>

#include "lmx/tokenizer/error.h"
#include "lmx/tokenizer/unicode.h"

namespace lmx::tok {

void JsonScanner::fail(size_t p, const std::string& what) const {
  throw TokenizerError(origin_ + ": JSON at byte " + std::to_string(p) + ": " + what);
}

size_t JsonScanner::skip_ws(size_t p) const {
  while (p < s_.size() && (s_[p] == ' ' || s_[p] == '\n' || s_[p] == '\r' || s_[p] == '\t')) ++p;
  return p;
}

size_t JsonScanner::expect(size_t p, char c) const {
  p = skip_ws(p);
  if (p >= s_.size() || s_[p] != c) fail(p, std::string("expected '") + c + "'");
  return p + 1;
}

size_t JsonScanner::parse_string(size_t p, std::string& out) const {
  p = skip_ws(p);
  if (p >= s_.size() || s_[p] != '"') fail(p, "expected a string");
  ++p;
  out.clear();
  for (;;) {
    size_t q = p;
    while (q < s_.size() && s_[q] != '"' && s_[q] != '\\') ++q;
    if (q >= s_.size()) fail(p, "unterminated string");
    out.append(s_.data() + p, q - p);
    if (s_[q] == '"') return q + 1;
    if (q + 1 >= s_.size()) fail(q, "bad escape");
    char e = s_[q + 1];
    p = q + 2;
    switch (e) {
      case '"':
        out.push_back('"');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '/':
        out.push_back('/');
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
      case 'u': {
        auto hex4 = [&](size_t at) -> uint32_t {
          if (at + 4 > s_.size()) fail(at, "short \\u escape");
          char buf[5] = {s_[at], s_[at + 1], s_[at + 2], s_[at + 3], 0};
          char* end;
          uint32_t v = (uint32_t)std::strtoul(buf, &end, 16);
          if (end != buf + 4) fail(at, "bad \\u escape");
          return v;
        };
        uint32_t cp = hex4(p);
        p += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && p + 6 <= s_.size() && s_[p] == '\\' &&
            s_[p + 1] == 'u') {
          uint32_t lo = hex4(p + 2);
          if (lo >= 0xDC00 && lo < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            p += 6;
          }
        }
        if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;  // lone surrogate
        append_utf8(out, cp);
        break;
      }
      default:
        fail(q, "bad escape");
    }
  }
}

size_t JsonScanner::skip_value(size_t p) const {
  p = skip_ws(p);
  if (p >= s_.size()) fail(p, "expected a value");
  char c = s_[p];
  if (c == '"') {
    for (++p; p < s_.size(); ++p) {
      if (s_[p] == '\\')
        ++p;
      else if (s_[p] == '"')
        return p + 1;
    }
    fail(p, "unterminated string");
  }
  if (c == '{' || c == '[') {
    int depth = 0;
    for (; p < s_.size(); ++p) {
      char d = s_[p];
      if (d == '"') {
        p = skip_value(p) - 1;
      } else if (d == '{' || d == '[') {
        ++depth;
      } else if (d == '}' || d == ']') {
        if (--depth == 0) return p + 1;
      }
    }
    fail(p, "unterminated object or array");
  }
  while (p < s_.size() && !strchr(",}] \n\r\t", s_[p])) ++p;
  return p;
}

size_t JsonScanner::find_member(size_t obj, std::string_view key, size_t& end) const {
  size_t p = expect(obj, '{');
  std::string k;
  p = skip_ws(p);
  if (p < s_.size() && s_[p] == '}') return std::string::npos;
  for (;;) {
    p = parse_string(p, k);
    p = expect(p, ':');
    size_t v = skip_ws(p);
    size_t e = skip_value(v);
    if (k == key) {
      end = e;
      return v;
    }
    p = skip_ws(e);
    if (p < s_.size() && s_[p] == ',') {
      ++p;
      continue;
    }
    return std::string::npos;
  }
}

void JsonScanner::for_each_vocab_entry(size_t p,
                                       const std::function<void(std::string&, int64_t)>& f) const {
  p = expect(p, '{');
  std::string k;
  p = skip_ws(p);
  if (p < s_.size() && s_[p] == '}') return;
  for (;;) {
    p = parse_string(p, k);
    p = skip_ws(expect(p, ':'));
    char* end;
    long long id = std::strtoll(s_.data() + p, &end, 10);
    if (end == s_.data() + p) fail(p, "vocab ids must be integers");
    p = skip_ws((size_t)(end - s_.data()));
    f(k, id);
    if (p < s_.size() && s_[p] == ',') {
      ++p;
      continue;
    }
    expect(p, '}');
    return;
  }
}

void JsonScanner::for_each_merge(size_t p,
                                 const std::function<void(std::string&, std::string&)>& f) const {
  p = expect(p, '[');
  std::string a, b, line;
  p = skip_ws(p);
  if (p < s_.size() && s_[p] == ']') return;
  for (;;) {
    p = skip_ws(p);
    if (p < s_.size() && s_[p] == '[') {
      p = parse_string(p + 1, a);
      p = parse_string(expect(p, ','), b);
      p = expect(p, ']');
    } else {
      p = parse_string(p, line);
      size_t sp = line.find(' ', 1);
      if (sp == std::string::npos)
        fail(p, "merge '" + line + "' is not two tokens separated by a space");
      a.assign(line, 0, sp);
      b.assign(line, sp + 1);
    }
    f(a, b);
    p = skip_ws(p);
    if (p < s_.size() && s_[p] == ',') {
      ++p;
      continue;
    }
    expect(p, ']');
    return;
  }
}

void JsonScanner::for_each_scored_piece(size_t p,
                                        const std::function<void(std::string&, double)>& f) const {
  p = expect(p, '[');
  std::string piece;
  p = skip_ws(p);
  if (p < s_.size() && s_[p] == ']') return;
  for (;;) {
    p = parse_string(expect(p, '['), piece);
    p = skip_ws(expect(p, ','));
    char* end;
    double score = std::strtod(s_.data() + p, &end);
    if (end == s_.data() + p) fail(p, "piece scores must be numbers");
    p = expect((size_t)(end - s_.data()), ']');
    f(piece, score);
    p = skip_ws(p);
    if (p < s_.size() && s_[p] == ',') {
      ++p;
      continue;
    }
    expect(p, ']');
    return;
  }
}

}  // namespace lmx::tok
