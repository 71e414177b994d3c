// SPDX-License-Identifier: MIT
// Jinja2's builtin filters (3.1 semantics), with transformers' tojson.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>

#include "lmx/tokenizer/jinja_builtins.h"
#include "lmx/tokenizer/jinja_unicode.h"

namespace lmx::jinja {
namespace {

using Items = std::vector<Value>;

// A string result that stays Markup when the filter's input was (markupsafe's str methods).
Value like(const Value& in, std::string s) {
  return in.is_markup() ? Value::markup(std::move(s)) : Value(std::move(s));
}

Value lowered(const Value& v) { return v.is_string() ? Value(py_lower(v.str())) : v; }

// Jinja2's make_attrgetter: "a.b.0" looked up with getitem semantics.
Value attr_path(const Value& item, const Value& attribute) {
  if (!attribute.is_string()) return get_item(item, attribute);
  Value v = item;
  const std::string& path = attribute.str();
  size_t start = 0;
  for (;;) {
    size_t dot = path.find('.', start);
    std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool digits = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
    v = get_item(v, digits ? Value(static_cast<int64_t>(std::stoll(part))) : Value(part));
    if (dot == std::string::npos) return v;
    start = dot + 1;
  }
}

// Sort/compare key: the attribute (if any), lowercased unless case sensitive.
Value sort_key(const Value& item, const Value* attribute, bool case_sensitive) {
  Value v = attribute && !attribute->is_none() ? attr_path(item, *attribute) : item;
  return case_sensitive ? v : lowered(v);
}

bool arg_bool(const CallArgs& a, size_t i, std::string_view name, bool def) {
  const Value* v = a.get(i, name);
  return v ? truthy(*v) : def;
}

Value f_abs(const Value& v, const CallArgs&) {
  if (v.is_float()) return Value(std::fabs(v.as_float()));
  if (v.is_int() || v.is_bool()) return Value(v.as_int() < 0 ? -v.as_int() : v.as_int());
  if (v.is_undefined()) fail_undefined(v);
  throw TemplateError("bad operand type for abs(): '" + type_name(v) + "'");
}

// Python getattr only: dict keys are not attributes.
Value f_attr(const Value& v, const CallArgs& a) {
  std::string name = to_str(a.get_or(0, "name", Value("")));
  if (v.is_object()) return v.object()->get_attr(name);
  if (auto m = get_method(v, name)) return *m;
  return Value::undefined("'" + object_type_repr(v) + "' has no attribute '" + name + "'");
}

Value f_batch(const Value& v, const CallArgs& a) {
  int64_t n = a.get_or(0, "linecount", Value(1)).as_int();
  const Value* fill = a.get(1, "fill_with");
  Items out, tmp;
  for (const Value& item : iterate(v)) {
    if (static_cast<int64_t>(tmp.size()) == n) {
      out.emplace_back(std::move(tmp));
      tmp.clear();
    }
    tmp.push_back(item);
  }
  if (!tmp.empty()) {
    if (fill && !fill->is_none())
      while (static_cast<int64_t>(tmp.size()) < n) tmp.push_back(*fill);
    out.emplace_back(std::move(tmp));
  }
  return Value::generator(std::move(out));
}

Value f_capitalize(const Value& v, const CallArgs&) { return like(v, py_capitalize(to_str(v))); }

Value f_center(const Value& v, const CallArgs& a) {
  Value s = like(v, to_str(v));
  CallArgs ca{{a.get_or(0, "width", Value(80))}, {}};
  return get_method(s, "center")->object()->call(ca);
}

Value f_length(const Value& v, const CallArgs&) { return Value(static_cast<int64_t>(py_len(v))); }

Value f_default(const Value& v, const CallArgs& a) {
  Value def = a.get_or(0, "default_value", Value(""));
  if (v.is_undefined() || (arg_bool(a, 1, "boolean", false) && !truthy(v))) return def;
  return v;
}

Items sorted_items(const Value& v, const CallArgs& a, size_t case_idx, bool by_value_default) {
  if (!v.is_dict()) throw TemplateError("You can only sort by either \"key\" or \"value\"");
  bool cs = arg_bool(a, case_idx, "case_sensitive", false);
  std::string by = to_str(a.get_or(case_idx + 1, "by", Value(by_value_default ? "value" : "key")));
  if (by != "key" && by != "value")
    throw TemplateError("You can only sort by either \"key\" or \"value\"");
  bool rev = arg_bool(a, case_idx + 2, "reverse", false);
  Items items;
  for (const auto& [k, val] : v.dict().items) items.emplace_back(Items{k, val}, true);
  size_t pos = by == "key" ? 0 : 1;
  std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
    Value kx = x.items()[pos], ky = y.items()[pos];
    if (!cs) kx = lowered(kx), ky = lowered(ky);
    return rev ? less_than(ky, kx) : less_than(kx, ky);
  });
  return items;
}

