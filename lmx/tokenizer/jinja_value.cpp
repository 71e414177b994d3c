// SPDX-License-Identifier: MIT
#include "lmx/tokenizer/jinja_value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "lmx/tokenizer/jinja_unicode.h"

namespace lmx {

static std::string with_line(const std::string& message, int line) {
  if (line <= 0) return message;
  return message + " (template line " + std::to_string(line) + ")";
}

TemplateError::TemplateError(const std::string& message, int line)
    : std::runtime_error(with_line(message, line)), message_(message), line_(line) {}

}  // namespace lmx

namespace lmx::jinja {

const Value* Dict::find(const Value& key) const {
  for (const auto& [k, v] : items)
    if (equals(k, key)) return &v;
  return nullptr;
}

const Value* Dict::find(std::string_view key) const {
  for (const auto& [k, v] : items)
    if (k.is_string() && k.str() == key) return &v;
  return nullptr;
}

void Dict::set(Value key, Value value) {
  for (auto& [k, v] : items)
    if (equals(k, key)) {
      v = std::move(value);
      return;
    }
  items.emplace_back(std::move(key), std::move(value));
}

Value Object::get_attr(const std::string& name) const {
  return Value::undefined(std::string("'").append(type_name()) + " object' has no attribute '" +
                          name + "'");
}

Value Object::call(const CallArgs&) {
  throw TemplateError(std::string("'").append(type_name()) + "' object is not callable");
}

std::string Object::str() const { return std::string("<").append(type_name()) + " object>"; }

Value::Value(std::vector<Value> items, bool tuple) : kind_(Kind::kList) {
  list_ = std::make_shared<const List>(List{std::move(items), tuple});
}

Value Value::generator(std::vector<Value> items) {
  Value v;
  v.kind_ = Kind::kList;
  v.list_ = std::make_shared<const List>(List{std::move(items), false, true});
  return v;
}

Value Value::markup(std::string s) {
  Value v(std::move(s));
  v.markup_ = true;
  return v;
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string escaped_text(const Value& v) {
  return v.is_markup() ? v.str() : html_escape(to_str(v));
}

Value::Value(Dict d) : kind_(Kind::kDict), dict_(std::make_shared<const Dict>(std::move(d))) {}

Value Value::undefined(std::string message) {
  Value v;
  v.s_ = std::make_shared<std::string>(std::move(message));
  return v;
}

Value Value::from_json(const nlohmann::ordered_json& j) {
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null:
      return Value(nullptr);
    case nlohmann::ordered_json::value_t::boolean:
      return Value(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
      return Value(j.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      if (u <= static_cast<uint64_t>(INT64_MAX)) return Value(static_cast<int64_t>(u));
      return Value(static_cast<double>(u));
    }
    case nlohmann::ordered_json::value_t::number_float:
      return Value(j.get<double>());
    case nlohmann::ordered_json::value_t::string:
      return Value(j.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(from_json(e));
      return Value(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      Dict d;
      d.items.reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it)
        d.items.emplace_back(Value(it.key()), from_json(it.value()));
      return Value(std::move(d));
    }
    default:
      return Value();
  }
}

nlohmann::ordered_json Value::to_json() const {
  switch (kind_) {
    case Kind::kNone:
      return nullptr;
    case Kind::kBool:
      return as_bool();
    case Kind::kInt:
      return i_;
    case Kind::kFloat:
      return f_;
    case Kind::kString:
      return *s_;
    case Kind::kList: {
      if (is_generator()) throw TemplateError("Object of type generator is not JSON serializable");
      auto a = nlohmann::ordered_json::array();
      for (const auto& v : items()) a.push_back(v.to_json());
      return a;
    }
    case Kind::kDict: {
      auto o = nlohmann::ordered_json::object();
      for (const auto& [k, v] : dict().items) o[k.is_string() ? k.str() : to_str(k)] = v.to_json();
      return o;
    }
    default:
      throw TemplateError("Object of type " + type_name(*this) + " is not JSON serializable");
  }
}

void fail_undefined(const Value& v) {
  throw TemplateError(v.is_undefined() && v.undefined_message().size() ? v.undefined_message()
                                                                       : "value is undefined");
}

bool truthy(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone:
      return false;
    case Value::Kind::kBool:
    case Value::Kind::kInt:
      return v.as_int() != 0;
    case Value::Kind::kFloat:
      return v.as_float() != 0.0;
    case Value::Kind::kString:
      return !v.str().empty();
    case Value::Kind::kList:
      return v.is_generator() || !v.items().empty();
    case Value::Kind::kDict:
      return !v.dict().items.empty();
    case Value::Kind::kObject:
      return true;
  }
  return false;
}

bool equals(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_float() == b.as_float();
    return a.as_int() == b.as_int();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case K::kUndefined:
    case K::kNone:
      return true;
    case K::kString:
      return a.str() == b.str();
    case K::kList: {
      if (a.is_generator() || b.is_generator()) return &a.items() == &b.items();
      if (a.is_tuple() != b.is_tuple() || a.items().size() != b.items().size()) return false;
      for (size_t i = 0; i < a.items().size(); ++i)
        if (!equals(a.items()[i], b.items()[i])) return false;
      return true;
    }
    case K::kDict: {
      const auto& da = a.dict().items;
      if (da.size() != b.dict().items.size()) return false;
      for (const auto& [k, v] : da) {
        const Value* o = b.dict().find(k);
        if (!o || !equals(v, *o)) return false;
      }
      return true;
    }
    case K::kObject:
      return a.object() == b.object();
    default:
      return false;
  }
}

