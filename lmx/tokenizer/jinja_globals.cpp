// SPDX-License-Identifier: MIT
// Global functions of transformers' chat-template environment: Jinja2's range (with the
// sandbox's size limit), dict, namespace, cycler and joiner, plus raise_exception and
// strftime_now.
#include <cstdlib>
#include <ctime>

#include "lmx/tokenizer/jinja_builtins.h"

namespace lmx::jinja {
namespace {

constexpr int64_t kMaxRange = 100000;

Value range_fn(const CallArgs& a) {
  if (!a.kw.empty()) throw TemplateError("range() takes no keyword arguments");
  std::vector<int64_t> n;
  for (const Value& v : a.pos) {
    if (!v.is_int() && !v.is_bool())
      throw TemplateError("'" + type_name(v) + "' object cannot be interpreted as an integer");
    n.push_back(v.as_int());
  }
  int64_t start = 0, stop = 0, step = 1;
  if (n.size() == 1)
    stop = n[0];
  else if (n.size() == 2)
    start = n[0], stop = n[1];
  else if (n.size() == 3)
    start = n[0], stop = n[1], step = n[2];
  else
    throw TemplateError("range expected at most 3 arguments, got " + std::to_string(n.size()));
  if (step == 0) throw TemplateError("range() arg 3 must not be zero");
  int64_t len = step > 0 ? (stop > start ? (stop - start + step - 1) / step : 0)
                         : (start > stop ? (start - stop - step - 1) / -step : 0);
  if (len > kMaxRange)
    throw TemplateError("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
  std::vector<Value> out;
  out.reserve(static_cast<size_t>(len));
  for (int64_t i = 0; i < len; ++i) out.emplace_back(start + i * step);
  return Value(std::move(out));
}

Value dict_fn(const CallArgs& a) {
  Dict d;
  if (!a.pos.empty()) {
    const Value& src = a.pos[0];
    if (src.is_dict()) {
      d = src.dict();
    } else {
      for (const Value& pair : iterate(src)) {
        if (!pair.is_list() || pair.items().size() != 2)
          throw TemplateError("dictionary update sequence element has wrong length");
        d.set(pair.items()[0], pair.items()[1]);
      }
    }
  }
  for (const auto& [k, v] : a.kw) d.set(Value(k), v);
  return Value(std::move(d));
}

Value namespace_fn(const CallArgs& a) {
  auto ns = std::make_shared<Namespace>();
  if (!a.pos.empty()) {
    if (!a.pos[0].is_dict()) throw TemplateError("namespace() argument must be a mapping");
    for (const auto& [k, v] : a.pos[0].dict().items) ns->attrs.set(k, v);
  }
  for (const auto& [k, v] : a.kw) ns->attrs.set(Value(k), v);
  return Value(std::shared_ptr<Object>(ns));
}

class Cycler : public Object {
 public:
  explicit Cycler(std::vector<Value> items) : items_(std::move(items)) {}
  std::string type_name() const override { return "Cycler"; }
  Value get_attr(const std::string& name) const override {
    auto* self = const_cast<Cycler*>(this);
    if (name == "current") return items_.empty() ? Value() : items_[pos_];
    if (name == "next")
      return make_function("next", [self](const CallArgs&) {
        Value v = self->items_[self->pos_];
        self->pos_ = (self->pos_ + 1) % self->items_.size();
        return v;
      });
    if (name == "reset")
      return make_function("reset", [self](const CallArgs&) {
        self->pos_ = 0;
        return Value(nullptr);
      });
    return Object::get_attr(name);
  }

 private:
  std::vector<Value> items_;
  size_t pos_ = 0;
};

}  // namespace

std::string strftime_now(const std::string& format) {
  std::tm tm{};
  const char* fixed = std::getenv("LMX_FIXED_DATE");
  if (fixed && *fixed) {
    int y = 0, m = 0, d = 0;
    if (std::sscanf(fixed, "%d-%d-%d", &y, &m, &d) != 3)
      throw TemplateError("LMX_FIXED_DATE must be YYYY-MM-DD, got '" + std::string(fixed) + "'");
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    std::time_t t = timegm(&tm);
    gmtime_r(&t, &tm);
  } else {
    std::time_t t = std::time(nullptr);
    localtime_r(&t, &tm);
  }
  if (format.empty()) return "";
  std::string buf(format.size() * 8 + 256, '\0');
  size_t n = std::strftime(buf.data(), buf.size(), format.c_str(), &tm);
  buf.resize(n);
  return buf;
}

void add_globals(Dict& g) {
  g.set(Value("range"), make_function("range", range_fn));
  g.set(Value("dict"), make_function("dict", dict_fn));
  g.set(Value("namespace"), make_function("namespace", namespace_fn));
  g.set(Value("cycler"), make_function("cycler", [](const CallArgs& a) {
          if (a.pos.empty()) throw TemplateError("at least one item has to be provided");
          return Value(std::shared_ptr<Object>(std::make_shared<Cycler>(a.pos)));
        }));
  g.set(Value("joiner"), make_function("joiner", [](const CallArgs& a) {
          std::string sep = to_str(a.get_or(0, "sep", Value(", ")));
          auto used = std::make_shared<bool>(false);
          return make_function("joiner", [sep, used](const CallArgs&) {
            if (!*used) {
              *used = true;
              return Value("");
            }
            return Value(sep);
          });
        }));
  g.set(Value("raise_exception"), make_function("raise_exception", [](const CallArgs& a) -> Value {
          throw TemplateError(to_str(a.get_or(0, "message", Value(""))));
        }));
  g.set(Value("strftime_now"), make_function("strftime_now", [](const CallArgs& a) {
          return Value(strftime_now(to_str(a.get_or(0, "format", Value("")))));
        }));
}

}  // namespace lmx::jinja