Value f_dictsort(const Value& v, const CallArgs& a) { return Value(sorted_items(v, a, 0, false)); }

Value f_escape(const Value& v, const CallArgs&) {
  return v.is_markup() ? v : Value::markup(html_escape(to_str(v)));
}

Value f_forceescape(const Value& v, const CallArgs&) {
  return Value::markup(html_escape(to_str(v)));
}

Value f_first(const Value& v, const CallArgs&) {
  if (v.is_list() && !v.items().empty()) return v.items()[0];
  Items items = iterate(v);
  if (items.empty()) return Value::undefined("No first item, sequence was empty.");
  return items[0];
}

Value f_last(const Value& v, const CallArgs&) {
  if (v.is_generator()) throw TemplateError("'generator' object is not reversible");
  Items items = iterate(v);
  if (items.empty()) return Value::undefined("No last item, sequence was empty.");
  return items.back();
}

std::optional<double> parse_float(const std::string& s0) {
  std::string s = py_strip(s0, nullptr, true, true);
  std::string t;
  for (char c : s)
    if (c != '_') t.push_back(c);
  if (t.empty()) return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size()) return std::nullopt;
  std::string low = py_lower(t);
  if (low.find("0x") != std::string::npos) return std::nullopt;
  return d;
}

Value f_float(const Value& v, const CallArgs& a) {
  Value def = a.get_or(0, "default", Value(0.0));
  if (v.is_undefined()) fail_undefined(v);  // float(Undefined) raises
  if (v.is_number()) return Value(v.as_float());
  if (v.is_string())
    if (auto d = parse_float(v.str())) return Value(*d);
  return def;
}

Value f_int(const Value& v, const CallArgs& a) {
  Value def = a.get_or(0, "default", Value(0));
  if (v.is_undefined()) fail_undefined(v);  // int(Undefined) raises
  int64_t base = a.get_or(1, "base", Value(10)).as_int();
  if (v.is_int() || v.is_bool()) return Value(v.as_int());
  if (v.is_float())
    return std::isfinite(v.as_float()) ? Value(static_cast<int64_t>(v.as_float())) : def;
  if (v.is_string()) {
    std::string s = py_strip(v.str(), nullptr, true, true);
    std::string t;
    for (char c : s)
      if (c != '_') t.push_back(c);
    if (!t.empty()) {
      char* end = nullptr;
      long long n = std::strtoll(t.c_str(), &end, static_cast<int>(base));
      if (end == t.c_str() + t.size() && !py_isspace(static_cast<unsigned char>(t[0])))
        return Value(static_cast<int64_t>(n));
    }
    if (auto d = parse_float(v.str()); d && std::isfinite(*d))
      return Value(static_cast<int64_t>(*d));
  }
  return def;
}

