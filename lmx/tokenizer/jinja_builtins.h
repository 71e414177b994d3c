// SPDX-License-Identifier: MIT
// What the interpreter calls into: Python operators and attribute lookup on Values,
// the filters, tests, str/dict/list methods and global functions of transformers'
// Jinja environment. Internal to lmx/tokenizer.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lmx/tokenizer/jinja_value.h"

namespace lmx::jinja {

// Arguments of a call, after evaluation.
struct CallArgs {
  std::vector<Value> pos;
  std::vector<std::pair<std::string, Value>> kw;

  // Parameter `i` of a Python signature: pos[i] or the keyword `name`; null if absent.
  const Value* get(size_t i, std::string_view name) const;
  Value get_or(size_t i, std::string_view name, Value def) const {
    const Value* v = get(i, name);
    return v ? *v : def;
  }
  const Value* kwarg(std::string_view name) const;
};

// A host function (builtin, bound method, global).
class Function : public Object {
 public:
  using Fn = std::function<Value(const CallArgs&)>;
  Function(std::string name, Fn fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  std::string type_name() const override { return "builtin_function_or_method"; }
  bool callable() const override { return true; }
  Value call(const CallArgs& args) override { return fn_(args); }
  std::string str() const override { return "<built-in function " + name_ + ">"; }

 private:
  std::string name_;
  Fn fn_;
};

Value make_function(std::string name, Function::Fn fn);

// namespace(): the one mutable object templates get.
class Namespace : public Object {
 public:
  std::string type_name() const override { return "Namespace"; }
  Value get_attr(const std::string& name) const override;
  std::string str() const override { return "<Namespace " + repr(Value(attrs)) + ">"; }
  Dict attrs;
};

// --- jinja_ops.cpp: Python operators ---
// op is one of + - * / // % ** ~
Value binary_op(std::string_view op, const Value& a, const Value& b);
Value negate(const Value& v, bool minus);
// `item in container`.
bool contains(const Value& container, const Value& item);
// Items of a for loop / list(): list items, dict keys, string characters; undefined is empty.
std::vector<Value> iterate(const Value& v);
// Jinja2's environment getattr (a.name) and getitem (a[key]) for the immutable sandbox.
Value get_attr(const Value& obj, const std::string& name);
Value get_item(const Value& obj, const Value& key);
// obj[start:stop:step] on strings, lists and tuples; null parts are omitted.
Value slice(const Value& obj, const Value* start, const Value* stop, const Value* step);
// len(v), raising for values without a length.
size_t py_len(const Value& v);
// Python int(v) / float(v) conversions used by filters; throw on failure.
int64_t to_int_strict(const Value& v);

// --- jinja_methods.cpp: str, dict and list methods, str.format and % ---
// Bound method `obj.name`; an undefined value with the sandbox's message for methods
// that would mutate a list or dict; nullopt when the type has no such method.
std::optional<Value> get_method(const Value& obj, const std::string& name);
std::string percent_format(const std::string& fmt, const Value& args);
// Python's str.title() and str.capitalize().
std::string py_title(std::string_view s);
std::string py_capitalize(std::string_view s);

// --- jinja_filters.cpp / jinja_tests.cpp ---
using FilterFn = Value (*)(const Value& input, const CallArgs& args);
using TestFn = bool (*)(const Value& input, const CallArgs& args);
// Null when Jinja2 has no such filter/test.
FilterFn find_filter(std::string_view name);
TestFn find_test(std::string_view name);

// --- jinja_globals.cpp ---
// range, dict, namespace, cycler, joiner, raise_exception, strftime_now.
void add_globals(Dict& globals);
// strftime_now's clock: now, or LMX_FIXED_DATE (YYYY-MM-DD) at midnight.
std::string strftime_now(const std::string& format);

}  // namespace lmx::jinja