bool less_than(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_float() < b.as_float();
    return a.as_int() < b.as_int();
  }
  if (a.is_string() && b.is_string()) return a.str() < b.str();  // UTF-8 order = code point order
  if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
    const auto &x = a.items(), &y = b.items();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i)
      if (!equals(x[i], y[i])) return less_than(x[i], y[i]);
    return x.size() < y.size();
  }
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  throw TemplateError("'<' not supported between instances of '" + type_name(a) + "' and '" +
                      type_name(b) + "'");
}

std::string type_name(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      return "Undefined";
    case Value::Kind::kNone:
      return "NoneType";
    case Value::Kind::kBool:
      return "bool";
    case Value::Kind::kInt:
      return "int";
    case Value::Kind::kFloat:
      return "float";
    case Value::Kind::kString:
      return "str";
    case Value::Kind::kList:
      return v.is_generator() ? "generator" : v.is_tuple() ? "tuple" : "list";
    case Value::Kind::kDict:
      return "dict";
    case Value::Kind::kObject:
      return v.object()->type_name();
  }
  return "object";
}

std::string object_type_repr(const Value& v) {
  if (v.is_none()) return "None";
  return type_name(v) + " object";
}

std::string float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  // sci is like "-1.2345e+17": split sign, digits and exponent.
  bool neg = sci[0] == '-';
  size_t epos = sci.find('e');
  std::string mant = sci.substr(neg ? 1 : 0, epos - (neg ? 1 : 0));
  int exp = std::stoi(sci.substr(epos + 1));
  std::string digits;
  for (char c : mant)
    if (c != '.') digits.push_back(c);
  std::string out = neg ? "-" : "";
  if (exp >= -5 + 1 && exp < 16) {
    if (exp >= 0) {
      if (digits.size() <= static_cast<size_t>(exp) + 1) {
        out += digits + std::string(static_cast<size_t>(exp) + 1 - digits.size(), '0') + ".0";
      } else {
        out += digits.substr(0, static_cast<size_t>(exp) + 1) + "." +
               digits.substr(static_cast<size_t>(exp) + 1);
      }
    } else {
      out += "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  char eb[32];
  std::snprintf(eb, sizeof(eb), "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
  return out + eb;
}

std::string repr_string(std::string_view s) {
  bool has_single = s.find('\'') != std::string_view::npos;
  bool has_double = s.find('"') != std::string_view::npos;
  char q = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, q);
  for (char32_t c : utf8_decode(s)) {
    if (c == static_cast<char32_t>(q) || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F || (c >= 0x80 && !cp_is_printable(c))) {
      char buf[16];
      if (c < 0x100)
        std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(c));
      else if (c < 0x10000)
        std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
      else
        std::snprintf(buf, sizeof(buf), "\\U%08x", static_cast<unsigned>(c));
      out += buf;
    } else {
      utf8_append(out, c);
    }
  }
  out.push_back(q);
  return out;
}