Value f_indent(const Value& v, const CallArgs& a) {
  Value w = a.get_or(0, "width", Value(4));
  std::string ind = w.is_string()
                        ? w.str()
                        : std::string(static_cast<size_t>(std::max<int64_t>(0, w.as_int())), ' ');
  bool first = arg_bool(a, 1, "first", false), blank = arg_bool(a, 2, "blank", false);
  if (v.is_undefined()) fail_undefined(v);
  if (!v.is_string())  // Jinja2 appends "\n" to its input
    throw TemplateError("unsupported operand type(s) for +=: '" + type_name(v) + "' and 'str'");
  std::vector<std::string> lines = py_splitlines(to_str(v) + "\n");
  std::string rv;
  if (blank) {
    for (size_t i = 0; i < lines.size(); ++i) rv += (i ? "\n" + ind : "") + lines[i];
  } else {
    rv = lines.empty() ? "" : lines[0];
    for (size_t i = 1; i < lines.size(); ++i) rv += "\n" + (lines[i].empty() ? "" : ind + lines[i]);
  }
  return like(v, first ? ind + rv : rv);
}

Value f_items(const Value& v, const CallArgs&) {
  if (v.is_undefined()) return Value::generator({});
  if (!v.is_dict()) throw TemplateError("Can only get item pairs from a mapping.");
  Items out;
  for (const auto& [k, val] : v.dict().items) out.emplace_back(Items{k, val}, true);
  return Value::generator(std::move(out));
}

Value f_join(const Value& v, const CallArgs& a) {
  std::string sep = to_str(a.get_or(0, "d", Value("")));
  const Value* attribute = a.get(1, "attribute");
  std::string out;
  bool first = true;
  for (const Value& item : iterate(v)) {
    if (!first) out += sep;
    first = false;
    out += to_str(attribute && !attribute->is_none() ? attr_path(item, *attribute) : item);
  }
  return Value(out);
}

Value f_list(const Value& v, const CallArgs&) { return Value(iterate(v)); }
Value f_lower(const Value& v, const CallArgs&) { return like(v, py_lower(to_str(v))); }
Value f_upper(const Value& v, const CallArgs&) { return like(v, py_upper(to_str(v))); }

Value f_map(const Value& v, const CallArgs& a) {
  Items out;
  if (!truthy(v)) return Value::generator({});  // Jinja2 maps falsy values (None) to nothing
  if (a.pos.empty() && a.kwarg("attribute")) {
    Value attribute = *a.kwarg("attribute");
    const Value* def = a.kwarg("default");
    for (const Value& item : iterate(v)) {
      Value x = attr_path(item, attribute);
      out.push_back(x.is_undefined() && def ? *def : x);
    }
    return Value::generator(std::move(out));
  }
  if (a.pos.empty()) throw TemplateError("map requires a filter argument");
  std::string name = to_str(a.pos[0]);
  FilterFn f = find_filter(name);
  if (!f) throw TemplateError("No filter named '" + name + "'.");
  CallArgs rest{Items(a.pos.begin() + 1, a.pos.end()), a.kw};
  for (const Value& item : iterate(v)) out.push_back(f(item, rest));
  return Value::generator(std::move(out));
}

Value min_max(const Value& v, const CallArgs& a, bool want_max) {
  bool cs = arg_bool(a, 0, "case_sensitive", false);
  const Value* attribute = a.get(1, "attribute");
  Items items = iterate(v);
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  size_t best = 0;
  Value best_key = sort_key(items[0], attribute, cs);
  for (size_t i = 1; i < items.size(); ++i) {
    Value k = sort_key(items[i], attribute, cs);
    if (want_max ? less_than(best_key, k) : less_than(k, best_key)) best = i, best_key = k;
  }
  return items[best];
}

Value f_max(const Value& v, const CallArgs& a) { return min_max(v, a, true); }
Value f_min(const Value& v, const CallArgs& a) { return min_max(v, a, false); }
Value f_pprint(const Value& v, const CallArgs&) { return Value(repr(v)); }

