// SPDX-License-Identifier: MIT
// Python str, dict and list methods reachable from templates, str.format and `%`.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "lmx/tokenizer/jinja_builtins.h"
#include "lmx/tokenizer/jinja_unicode.h"

namespace lmx::jinja {
namespace {

const std::string& arg_str(const CallArgs& a, size_t i, std::string_view name,
                           std::string_view method) {
  const Value* v = a.get(i, name);
  if (!v || !v->is_string())
    throw TemplateError(std::string(method) + "() argument must be str, not " +
                        (v ? type_name(*v) : std::string("missing")));
  return v->str();
}

// Code point index of a byte offset.
int64_t cp_index(const std::string& s, size_t byte_pos) {
  return static_cast<int64_t>(utf8_length(std::string_view(s).substr(0, byte_pos)));
}

std::vector<Value> split_ws(const std::string& s, int64_t maxsplit, bool from_right) {
  std::u32string u = utf8_decode(s);
  std::vector<std::u32string> parts;
  if (!from_right) {
    size_t i = 0;
    while (i < u.size()) {
      while (i < u.size() && py_isspace(u[i])) ++i;
      if (i >= u.size()) break;
      if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
        parts.push_back(u.substr(i));
        break;
      }
      size_t j = i;
      while (j < u.size() && !py_isspace(u[j])) ++j;
      parts.push_back(u.substr(i, j - i));
      i = j;
    }
  } else {
    int64_t i = static_cast<int64_t>(u.size());
    while (i > 0) {
      while (i > 0 && py_isspace(u[static_cast<size_t>(i - 1)])) --i;
      if (i <= 0) break;
      if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
        parts.push_back(u.substr(0, static_cast<size_t>(i)));
        break;
      }
      int64_t j = i;
      while (j > 0 && !py_isspace(u[static_cast<size_t>(j - 1)])) --j;
      parts.push_back(u.substr(static_cast<size_t>(j), static_cast<size_t>(i - j)));
      i = j;
    }
    std::reverse(parts.begin(), parts.end());
  }
  std::vector<Value> out;
  for (auto& p : parts) out.emplace_back(utf8_encode(p));
  return out;
}

std::vector<Value> split_sep(const std::string& s, const std::string& sep, int64_t maxsplit,
                             bool from_right) {
  if (sep.empty()) throw TemplateError("empty separator");
  std::vector<Value> out;
  if (!from_right) {
    size_t start = 0;
    for (;;) {
      size_t p = s.find(sep, start);
      if (p == std::string::npos || (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit))
        break;
      out.emplace_back(s.substr(start, p - start));
      start = p + sep.size();
    }
    out.emplace_back(s.substr(start));
    return out;
  }
  size_t end = s.size();
  for (;;) {
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) break;
    if (end < sep.size()) break;
    size_t p = s.rfind(sep, end - sep.size());
    if (p == std::string::npos) break;
    out.emplace_back(s.substr(p + sep.size(), end - p - sep.size()));
    end = p;
  }
  out.emplace_back(s.substr(0, end));
  std::reverse(out.begin(), out.end());
  return out;
}

bool affix_match(const std::string& s, const Value& affix, bool prefix) {
  auto one = [&](const Value& a) {
    if (!a.is_string()) throw TemplateError("startswith first arg must be str or a tuple of str");
    const std::string& x = a.str();
    if (x.size() > s.size()) return false;
    return prefix ? s.compare(0, x.size(), x) == 0
                  : s.compare(s.size() - x.size(), x.size(), x) == 0;
  };
  if (affix.is_list()) {
    for (const auto& a : affix.items())
      if (one(a)) return true;
    return false;
  }
  return one(affix);
}

