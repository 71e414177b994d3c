// SPDX-License-Identifier: MIT
// Jinja2's builtin tests (`x is defined`, `x is divisibleby 3`, ...).
#include <unordered_map>

#include "lmx/tokenizer/jinja_builtins.h"
#include "lmx/tokenizer/jinja_unicode.h"

namespace lmx::jinja {
namespace {

const Value& arg0(const CallArgs& a, std::string_view test) {
  if (a.pos.empty() && a.kw.empty())
    throw TemplateError("test '" + std::string(test) + "' takes an argument");
  return a.pos.empty() ? a.kw[0].second : a.pos[0];
}

bool t_defined(const Value& v, const CallArgs&) { return !v.is_undefined(); }
bool t_undefined(const Value& v, const CallArgs&) { return v.is_undefined(); }
bool t_none(const Value& v, const CallArgs&) { return v.is_none(); }
bool t_boolean(const Value& v, const CallArgs&) { return v.is_bool(); }
bool t_false(const Value& v, const CallArgs&) { return v.is_bool() && !v.as_bool(); }
bool t_true(const Value& v, const CallArgs&) { return v.is_bool() && v.as_bool(); }
bool t_integer(const Value& v, const CallArgs&) { return v.is_int(); }
bool t_float(const Value& v, const CallArgs&) { return v.is_float(); }
bool t_number(const Value& v, const CallArgs&) { return v.is_number(); }
bool t_string(const Value& v, const CallArgs&) { return v.is_string(); }
bool t_mapping(const Value& v, const CallArgs&) { return v.is_dict(); }
bool t_iterable(const Value& v, const CallArgs&) {
  return v.is_list() || v.is_dict() || v.is_string() || v.is_undefined();
}
bool t_sequence(const Value& v, const CallArgs&) {
  return (v.is_list() && !v.is_generator()) || v.is_dict() || v.is_string() || v.is_undefined();
}
bool t_callable(const Value& v, const CallArgs&) { return v.is_callable(); }
bool t_escaped(const Value&, const CallArgs&) { return false; }
bool t_filter(const Value& v, const CallArgs&) { return v.is_string() && find_filter(v.str()); }
bool t_test(const Value& v, const CallArgs&) { return v.is_string() && find_test(v.str()); }

int64_t int_of(const Value& v) {
  if (v.is_undefined()) fail_undefined(v);
  Value r = binary_op("%", v, Value(2));
  return r.is_float() ? static_cast<int64_t>(r.as_float()) : r.as_int();
}
bool t_odd(const Value& v, const CallArgs&) { return int_of(v) == 1; }
bool t_even(const Value& v, const CallArgs&) { return int_of(v) == 0; }
bool t_divisibleby(const Value& v, const CallArgs& a) {
  return equals(binary_op("%", v, arg0(a, "divisibleby")), Value(0));
}
bool t_lower(const Value& v, const CallArgs&) {
  Value s(to_str(v));
  return truthy(get_method(s, "islower")->object()->call({}));
}
bool t_upper(const Value& v, const CallArgs&) {
  Value s(to_str(v));
  return truthy(get_method(s, "isupper")->object()->call({}));
}
bool t_in(const Value& v, const CallArgs& a) { return contains(arg0(a, "in"), v); }
bool t_eq(const Value& v, const CallArgs& a) { return equals(v, arg0(a, "eq")); }
bool t_ne(const Value& v, const CallArgs& a) { return !equals(v, arg0(a, "ne")); }
bool t_lt(const Value& v, const CallArgs& a) { return less_than(v, arg0(a, "lt")); }
bool t_le(const Value& v, const CallArgs& a) { return !less_than(arg0(a, "le"), v); }
bool t_gt(const Value& v, const CallArgs& a) { return less_than(arg0(a, "gt"), v); }
bool t_ge(const Value& v, const CallArgs& a) { return !less_than(v, arg0(a, "ge")); }
bool t_sameas(const Value& v, const CallArgs& a) {
  const Value& o = arg0(a, "sameas");
  if (v.kind() != o.kind()) return false;
  if (v.is_object()) return v.object() == o.object();
  if (v.is_list()) return &v.items() == &o.items();
  if (v.is_dict()) return &v.dict() == &o.dict();
  return equals(v, o);
}

const std::unordered_map<std::string_view, TestFn>& test_table() {
  static const std::unordered_map<std::string_view, TestFn> table = {
      {"boolean", t_boolean},
      {"callable", t_callable},
      {"defined", t_defined},
      {"divisibleby", t_divisibleby},
      {"escaped", t_escaped},
      {"even", t_even},
      {"false", t_false},
      {"filter", t_filter},
      {"float", t_float},
      {"ge", t_ge},
      {"gt", t_gt},
      {"greaterthan", t_gt},
      {"in", t_in},
      {"integer", t_integer},
      {"iterable", t_iterable},
      {"le", t_le},
      {"lower", t_lower},
      {"lt", t_lt},
      {"lessthan", t_lt},
      {"mapping", t_mapping},
      {"ne", t_ne},
      {"none", t_none},
      {"number", t_number},
      {"odd", t_odd},
      {"sameas", t_sameas},
      {"sequence", t_sequence},
      {"string", t_string},
      {"test", t_test},
      {"true", t_true},
      {"undefined", t_undefined},
      {"upper", t_upper},
      {"eq", t_eq},
      {"equalto", t_eq},
      {"==", t_eq},
      {"!=", t_ne},
      {"<", t_lt},
      {"<=", t_le},
      {">", t_gt},
      {">=", t_ge},
  };
  return table;
}

}  // namespace

TestFn find_test(std::string_view name) {
  auto it = test_table().find(name);
  return it == test_table().end() ? nullptr : it->second;
}

}  // namespace lmx::jinja