// select/reject/selectattr/rejectattr.
Value select_impl(const Value& v, const CallArgs& a, bool attr, bool keep_if) {
  if (!truthy(v)) return Value::generator({});  // as Jinja2: falsy values (None) select nothing
  size_t off = attr ? 1 : 0;
  Value attribute = attr ? a.get_or(0, "attribute", Value()) : Value();
  TestFn test = nullptr;
  if (a.pos.size() > off) {
    std::string name = to_str(a.pos[off]);
    test = find_test(name);
    if (!test) throw TemplateError("No test named '" + name + "'.");
  }
  CallArgs rest;
  if (a.pos.size() > off + 1)
    rest.pos.assign(a.pos.begin() + static_cast<long>(off) + 1, a.pos.end());
  rest.kw = a.kw;
  Items out;
  for (const Value& item : iterate(v)) {
    Value x = attr ? attr_path(item, attribute) : item;
    bool ok = test ? test(x, rest) : truthy(x);
    if (ok == keep_if) out.push_back(item);
  }
  return Value::generator(std::move(out));
}

Value f_select(const Value& v, const CallArgs& a) { return select_impl(v, a, false, true); }
Value f_reject(const Value& v, const CallArgs& a) { return select_impl(v, a, false, false); }
Value f_selectattr(const Value& v, const CallArgs& a) { return select_impl(v, a, true, true); }
Value f_rejectattr(const Value& v, const CallArgs& a) { return select_impl(v, a, true, false); }

Value f_replace(const Value& v, const CallArgs& a) {
  Value s(to_str(v));
  CallArgs ca{
      {Value(to_str(a.get_or(0, "old", Value("")))), Value(to_str(a.get_or(1, "new", Value(""))))},
      {}};
  const Value* count = a.get(2, "count");
  if (count && !count->is_none()) ca.pos.push_back(*count);
  return get_method(s, "replace")->object()->call(ca);
}

Value f_reverse(const Value& v, const CallArgs&) {
  if (v.is_string()) {
    Value step(-1);
    return slice(v, nullptr, nullptr, &step);
  }
  Items items = iterate(v);
  std::reverse(items.begin(), items.end());
  return Value(std::move(items));
}

double round_to(double x, int64_t precision) {
  if (precision == 0) return std::nearbyint(x);
  char buf[512];
  std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(std::clamp<int64_t>(precision, 0, 300)),
                x);
  return std::strtod(buf, nullptr);
}

Value f_round(const Value& v, const CallArgs& a) {
  int64_t precision = a.get_or(0, "precision", Value(0)).as_int();
  std::string method = to_str(a.get_or(1, "method", Value("common")));
  if (method != "common" && method != "ceil" && method != "floor")
    throw TemplateError("method must be 'common', 'ceil' or 'floor'");
  if (!v.is_number()) {
    if (v.is_undefined()) fail_undefined(v);
    throw TemplateError("type " + type_name(v) + " doesn't define __round__ method");
  }
  if (method == "common") {
    if (!v.is_float()) return Value(v.as_int());
    return Value(round_to(v.as_float(), precision));
  }
  double scale = std::pow(10.0, static_cast<double>(precision));
  double x = v.as_float() * scale;
  return Value((method == "ceil" ? std::ceil(x) : std::floor(x)) / scale);
}

Value f_safe(const Value& v, const CallArgs&) {
  return v.is_markup() ? v : Value::markup(to_str(v));
}

Value f_slice(const Value& v, const CallArgs& a) {
  Items seq = iterate(v);
  int64_t slices = a.get_or(0, "slices", Value(1)).as_int();
  const Value* fill = a.get(1, "fill_with");
  int64_t length = static_cast<int64_t>(seq.size());
  int64_t per = length / slices, extra = length % slices, offset = 0;
  Items out;
  for (int64_t i = 0; i < slices; ++i) {
    int64_t start = offset + i * per;
    if (i < extra) ++offset;
    int64_t end = offset + (i + 1) * per;
    Items tmp(seq.begin() + start, seq.begin() + end);
    if (fill && !fill->is_none() && i >= extra) tmp.push_back(*fill);
    out.emplace_back(std::move(tmp));
  }
  return Value::generator(std::move(out));
}