std::string pad(const std::string& s, int64_t width, char align, const std::string& fill) {
  int64_t len = static_cast<int64_t>(utf8_length(s));
  if (width <= len) return s;
  int64_t total = width - len, left = 0;
  if (align == '>')
    left = total;
  else if (align == '^')
    left = total / 2;
  std::string out;
  for (int64_t i = 0; i < left; ++i) out += fill;
  out += s;
  for (int64_t i = 0; i < total - left; ++i) out += fill;
  return out;
}

bool all_cps(const std::string& s, bool (*pred)(char32_t)) {
  if (s.empty()) return false;
  for (char32_t c : utf8_decode(s))
    if (!pred(c)) return false;
  return true;
}

// Formats one value by a format spec: [[fill]align][sign][0][width][,][.precision][type].
std::string format_spec(const Value& v, const std::string& spec) {
  if (spec.empty()) return to_str(v);
  std::u32string u = utf8_decode(spec);
  size_t i = 0;
  std::string fill = " ";
  char align = 0;
  auto is_align = [](char32_t c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  if (u.size() >= 2 && is_align(u[1])) {
    fill = utf8_encode(u.substr(0, 1));
    align = static_cast<char>(u[1]);
    i = 2;
  } else if (!u.empty() && is_align(u[0])) {
    align = static_cast<char>(u[0]);
    i = 1;
  }
  char sign = 0;
  if (i < u.size() && (u[i] == '+' || u[i] == '-' || u[i] == ' ')) sign = static_cast<char>(u[i++]);
  if (i < u.size() && u[i] == '0') {
    if (!align) {
      fill = "0";
      align = '=';
    }
    ++i;
  }
  int64_t width = 0;
  while (i < u.size() && u[i] >= '0' && u[i] <= '9') width = width * 10 + (u[i++] - '0');
  char group = 0;
  if (i < u.size() && (u[i] == ',' || u[i] == '_')) group = static_cast<char>(u[i++]);
  int precision = -1;
  if (i < u.size() && u[i] == '.') {
    precision = 0;
    ++i;
    while (i < u.size() && u[i] >= '0' && u[i] <= '9') precision = precision * 10 + (u[i++] - '0');
  }
  char type = i < u.size() ? static_cast<char>(u[i]) : 0;
  std::string body;
  bool numeric = v.is_number();
  if (numeric && (type == 'f' || type == 'F' || type == 'e' || type == 'g' || type == '%' ||
                  (type == 0 && precision >= 0 && v.is_float()))) {
    double d = v.as_float() * (type == '%' ? 100 : 1);
    char buf[512];
    char t = type == '%' ? 'f' : type == 0 ? 'g' : type;
    std::snprintf(buf, sizeof(buf), (std::string("%.*") + t).c_str(), precision < 0 ? 6 : precision,
                  d);
    body = buf;
    if (type == '%') body += "%";
  } else if (numeric && (type == 'd' || type == 'x' || type == 'X' || type == 'o' || type == 'b')) {
    int64_t n = v.is_float() ? static_cast<int64_t>(v.as_float()) : v.as_int();
    if (type == 'd') {
      body = std::to_string(n);
    } else if (type == 'b') {
      uint64_t m = static_cast<uint64_t>(n < 0 ? -n : n);
      do body.insert(body.begin(), static_cast<char>('0' + (m & 1)));
      while (m >>= 1);
      if (n < 0) body = "-" + body;
    } else {
      char buf[64];
      std::snprintf(buf, sizeof(buf),
                    type == 'x'   ? "%llx"
                    : type == 'X' ? "%llX"
                                  : "%llo",
                    static_cast<unsigned long long>(n < 0 ? -n : n));
      body = std::string(n < 0 ? "-" : "") + buf;
    }
  } else {
    body = to_str(v);
    if (precision >= 0 && !numeric)
      body = utf8_encode(utf8_decode(body).substr(0, static_cast<size_t>(precision)));
  }
  if (group && numeric) {
    size_t digits_begin = (!body.empty() && body[0] == '-') ? 1 : 0;
    size_t digits_end = body.find_first_not_of("0123456789", digits_begin);
    if (digits_end == std::string::npos) digits_end = body.size();
    for (int64_t p = static_cast<int64_t>(digits_end) - 3; p > static_cast<int64_t>(digits_begin);
         p -= 3)
      body.insert(static_cast<size_t>(p), 1, group);
  }
  if (numeric && sign && sign != '-' && !body.empty() && body[0] != '-')
    body = std::string(1, sign) + body;
  if (align == '=' && numeric) {
    std::string s;
    if (!body.empty() && (body[0] == '-' || body[0] == '+' || body[0] == ' ')) {
      s = body.substr(0, 1);
      body = body.substr(1);
    }
    return s + pad(body, width - static_cast<int64_t>(s.size()), '>', fill);
  }
  if (!align) align = numeric ? '>' : '<';
  return pad(body, width, align, fill);
}

std::string str_format(const std::string& fmt, const CallArgs& args) {
  std::string out;
  size_t auto_idx = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '}') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '}')
        ++i;
      else
        throw TemplateError("Single '}' encountered in format string");
      out.push_back('}');
      continue;
    }
    if (c != '{') {
      out.push_back(c);
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out.push_back('{');
      ++i;
      continue;
    }
    size_t end = fmt.find('}', i);
    if (end == std::string::npos) throw TemplateError("Single '{' encountered in format string");
    std::string field = fmt.substr(i + 1, end - i - 1);
    i = end;
    std::string spec, conv;
    if (size_t p = field.find(':'); p != std::string::npos) {
      spec = field.substr(p + 1);
      field = field.substr(0, p);
    }
    if (size_t p = field.find('!'); p != std::string::npos) {
      conv = field.substr(p + 1);
      field = field.substr(0, p);
    }
    size_t name_end = field.find_first_of(".[");
    std::string first = field.substr(0, name_end);
    Value v;
    if (first.empty() || std::isdigit(static_cast<unsigned char>(first[0]))) {
      size_t idx = first.empty() ? auto_idx++ : std::stoul(first);
      if (idx >= args.pos.size())
        throw TemplateError("Replacement index " + std::to_string(idx) +
                            " out of range for positional args tuple");
      v = args.pos[idx];
    } else {
      const Value* kv = args.kwarg(first);
      if (!kv) throw TemplateError("KeyError: '" + first + "'");
      v = *kv;
    }
    for (size_t p = name_end; p != std::string::npos && p < field.size();) {
      if (field[p] == '.') {
        size_t q = field.find_first_of(".[", p + 1);
        v = get_attr(v,
                     field.substr(p + 1, q == std::string::npos ? std::string::npos : q - p - 1));
        p = q;
      } else {
        size_t q = field.find(']', p);
        std::string key = field.substr(p + 1, q - p - 1);
        bool digits = !key.empty() && key.find_first_not_of("0123456789") == std::string::npos;
        v = get_item(v, digits ? Value(static_cast<int64_t>(std::stoll(key))) : Value(key));
        p = q == std::string::npos ? q : q + 1;
      }
    }
    if (conv == "r")
      v = Value(repr(v));
    else if (conv == "s")
      v = Value(to_str(v));
    out += format_spec(v, spec);
  }
  return out;
}

}  // namespace

