// SPDX-License-Identifier: MIT
// Python operator semantics, attribute/item lookup and slicing for the Jinja interpreter.
#include <algorithm>
#include <cmath>
#include <optional>

#include "lmx/tokenizer/jinja_builtins.h"
#include "lmx/tokenizer/jinja_unicode.h"

namespace lmx::jinja {

const Value* CallArgs::get(size_t i, std::string_view name) const {
  if (i < pos.size()) return &pos[i];
  return kwarg(name);
}

const Value* CallArgs::kwarg(std::string_view name) const {
  for (const auto& [k, v] : kw)
    if (k == name) return &v;
  return nullptr;
}

Value make_function(std::string name, Function::Fn fn) {
  return Value(std::make_shared<Function>(std::move(name), std::move(fn)));
}

Value Namespace::get_attr(const std::string& name) const {
  if (const Value* v = attrs.find(std::string_view(name))) return *v;
  return Value::undefined("'jinja2.utils.Namespace object' has no attribute '" + name + "'");
}

namespace {

// 'text' (built by appending: GCC 12 warns falsely on "'" + std::string&&).
std::string quote(std::string_view s) {
  std::string r(1, '\'');
  r.append(s);
  r.push_back('\'');
  return r;
}

[[noreturn]] void unsupported(std::string_view op, const Value& a, const Value& b) {
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  if (op == "+" && (a.is_string() || a.is_list()) && !b.is_undefined())
    throw TemplateError("can only concatenate " + type_name(a) + " (not \"" + type_name(b) +
                        "\") to " + type_name(a));
  throw TemplateError("unsupported operand type(s) for " + std::string(op) + ": '" + type_name(a) +
                      "' and '" + type_name(b) + "'");
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

Value repeat(const Value& seq, int64_t n) {
  if (seq.is_string()) {
    std::string out;
    for (int64_t i = 0; i < n; ++i) out += seq.str();
    return seq.is_markup() ? Value::markup(std::move(out)) : Value(std::move(out));
  }
  std::vector<Value> out;
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), seq.items().begin(), seq.items().end());
  return Value(std::move(out), seq.is_tuple());
}

int64_t int_pow(int64_t base, int64_t exp) {
  int64_t r = 1;
  while (exp > 0) {
    if (exp & 1) r *= base;
    base *= base;
    exp >>= 1;
  }
  return r;
}

}  // namespace

Value binary_op(std::string_view op, const Value& a, const Value& b) {
  if (op == "~") return Value(to_str(a) + to_str(b));
  bool nums = a.is_number() && b.is_number();
  bool fl = nums && (a.is_float() || b.is_float());
  if (op == "+") {
    if (nums) return fl ? Value(a.as_float() + b.as_float()) : Value(a.as_int() + b.as_int());
    if (a.is_string() && b.is_string()) {
      if (a.is_markup() || b.is_markup()) return Value::markup(escaped_text(a) + escaped_text(b));
      return Value(a.str() + b.str());
    }
    if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple() && !a.is_generator() &&
        !b.is_generator()) {
      std::vector<Value> out = a.items();
      out.insert(out.end(), b.items().begin(), b.items().end());
      return Value(std::move(out), a.is_tuple());
    }
  } else if (op == "-") {
    if (nums) return fl ? Value(a.as_float() - b.as_float()) : Value(a.as_int() - b.as_int());
  } else if (op == "*") {
    if (nums) return fl ? Value(a.as_float() * b.as_float()) : Value(a.as_int() * b.as_int());
    if ((a.is_string() || a.is_list()) && (b.is_int() || b.is_bool())) return repeat(a, b.as_int());
    if ((b.is_string() || b.is_list()) && (a.is_int() || a.is_bool())) return repeat(b, a.as_int());
  } else if (op == "/") {
    if (nums) {
      if (b.as_float() == 0) throw TemplateError("division by zero");
      return Value(a.as_float() / b.as_float());
    }
  } else if (op == "//") {
    if (nums) {
      if (b.as_float() == 0)
        throw TemplateError(fl ? "float floor division by zero"
                               : "integer division or modulo by zero");
      if (fl) return Value(std::floor(a.as_float() / b.as_float()));
      return Value(floor_div(a.as_int(), b.as_int()));
    }
  } else if (op == "%") {
    if (a.is_markup()) {
      auto esc = [](const Value& x) { return x.is_string() ? Value::markup(escaped_text(x)) : x; };
      Value args = b;
      if (b.is_tuple()) {
        std::vector<Value> items;
        for (const auto& x : b.items()) items.push_back(esc(x));
        args = Value(std::move(items), true);
      } else if (b.is_dict()) {
        Dict d;
        for (const auto& [k, x] : b.dict().items) d.set(k, esc(x));
        args = Value(std::move(d));
      } else {
        args = esc(b);
      }
      return Value::markup(percent_format(a.str(), args));
    }
    if (a.is_string()) return Value(percent_format(a.str(), b));
    if (nums) {
      if (b.as_float() == 0)
        throw TemplateError(fl ? "float modulo" : "integer division or modulo by zero");
      if (fl) {
        double r = std::fmod(a.as_float(), b.as_float());
        if (r != 0 && ((r < 0) != (b.as_float() < 0))) r += b.as_float();
        return Value(r);
      }
      return Value(a.as_int() - floor_div(a.as_int(), b.as_int()) * b.as_int());
    }
  } else if (op == "**") {
    if (nums) {
      if (!fl && b.as_int() >= 0) return Value(int_pow(a.as_int(), b.as_int()));
      return Value(std::pow(a.as_float(), b.as_float()));
    }
  }
  unsupported(op, a, b);
}