Value f_sort(const Value& v, const CallArgs& a) {
  bool rev = arg_bool(a, 0, "reverse", false), cs = arg_bool(a, 1, "case_sensitive", false);
  const Value* attribute = a.get(2, "attribute");
  Items items = iterate(v);
  std::vector<std::pair<Value, Value>> keyed;
  for (auto& it : items) keyed.emplace_back(sort_key(it, attribute, cs), it);
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& x, const auto& y) {
    return rev ? less_than(y.first, x.first) : less_than(x.first, y.first);
  });
  Items out;
  for (auto& kv : keyed) out.push_back(kv.second);
  return Value(std::move(out));
}

Value f_string(const Value& v, const CallArgs&) { return like(v, to_str(v)); }

Value f_striptags(const Value& v, const CallArgs&) {
  std::string s = to_str(v), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 4, "<!--") == 0) {
      size_t e = s.find("-->", i);
      if (e != std::string::npos) {
        i = e + 2;
        continue;
      }
    }
    if (s[i] == '<') {
      size_t e = s.find('>', i);
      if (e != std::string::npos) {
        i = e;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  std::vector<Value> words = get_method(Value(out), "split")->object()->call({}).items();
  std::string joined;
  for (size_t i = 0; i < words.size(); ++i) joined += (i ? " " : "") + words[i].str();
  return Value(joined);
}

Value f_sum(const Value& v, const CallArgs& a) {
  const Value* attribute = a.get(0, "attribute");
  Value total = a.get_or(1, "start", Value(0));
  for (const Value& item : iterate(v))
    total = binary_op("+", total,
                      attribute && !attribute->is_none() ? attr_path(item, *attribute) : item);
  return total;
}

Value f_title(const Value& v, const CallArgs&) {
  // Jinja2: split on runs of [-\s({\[<]+, capitalize the first char of each chunk.
  std::u32string u = utf8_decode(to_str(v));
  std::string out;
  bool word_start = true;
  for (char32_t c : u) {
    bool delim = c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || py_isspace(c);
    if (delim) {
      utf8_append(out, c);
      word_start = true;
    } else {
      utf8_append(out, word_start ? cp_upper(c) : cp_lower(c));
      word_start = false;
    }
  }
  return Value(out);
}

Value f_tojson(const Value& v, const CallArgs& a) {
  JsonOptions o;
  o.ensure_ascii = arg_bool(a, 0, "ensure_ascii", false);
  const Value* indent = a.get(1, "indent");
  if (indent && !indent->is_none()) {
    o.indent = indent->is_string()
                   ? indent->str()
                   : std::string(static_cast<size_t>(std::max<int64_t>(0, indent->as_int())), ' ');
    o.item_sep = ",";
  }
  const Value* seps = a.get(2, "separators");
  if (seps && seps->is_list() && seps->items().size() == 2) {
    o.item_sep = to_str(seps->items()[0]);
    o.key_sep = to_str(seps->items()[1]);
  }
  o.sort_keys = arg_bool(a, 3, "sort_keys", false);
  return Value(to_python_json(v, o));
}

Value f_trim(const Value& v, const CallArgs& a) {
  const Value* chars = a.get(0, "chars");
  std::string s = to_str(v);
  if (chars && chars->is_string()) return like(v, py_strip(s, &chars->str(), true, true));
  return like(v, py_strip(s, nullptr, true, true));
}

Value f_truncate(const Value& v, const CallArgs& a) {
  std::u32string s = utf8_decode(to_str(v));
  int64_t length = a.get_or(0, "length", Value(255)).as_int();
  bool killwords = arg_bool(a, 1, "killwords", false);
  std::u32string end = utf8_decode(to_str(a.get_or(2, "end", Value("..."))));
  Value lw = a.get_or(3, "leeway", Value(nullptr));
  int64_t leeway = lw.is_none() ? 5 : lw.as_int();
  if (length < static_cast<int64_t>(end.size()))
    throw TemplateError("expected length >= " + std::to_string(end.size()) + ", got " +
                        std::to_string(length));
  if (leeway < 0) throw TemplateError("expected leeway >= 0, got " + std::to_string(leeway));
  if (static_cast<int64_t>(s.size()) <= length + leeway) return Value(utf8_encode(s));
  size_t keep =
      static_cast<size_t>(std::max<int64_t>(0, length - static_cast<int64_t>(end.size())));
  std::u32string head = s.substr(0, keep);
  if (!killwords) {
    size_t sp = head.rfind(U' ');
    if (sp != std::u32string::npos) head = head.substr(0, sp);
  }
  return Value(utf8_encode(head + end));
}

Value f_unique(const Value& v, const CallArgs& a) {
  bool cs = arg_bool(a, 0, "case_sensitive", false);
  const Value* attribute = a.get(1, "attribute");
  Items out, seen;
  for (const Value& item : iterate(v)) {
    Value k = sort_key(item, attribute, cs);
    bool dup = false;
    for (const auto& s : seen) dup |= equals(s, k);
    if (!dup) {
      seen.push_back(k);
      out.push_back(item);
    }
  }
  return Value::generator(std::move(out));
}

Value f_wordcount(const Value& v, const CallArgs&) {
  int64_t n = 0;
  bool in_word = false;
  for (char32_t c : utf8_decode(to_str(v))) {
    bool w = cp_is_alnum(c) || c == '_';
    if (w && !in_word) ++n;
    in_word = w;
  }
  return Value(n);
}

Value f_format(const Value& v, const CallArgs& a) {
  if (!a.kw.empty()) {
    Dict d;
    for (const auto& [k, val] : a.kw) d.set(Value(k), val);
    return binary_op("%", like(v, to_str(v)), Value(std::move(d)));
  }
  return binary_op("%", like(v, to_str(v)), Value(a.pos, true));
}

Value f_groupby(const Value& v, const CallArgs& a) {
  Value attribute = a.get_or(0, "attribute", Value());
  Items sorted = f_sort(v, CallArgs{{Value(false), Value(true), attribute}, {}}).items();
  Items groups;
  for (const Value& item : sorted) {
    Value key = attr_path(item, attribute);
    if (groups.empty() || !equals(groups.back().items()[0], key)) {
      groups.emplace_back(Items{key, Value(Items{item})}, true);
    } else {
      Items members = groups.back().items()[1].items();
      members.push_back(item);
      groups.back() = Value(Items{key, Value(std::move(members))}, true);
    }
  }
  return Value(std::move(groups));
}

const std::unordered_map<std::string_view, FilterFn>& filter_table() {
  static const std::unordered_map<std::string_view, FilterFn> table = {
      {"abs", f_abs},           {"attr", f_attr},
      {"batch", f_batch},       {"capitalize", f_capitalize},
      {"center", f_center},     {"count", f_length},
      {"d", f_default},         {"default", f_default},
      {"dictsort", f_dictsort}, {"e", f_escape},
      {"escape", f_escape},     {"forceescape", f_forceescape},
      {"first", f_first},       {"float", f_float},
      {"format", f_format},     {"groupby", f_groupby},
      {"indent", f_indent},     {"int", f_int},
      {"items", f_items},       {"join", f_join},
      {"last", f_last},         {"length", f_length},
      {"list", f_list},         {"lower", f_lower},
      {"map", f_map},           {"max", f_max},
      {"min", f_min},           {"pprint", f_pprint},
      {"reject", f_reject},     {"rejectattr", f_rejectattr},
      {"replace", f_replace},   {"reverse", f_reverse},
      {"round", f_round},       {"safe", f_safe},
      {"select", f_select},     {"selectattr", f_selectattr},
      {"slice", f_slice},       {"sort", f_sort},
      {"string", f_string},     {"striptags", f_striptags},
      {"sum", f_sum},           {"title", f_title},
      {"tojson", f_tojson},     {"trim", f_trim},
      {"truncate", f_truncate}, {"unique", f_unique},
      {"upper", f_upper},       {"wordcount", f_wordcount},
  };
  return table;
}

}  // namespace

FilterFn find_filter(std::string_view name) {
  auto it = filter_table().find(name);
  return it == filter_table().end() ? nullptr : it->second;
}

}  // namespace lmx::jinja