std::string percent_format(const std::string& fmt, const Value& args) {
  std::vector<Value> pos = args.is_tuple() ? args.items() : std::vector<Value>{args};
  size_t next = 0;
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out.push_back(fmt[i]);
      continue;
    }
    if (++i >= fmt.size()) throw TemplateError("incomplete format");
    if (fmt[i] == '%') {
      out.push_back('%');
      continue;
    }
    Value v;
    bool have = false;
    if (fmt[i] == '(') {
      size_t close = fmt.find(')', i);
      if (close == std::string::npos || !args.is_dict())
        throw TemplateError("format requires a mapping");
      const Value* kv = args.dict().find(std::string_view(fmt).substr(i + 1, close - i - 1));
      if (!kv) throw TemplateError("KeyError: " + fmt.substr(i + 1, close - i - 1));
      v = *kv;
      have = true;
      i = close + 1;
    }
    std::string flags;
    while (i < fmt.size() && std::string_view("-+ #0").find(fmt[i]) != std::string_view::npos)
      flags += fmt[i++];
    std::string width, prec;
    while (i < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[i]))) width += fmt[i++];
    if (i < fmt.size() && fmt[i] == '.') {
      prec = ".";
      ++i;
      while (i < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[i]))) prec += fmt[i++];
    }
    if (i >= fmt.size()) throw TemplateError("incomplete format");
    char type = fmt[i];
    if (!have) {
      if (next >= pos.size()) throw TemplateError("not enough arguments for format string");
      v = pos[next++];
    }
    std::string spec = "%" + flags + width + prec;
    char buf[512];
    if (type == 's' || type == 'r' || type == 'a') {
      std::string s = type == 's' ? to_str(v) : repr(v);
      if (prec.size() > 1) s = utf8_encode(utf8_decode(s).substr(0, std::stoul(prec.substr(1))));
      int64_t w = width.empty() ? 0 : std::stoll(width);
      out += pad(s, w, flags.find('-') != std::string::npos ? '<' : '>', " ");
    } else if (type == 'd' || type == 'i' || type == 'u' || type == 'x' || type == 'X' ||
               type == 'o') {
      if (!v.is_number())
        throw TemplateError("%" + std::string(1, type) +
                            " format: a real number is required, not " + type_name(v));
      long long n = v.is_float() ? static_cast<long long>(v.as_float()) : v.as_int();
      std::snprintf(buf, sizeof(buf),
                    (spec + "ll" + (type == 'i' || type == 'u' ? 'd' : type)).c_str(), n);
      out += buf;
    } else if (std::string_view("eEfFgG").find(type) != std::string_view::npos) {
      if (!v.is_number()) throw TemplateError("must be real number, not " + type_name(v));
      std::snprintf(buf, sizeof(buf), (spec + type).c_str(), v.as_float());
      out += buf;
    } else if (type == 'c') {
      out += v.is_string() ? v.str()
                           : utf8_encode(std::u32string(1, static_cast<char32_t>(v.as_int())));
    } else {
      throw TemplateError(std::string("unsupported format character '") + type + "'");
    }
  }
  // Python skips this check when the argument is mapping-like (has __getitem__).
  bool mapping_like = args.is_dict() || args.is_undefined() || (args.is_list() && !args.is_tuple());
  if (next < pos.size() && !mapping_like)
    throw TemplateError("not all arguments converted during string formatting");
  return out;
}