std::string repr(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kString:
      return repr_string(v.str());
    case Value::Kind::kUndefined:
      return "Undefined";
    case Value::Kind::kList: {
      if (v.is_generator()) return "<generator object at 0x7f0000000000>";
      std::string out = v.is_tuple() ? "(" : "[";
      for (size_t i = 0; i < v.items().size(); ++i) {
        if (i) out += ", ";
        out += repr(v.items()[i]);
      }
      if (v.is_tuple() && v.items().size() == 1) out += ",";
      return out + (v.is_tuple() ? ")" : "]");
    }
    case Value::Kind::kDict: {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, val] : v.dict().items) {
        if (!first) out += ", ";
        first = false;
        out += repr(k) + ": " + repr(val);
      }
      return out + "}";
    }
    default:
      return to_str(v);
  }
}

std::string to_str(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      return "";
    case Value::Kind::kNone:
      return "None";
    case Value::Kind::kBool:
      return v.as_bool() ? "True" : "False";
    case Value::Kind::kInt:
      return std::to_string(v.as_int());
    case Value::Kind::kFloat:
      return float_repr(v.as_float());
    case Value::Kind::kString:
      return v.str();
    case Value::Kind::kObject:
      return v.object()->str();
    default:
      return repr(v);
  }
}

static void json_string(std::string& out, std::string_view s, bool ensure_ascii) {
  out.push_back('"');
  auto hex = [&](unsigned c) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "\\u%04x", c);
    out += buf;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          hex(c);
        } else if (c >= 0x80 && ensure_ascii) {
          size_t n = (c >= 0xF0) ? 4 : (c >= 0xE0) ? 3 : 2;
          std::u32string cp = utf8_decode(s.substr(i, n));
          i += n - 1;
          char32_t u = cp.empty() ? 0xFFFD : cp[0];
          if (u >= 0x10000) {
            u -= 0x10000;
            hex(0xD800 + (u >> 10));
            hex(0xDC00 + (u & 0x3FF));
          } else {
            hex(u);
          }
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

static void json_dump(std::string& out, const Value& v, const JsonOptions& o, int depth) {
  auto newline = [&](int d) {
    if (!o.indent) return;
    out.push_back('\n');
    for (int i = 0; i < d; ++i) out += *o.indent;
  };
  switch (v.kind()) {
    case Value::Kind::kNone:
      out += "null";
      return;
    case Value::Kind::kBool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Value::Kind::kInt:
      out += std::to_string(v.as_int());
      return;
    case Value::Kind::kFloat: {
      double d = v.as_float();
      if (std::isnan(d))
        out += "NaN";
      else if (std::isinf(d))
        out += d > 0 ? "Infinity" : "-Infinity";
      else
        out += float_repr(d);
      return;
    }
    case Value::Kind::kString:
      json_string(out, v.str(), o.ensure_ascii);
      return;
    case Value::Kind::kList: {
      if (v.is_generator())
        throw TemplateError("Object of type generator is not JSON serializable");
      if (v.items().empty()) {
        out += "[]";
        return;
      }
      out.push_back('[');
      for (size_t i = 0; i < v.items().size(); ++i) {
        if (i) out += o.item_sep;
        newline(depth + 1);
        json_dump(out, v.items()[i], o, depth + 1);
      }
      newline(depth);
      out.push_back(']');
      return;
    }
    case Value::Kind::kDict: {
      if (v.dict().items.empty()) {
        out += "{}";
        return;
      }
      std::vector<const std::pair<Value, Value>*> items;
      for (const auto& kv : v.dict().items) items.push_back(&kv);
      if (o.sort_keys)
        std::stable_sort(items.begin(), items.end(),
                         [](auto* a, auto* b) { return less_than(a->first, b->first); });
      out.push_back('{');
      bool first = true;
      for (const auto* kv : items) {
        if (!first) out += o.item_sep;
        first = false;
        newline(depth + 1);
        const Value& k = kv->first;
        if (k.is_string()) {
          json_string(out, k.str(), o.ensure_ascii);
        } else if (k.is_bool() || k.is_none()) {
          out += "\"" + std::string(k.is_none() ? "null" : k.as_bool() ? "true" : "false") + "\"";
        } else if (k.is_int() || k.is_float()) {
          std::string s = to_str(k);
          out += "\"" + s + "\"";
        } else {
          throw TemplateError("keys must be str, int, float, bool or None, not " + type_name(k));
        }
        out += o.key_sep;
        json_dump(out, kv->second, o, depth + 1);
      }
      newline(depth);
      out.push_back('}');
      return;
    }
    default:
      throw TemplateError("Object of type " + type_name(v) + " is not JSON serializable");
  }
}

std::string to_python_json(const Value& v, const JsonOptions& opts) {
  std::string out;
  json_dump(out, v, opts, 0);
  return out;
}

}  // namespace lmx::jinja
