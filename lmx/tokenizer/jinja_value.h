// SPDX-License-Identifier: MIT
// The value type of the Jinja interpreter: Python's None/bool/int/float/str/list/tuple/
// dict plus Jinja's Undefined and callable objects. Lists and dicts are shared and
// immutable once built (as in transformers' ImmutableSandboxedEnvironment); dicts keep
// insertion order.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace lmx {

// Raised for every template failure (syntax, undefined access, type errors,
// raise_exception). what() is "<message> (template line N)" when the line is known.
class TemplateError : public std::runtime_error {
 public:
  explicit TemplateError(const std::string& message, int line = 0);
  const std::string& message() const { return message_; }
  int line() const { return line_; }

 private:
  std::string message_;
  int line_;
};

}  // namespace lmx

namespace lmx::jinja {

class Value;

struct List {
  std::vector<Value> items;
  bool is_tuple = false;
  // What map/select/... return in Jinja2: iterable, always truthy, no len() or [i].
  bool is_generator = false;
};

// Ordered mapping; keys are Values compared with Python equality (1 == 1.0 == True).
struct Dict {
  std::vector<std::pair<Value, Value>> items;
  const Value* find(const Value& key) const;
  const Value* find(std::string_view key) const;
  void set(Value key, Value value);
};

struct CallArgs;

// Callables and other host objects (macros, namespace(), loop, bound methods).
class Object {
 public:
  virtual ~Object() = default;
  // Python type name used in messages ("function", "Namespace", "LoopContext").
  virtual std::string type_name() const = 0;
  // obj.name; an undefined Value when absent.
  virtual Value get_attr(const std::string& name) const;
  virtual bool callable() const { return false; }
  virtual Value call(const CallArgs& args);
  // What str() prints.
  virtual std::string str() const;
};

class Value {
 public:
  enum class Kind : uint8_t {
    kUndefined,
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kList,
    kDict,
    kObject
  };

  Value() = default;  // undefined
  Value(std::nullptr_t) : kind_(Kind::kNone) {}
  Value(bool b) : kind_(Kind::kBool), i_(b) {}
  Value(int i) : kind_(Kind::kInt), i_(i) {}
  Value(int64_t i) : kind_(Kind::kInt), i_(i) {}
  Value(double f) : kind_(Kind::kFloat), f_(f) {}
  Value(std::string s) : kind_(Kind::kString), s_(std::make_shared<std::string>(std::move(s))) {}
  Value(const char* s) : Value(std::string(s)) {}
  Value(std::vector<Value> items, bool tuple = false);
  Value(Dict d);
  static Value generator(std::vector<Value> items);
  // A Markup string (from |safe or |e): `+`, `%`, join and format HTML-escape the plain
  // strings they combine it with, as markupsafe does. Prints like any string.
  static Value markup(std::string s);
  Value(std::shared_ptr<Object> o) : kind_(Kind::kObject), obj_(std::move(o)) {}

  // An undefined value; `message` is what misuse raises ("'x' is undefined").
  static Value undefined(std::string message);
  static Value from_json(const nlohmann::ordered_json& j);
  // Throws TemplateError for values JSON cannot hold (undefined, callables).
  nlohmann::ordered_json to_json() const;

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kFloat || is_bool(); }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_markup() const { return markup_; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_tuple() const { return is_list() && list_->is_tuple; }
  bool is_generator() const { return is_list() && list_->is_generator; }
  bool is_dict() const { return kind_ == Kind::kDict; }
  bool is_object() const { return kind_ == Kind::kObject; }
  bool is_callable() const { return is_object() && obj_->callable(); }

  bool as_bool() const { return i_ != 0; }
  // int or bool as int64.
  int64_t as_int() const { return i_; }
  // int, bool or float as double.
  double as_float() const { return kind_ == Kind::kFloat ? f_ : static_cast<double>(i_); }
  const std::string& str() const { return *s_; }
  const std::vector<Value>& items() const { return list_->items; }
  const Dict& dict() const { return *dict_; }
  const std::shared_ptr<Object>& object() const { return obj_; }
  // For undefined values: the error that using it raises.
  const std::string& undefined_message() const { return *s_; }

 private:
  Kind kind_ = Kind::kUndefined;
  bool markup_ = false;
  int64_t i_ = 0;
  double f_ = 0;
  std::shared_ptr<const std::string> s_;
  std::shared_ptr<const List> list_;
  std::shared_ptr<const Dict> dict_;
  std::shared_ptr<Object> obj_;
};

// Raises TemplateError with the undefined value's message (or "'<what>' is undefined").
[[noreturn]] void fail_undefined(const Value& v);

// Python's bool(v). Undefined is false.
bool truthy(const Value& v);
// Python's ==, including 1 == 1.0 == True and deep list/dict comparison.
bool equals(const Value& a, const Value& b);
// Python's <, raising TypeError-like TemplateError for mismatched types.
bool less_than(const Value& a, const Value& b);
// Python's type name: 'str', 'int', 'list', 'NoneType', ...
std::string type_name(const Value& v);
// Jinja2's object_type_repr: "dict object", "None", ...
std::string object_type_repr(const Value& v);

// Python str(v); undefined prints empty.
std::string to_str(const Value& v);
// Python repr(v).
std::string repr(const Value& v);
std::string repr_string(std::string_view s);
// markupsafe.escape: & < > " ' as HTML entities.
std::string html_escape(std::string_view s);
// The text of `v` for Markup operations: Markup as is, anything else str()'d and escaped.
std::string escaped_text(const Value& v);

// Python's float repr: 1.0, 0.1, 1e-05, 1e+16, inf, nan.
std::string float_repr(double d);

struct JsonOptions {
  std::optional<std::string> indent;  // nullopt: single line
  std::string item_sep = ", ";
  std::string key_sep = ": ";
  bool sort_keys = false;
  bool ensure_ascii = false;
};
// Python's json.dumps(v, ...) with the given options.
std::string to_python_json(const Value& v, const JsonOptions& opts);

}  // namespace lmx::jinja