std::string py_title(std::string_view s) {
  std::string out;
  bool prev_cased = false;
  for (char32_t c : utf8_decode(s)) {
    bool cased = cp_is_upper(c) || cp_is_lower(c) || cp_upper(c) != cp_lower(c);
    utf8_append(out, cased ? (prev_cased ? cp_lower(c) : cp_upper(c)) : c);
    prev_cased = cased;
  }
  return out;
}

std::string py_capitalize(std::string_view s) {
  std::u32string u = utf8_decode(s);
  std::string out;
  for (size_t i = 0; i < u.size(); ++i) utf8_append(out, i == 0 ? cp_upper(u[i]) : cp_lower(u[i]));
  return out;
}

namespace {

std::optional<Value> string_method(const Value& self, const std::string& name) {
  const std::string& s = self.str();
  auto fn = [&](Function::Fn f) { return make_function(name, std::move(f)); };
  auto strip = [&](bool l, bool r) {
    return fn([s, l, r](const CallArgs& a) {
      const Value* c = a.get(0, "chars");
      if (c && c->is_string()) return Value(py_strip(s, &c->str(), l, r));
      return Value(py_strip(s, nullptr, l, r));
    });
  };
  if (name == "strip") return strip(true, true);
  if (name == "lstrip") return strip(true, false);
  if (name == "rstrip") return strip(false, true);
  if (name == "upper") return fn([s](const CallArgs&) { return Value(py_upper(s)); });
  if (name == "lower" || name == "casefold")
    return fn([s](const CallArgs&) { return Value(py_lower(s)); });
  if (name == "title") return fn([s](const CallArgs&) { return Value(py_title(s)); });
  if (name == "capitalize") return fn([s](const CallArgs&) { return Value(py_capitalize(s)); });
  if (name == "swapcase")
    return fn([s](const CallArgs&) {
      std::string out;
      for (char32_t c : utf8_decode(s))
        utf8_append(out, cp_is_upper(c) ? cp_lower(c) : cp_upper(c));
      return Value(out);
    });
  if (name == "split" || name == "rsplit") {
    bool right = name == "rsplit";
    return fn([s, right](const CallArgs& a) {
      const Value* sep = a.get(0, "sep");
      int64_t maxsplit = a.get_or(1, "maxsplit", Value(-1)).as_int();
      if (!sep || sep->is_none()) return Value(split_ws(s, maxsplit, right));
      if (!sep->is_string()) throw TemplateError("must be str or None, not " + type_name(*sep));
      return Value(split_sep(s, sep->str(), maxsplit, right));
    });
  }
  if (name == "splitlines")
    return fn([s](const CallArgs&) {
      std::vector<Value> out;
      for (auto& l : py_splitlines(s)) out.emplace_back(l);
      return Value(std::move(out));
    });
  if (name == "replace")
    return fn([s](const CallArgs& a) {
      const std::string& from = arg_str(a, 0, "old", "replace");
      const std::string& to = arg_str(a, 1, "new", "replace");
      int64_t count = a.get_or(2, "count", Value(-1)).as_int();
      std::string out;
      if (from.empty()) {
        std::u32string u = utf8_decode(s);
        int64_t done = 0;
        for (size_t i = 0; i <= u.size(); ++i) {
          if (count < 0 || done < count) {
            out += to;
            ++done;
          }
          if (i < u.size()) utf8_append(out, u[i]);
        }
        return Value(out);
      }
      size_t start = 0;
      for (int64_t done = 0; count < 0 || done < count; ++done) {
        size_t p = s.find(from, start);
        if (p == std::string::npos) break;
        out += s.substr(start, p - start) + to;
        start = p + from.size();
      }
      return Value(out + s.substr(start));
    });
  if (name == "startswith" || name == "endswith") {
    bool prefix = name == "startswith";
    return fn([s, prefix](const CallArgs& a) {
      const Value* x = a.get(0, "prefix");
      if (!x) throw TemplateError("startswith() takes at least 1 argument (0 given)");
      return Value(affix_match(s, *x, prefix));
    });
  }
  if (name == "removeprefix" || name == "removesuffix") {
    bool prefix = name == "removeprefix";
    return fn([s, prefix](const CallArgs& a) {
      const std::string& x = arg_str(a, 0, "prefix", "removeprefix");
      if (!affix_match(s, Value(x), prefix)) return Value(s);
      return Value(prefix ? s.substr(x.size()) : s.substr(0, s.size() - x.size()));
    });
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex") {
    bool right = name[0] == 'r';
    bool raise = name.find("index") != std::string::npos;
    return fn([s, right, raise](const CallArgs& a) {
      const std::string& sub = arg_str(a, 0, "sub", "find");
      size_t p = right ? s.rfind(sub) : s.find(sub);
      if (p == std::string::npos) {
        if (raise) throw TemplateError("substring not found");
        return Value(-1);
      }
      return Value(cp_index(s, p));
    });
  }
  if (name == "count")
    return fn([s](const CallArgs& a) {
      const std::string& sub = arg_str(a, 0, "sub", "count");
      if (sub.empty()) return Value(static_cast<int64_t>(utf8_length(s) + 1));
      int64_t n = 0;
      for (size_t p = s.find(sub); p != std::string::npos; p = s.find(sub, p + sub.size())) ++n;
      return Value(n);
    });
  if (name == "join")
    return fn([s](const CallArgs& a) {
      std::string out;
      bool first = true;
      for (const Value& v : iterate(a.get_or(0, "iterable", Value(std::vector<Value>{})))) {
        if (!v.is_string())
          throw TemplateError("sequence item: expected str instance, " + type_name(v) + " found");
        if (!first) out += s;
        first = false;
        out += v.str();
      }
      return Value(out);
    });
  if (name == "center" || name == "ljust" || name == "rjust" || name == "zfill") {
    char align = name == "center" ? '^' : name == "ljust" ? '<' : '>';
    bool zero = name == "zfill";
    return fn([s, align, zero](const CallArgs& a) {
      int64_t w = a.get_or(0, "width", Value(0)).as_int();
      std::string fill = zero ? "0" : a.get_or(1, "fillchar", Value(" ")).str();
      if (zero && !s.empty() && (s[0] == '-' || s[0] == '+'))
        return Value(s.substr(0, 1) + pad(s.substr(1), w - 1, '>', "0"));
      if (align == '^') {
        // Python centers with the extra space on the right when the margin is odd and width odd.
        int64_t len = static_cast<int64_t>(utf8_length(s));
        if (w <= len) return Value(s);
        int64_t marg = w - len, left = marg / 2 + (marg & w & 1);
        std::string out;
        for (int64_t i = 0; i < left; ++i) out += fill;
        out += s;
        for (int64_t i = 0; i < marg - left; ++i) out += fill;
        return Value(out);
      }
      return Value(pad(s, w, align, fill));
    });
  }
  if (name == "partition" || name == "rpartition") {
    bool right = name == "rpartition";
    return fn([s, right](const CallArgs& a) {
      const std::string& sep = arg_str(a, 0, "sep", "partition");
      size_t p = right ? s.rfind(sep) : s.find(sep);
      if (p == std::string::npos)
        return right ? Value(std::vector<Value>{Value(""), Value(""), Value(s)}, true)
                     : Value(std::vector<Value>{Value(s), Value(""), Value("")}, true);
      return Value(
          std::vector<Value>{Value(s.substr(0, p)), Value(sep), Value(s.substr(p + sep.size()))},
          true);
    });
  }
  if (name == "format") return fn([s](const CallArgs& a) { return Value(str_format(s, a)); });
  auto pred = [&](bool (*p)(char32_t)) {
    return fn([s, p](const CallArgs&) { return Value(all_cps(s, p)); });
  };
  if (name == "isdigit" || name == "isnumeric" || name == "isdecimal")
    return pred([](char32_t c) { return c >= '0' && c <= '9'; });
  if (name == "isalpha")
    return pred([](char32_t c) { return cp_is_alnum(c) && !(c >= '0' && c <= '9'); });
  if (name == "isalnum") return pred(cp_is_alnum);
  if (name == "isspace") return pred(py_isspace);
  if (name == "isupper" || name == "islower") {
    bool up = name == "isupper";
    return fn([s, up](const CallArgs&) {
      bool any = false;
      for (char32_t c : utf8_decode(s)) {
        if (up ? cp_is_lower(c) : cp_is_upper(c)) return Value(false);
        any |= up ? cp_is_upper(c) : cp_is_lower(c);
      }
      return Value(any);
    });
  }
  return std::nullopt;
}

// markupsafe.Markup's overrides: results stay Markup; join, format and replace escape
// the plain strings they insert.
std::optional<Value> markup_method(const Value& self, const std::string& name) {
  static const char* kWrapped[] = {"capitalize", "title",      "lower",     "upper",      "replace",
                                   "ljust",      "rjust",      "lstrip",    "rstrip",     "center",
                                   "strip",      "swapcase",   "zfill",     "join",       "split",
                                   "rsplit",     "splitlines", "partition", "rpartition", "format"};
  std::optional<Value> plain = string_method(Value(self.str()), name);
  if (!plain || std::find(std::begin(kWrapped), std::end(kWrapped), name) == std::end(kWrapped))
    return plain;
  Value fn = *plain;
  auto esc = [](const Value& v) { return v.is_string() ? Value(escaped_text(v)) : v; };
  return make_function(name, [fn, name, esc](const CallArgs& a) {
    CallArgs b = a;
    if (name == "join" && !b.pos.empty()) {
      std::vector<Value> items;
      for (const auto& v : iterate(b.pos[0])) items.push_back(esc(v));
      b.pos[0] = Value(std::move(items));
    } else if (name == "format") {
      for (auto& v : b.pos) v = esc(v);
      for (auto& kv : b.kw) kv.second = esc(kv.second);
    } else if (name == "replace" && b.pos.size() >= 2) {
      b.pos[1] = esc(b.pos[1]);
    }
    Value r = fn.object()->call(b);
    if (r.is_string()) return Value::markup(r.str());
    if (r.is_list()) {
      std::vector<Value> items;
      for (const auto& v : r.items()) items.push_back(v.is_string() ? Value::markup(v.str()) : v);
      return Value(std::move(items), r.is_tuple());
    }
    return r;
  });
}

Value unsafe(const Value& self, const std::string& name) {
  return Value::undefined("access to attribute '" + name + "' of '" + type_name(self) +
                          "' object is unsafe.");
}

}  // namespace