Value negate(const Value& v, bool minus) {
  if (v.is_float()) return Value(minus ? -v.as_float() : v.as_float());
  if (v.is_int() || v.is_bool()) return Value(minus ? -v.as_int() : v.as_int());
  if (v.is_undefined()) fail_undefined(v);
  throw TemplateError(std::string("bad operand type for unary ") + (minus ? "-" : "+") + ": '" +
                      type_name(v) + "'");
}

bool contains(const Value& container, const Value& item) {
  if (container.is_string()) {
    if (!item.is_string()) {
      if (item.is_undefined()) fail_undefined(item);
      throw TemplateError("'in <string>' requires string as left operand, not " + type_name(item));
    }
    return container.str().find(item.str()) != std::string::npos;
  }
  if (container.is_list()) {
    for (const auto& v : container.items())
      if (equals(v, item)) return true;
    return false;
  }
  if (container.is_dict()) return container.dict().find(item) != nullptr;
  if (container.is_undefined()) return false;
  throw TemplateError("argument of type '" + type_name(container) + "' is not iterable");
}

std::vector<Value> iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kList:
      return v.items();
    case Value::Kind::kDict: {
      std::vector<Value> keys;
      for (const auto& kv : v.dict().items) keys.push_back(kv.first);
      return keys;
    }
    case Value::Kind::kString: {
      std::vector<Value> chars;
      for (char32_t c : utf8_decode(v.str())) chars.emplace_back(utf8_encode(std::u32string(1, c)));
      return chars;
    }
    case Value::Kind::kUndefined:
      return {};
    default:
      throw TemplateError("'" + type_name(v) + "' object is not iterable");
  }
}

size_t py_len(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kString:
      return utf8_length(v.str());
    case Value::Kind::kList:
      if (v.is_generator()) break;
      return v.items().size();
    case Value::Kind::kDict:
      return v.dict().items.size();
    case Value::Kind::kUndefined:
      return 0;
    default:
      break;
  }
  throw TemplateError("object of type '" + type_name(v) + "' has no len()");
}

Value get_attr(const Value& obj, const std::string& name) {
  if (obj.is_undefined()) fail_undefined(obj);
  if (obj.is_object()) return obj.object()->get_attr(name);
  if (!name.empty() && name[0] == '_')
    return Value::undefined("access to attribute '" + name + "' of '" + type_name(obj) +
                            "' object is unsafe.");
  if (auto m = get_method(obj, name)) return *m;
  if (obj.is_dict())
    if (const Value* v = obj.dict().find(std::string_view(name))) return *v;
  return Value::undefined(quote(object_type_repr(obj)) + " has no attribute '" + name + "'");
}

static bool normalize_index(int64_t& i, size_t n) {
  if (i < 0) i += static_cast<int64_t>(n);
  return i >= 0 && i < static_cast<int64_t>(n);
}

Value get_item(const Value& obj, const Value& key) {
  if (obj.is_undefined()) fail_undefined(obj);
  if (obj.is_dict()) {
    if (const Value* v = obj.dict().find(key)) return *v;
  } else if (obj.is_generator()) {
    // Jinja2 turns the TypeError of gen[i] into an undefined value.
  } else if ((obj.is_list() || obj.is_string()) && (key.is_int() || key.is_bool())) {
    int64_t i = key.as_int();
    if (obj.is_list()) {
      if (normalize_index(i, obj.items().size())) return obj.items()[static_cast<size_t>(i)];
    } else {
      std::u32string u = utf8_decode(obj.str());
      if (normalize_index(i, u.size())) {
        std::string ch = utf8_encode(u.substr(static_cast<size_t>(i), 1));
        return obj.is_markup() ? Value::markup(std::move(ch)) : Value(std::move(ch));
      }
    }
    return Value::undefined(quote(object_type_repr(obj)) + " has no element " + to_str(key));
  } else if (obj.is_object() && key.is_string()) {
    return obj.object()->get_attr(key.str());
  }
  if (key.is_string()) {
    if (auto m = get_method(obj, key.str())) return *m;
    return Value::undefined(quote(object_type_repr(obj)) + " has no attribute '" + key.str() + "'");
  }
  return Value::undefined(quote(object_type_repr(obj)) + " has no element " + repr(key));
}

Value slice(const Value& obj, const Value* start, const Value* stop, const Value* step) {
  if (obj.is_undefined()) fail_undefined(obj);
  auto as_opt = [](const Value* v, const char* what) -> std::optional<int64_t> {
    if (!v || v->is_none()) return std::nullopt;
    if (!v->is_int() && !v->is_bool())
      throw TemplateError(std::string("slice indices must be integers or None, got ") + what);
    return v->as_int();
  };
  std::optional<int64_t> a = as_opt(start, "start"), b = as_opt(stop, "stop"),
                         s = as_opt(step, "step");
  int64_t st = s.value_or(1);
  if (st == 0) throw TemplateError("slice step cannot be zero");
  bool is_str = obj.is_string();
  if (!is_str && (!obj.is_list() || obj.is_generator()))
    return Value::undefined(quote(object_type_repr(obj)) + " has no element slice");
  std::u32string u = is_str ? utf8_decode(obj.str()) : std::u32string();
  int64_t n = static_cast<int64_t>(is_str ? u.size() : obj.items().size());
  auto clamp = [&](std::optional<int64_t> x, int64_t def) {
    if (!x) return def;
    int64_t v = *x;
    if (v < 0) v += n;
    if (st > 0) return std::clamp<int64_t>(v, 0, n);
    return std::clamp<int64_t>(v, -1, n - 1);
  };
  int64_t lo = clamp(a, st > 0 ? 0 : n - 1), hi = clamp(b, st > 0 ? n : -1);
  std::u32string out_s;
  std::vector<Value> out_l;
  for (int64_t i = lo; st > 0 ? i < hi : i > hi; i += st) {
    if (is_str)
      out_s.push_back(u[static_cast<size_t>(i)]);
    else
      out_l.push_back(obj.items()[static_cast<size_t>(i)]);
  }
  if (is_str)
    return obj.is_markup() ? Value::markup(utf8_encode(out_s)) : Value(utf8_encode(out_s));
  return Value(std::move(out_l), obj.is_tuple());
}

int64_t to_int_strict(const Value& v) {
  if (v.is_int() || v.is_bool()) return v.as_int();
  if (v.is_float()) return static_cast<int64_t>(v.as_float());
  if (v.is_string()) {
    std::string s = py_strip(v.str(), nullptr, true, true);
    size_t used = 0;
    int64_t r = std::stoll(s, &used);
    if (used != s.size()) throw TemplateError("invalid literal for int(): " + repr(v));
    return r;
  }
  throw TemplateError("int() argument must be a string or a number, not '" + type_name(v) + "'");
}

}  // namespace lmx::jinja