std::optional<Value> get_method(const Value& self, const std::string& name) {
  auto fn = [&](Function::Fn f) { return make_function(name, std::move(f)); };
  if (self.is_string())
    return self.is_markup() ? markup_method(self, name) : string_method(self, name);
  if (self.is_dict()) {
    if (name == "clear" || name == "pop" || name == "popitem" || name == "setdefault" ||
        name == "update")
      return unsafe(self, name);
    if (name == "get")
      return fn([self](const CallArgs& a) {
        const Value* k = a.get(0, "key");
        if (!k) throw TemplateError("get expected at least 1 argument, got 0");
        const Value* v = self.dict().find(*k);
        return v ? *v : a.get_or(1, "default", Value(nullptr));
      });
    if (name == "keys" || name == "values" || name == "items") {
      int which = name == "keys" ? 0 : name == "values" ? 1 : 2;
      return fn([self, which](const CallArgs&) {
        std::vector<Value> out;
        for (const auto& [k, v] : self.dict().items)
          out.push_back(which == 0 ? k : which == 1 ? v : Value(std::vector<Value>{k, v}, true));
        return Value(std::move(out));
      });
    }
    if (name == "copy") return fn([self](const CallArgs&) { return Value(self.dict()); });
    return std::nullopt;
  }
  if (self.is_list() && !self.is_generator()) {
    if (!self.is_tuple() &&
        (name == "append" || name == "clear" || name == "pop" || name == "reverse" ||
         name == "insert" || name == "sort" || name == "extend" || name == "remove"))
      return unsafe(self, name);
    if (name == "index")
      return fn([self](const CallArgs& a) {
        const Value* x = a.get(0, "value");
        for (size_t i = 0; x && i < self.items().size(); ++i)
          if (equals(self.items()[i], *x)) return Value(static_cast<int64_t>(i));
        throw TemplateError(repr(x ? *x : Value()) + " is not in list");
      });
    if (name == "count")
      return fn([self](const CallArgs& a) {
        const Value* x = a.get(0, "value");
        int64_t n = 0;
        for (const auto& v : self.items()) n += x && equals(v, *x);
        return Value(n);
      });
    if (name == "copy" && !self.is_tuple())
      return fn([self](const CallArgs&) { return Value(self.items()); });
  }
  return std::nullopt;
}

}  // namespace lmx::jinja
