// SPDX-License-Identifier: MIT
// Tree-walking evaluation of a parsed template with Jinja2's scoping: for-loop bodies and
// macros get their own frames, `if` does not; macros see their defining scope live.
#include "lmx/tokenizer/jinja_interpreter.h"

#include <unordered_map>

#include "lmx/tokenizer/jinja_builtins.h"
#include "lmx/tokenizer/jinja_parser.h"

namespace lmx::jinja {
namespace {

// Deeper macro or recursive-loop nesting fails like Python's recursion limit would.
constexpr int kMaxDepth = 199;

struct Frame;
using FramePtr = std::shared_ptr<Frame>;

struct Frame {
  std::unordered_map<std::string, Value> vars;
  FramePtr parent;

  explicit Frame(FramePtr p) : parent(std::move(p)) {}
  const Value* lookup(const std::string& name) const {
    for (const Frame* f = this; f; f = f->parent.get()) {
      auto it = f->vars.find(name);
      if (it != f->vars.end()) return &it->second;
    }
    return nullptr;
  }
};

class Interpreter;

// A {% macro %} or the `caller` of a {% call %} block.
class Macro : public Object {
 public:
  Macro(Interpreter* in, const Node* node, FramePtr closure, std::string name)
      : interp(in), node(node), closure(std::move(closure)), name(std::move(name)) {}
  std::string type_name() const override { return "Macro"; }
  bool callable() const override { return true; }
  Value call(const CallArgs& args) override;
  std::string str() const override { return "<Macro '" + name + "'>"; }

  Interpreter* interp;
  const Node* node;
  FramePtr closure;
  std::string name;
};

// The `loop` variable of a for loop.
class Loop : public Object {
 public:
  std::string type_name() const override { return "LoopContext"; }
  Value get_attr(const std::string& name) const override;
  bool callable() const override { return node->recursive; }
  Value call(const CallArgs& args) override;
  std::string str() const override {
    return "<LoopContext " + std::to_string(index + 1) + "/" + std::to_string(items.size()) + ">";
  }

  Interpreter* interp = nullptr;
  const Node* node = nullptr;
  FramePtr frame;  // where the for statement runs
  std::vector<Value> items;
  size_t index = 0;
  int depth = 1;
  std::vector<Value> last_changed;
  bool changed_called = false;
};

class Interpreter {
 public:
  enum class Flow { kNormal, kBreak, kContinue };

  ~Interpreter() {
    // Macros and their frames reference each other; break the cycles.
    for (auto& m : macros_) m->closure.reset();
  }

  std::string run(const Program& program, const Dict& context) {
    auto root = std::make_shared<Frame>(nullptr);
    Dict globals;
    add_globals(globals);
    for (const auto& [k, v] : globals.items) root->vars[k.str()] = v;
    for (const auto& [k, v] : context.items) root->vars[to_str(k)] = v;
    std::string out;
    try {
      exec_body(program.body, root, out);
    } catch (const TemplateError& e) {
      if (e.line() > 0) throw;
      throw TemplateError(e.message(), line_);
    } catch (const std::exception& e) {
      throw TemplateError(e.what(), line_);
    }
    return out;
  }

  Flow exec_body(const Body& body, const FramePtr& frame, std::string& out) {
    for (const auto& n : body) {
      Flow f = exec(*n, frame, out);
      if (f != Flow::kNormal) return f;
    }
    return Flow::kNormal;
  }

  std::string render_for(const Node& n, const FramePtr& frame, const Value& iterable, int depth) {
    std::string out;
    exec_for(n, frame, iterable, depth, out);
    return out;
  }

  Value call_macro(Macro& m, const CallArgs& args) {
    if (depth_ >= kMaxDepth) throw TemplateError("maximum recursion depth exceeded");
    ++depth_;
    auto frame = std::make_shared<Frame>(m.closure);
    const Node& n = *m.node;
    std::vector<Value> varargs;
    Dict kwargs;
    for (size_t i = 0; i < n.params.size(); ++i) {
      const Value* v = i < args.pos.size() ? &args.pos[i] : args.kwarg(n.params[i]);
      if (v)
        frame->vars[n.params[i]] = *v;
      else if (n.defaults[i])
        frame->vars[n.params[i]] = eval(*n.defaults[i], frame);
      else
        frame->vars[n.params[i]] =
            Value::undefined("parameter '" + n.params[i] + "' was not provided");
    }
    for (size_t i = n.params.size(); i < args.pos.size(); ++i) varargs.push_back(args.pos[i]);
    for (const auto& [k, v] : args.kw) {
      if (k == "caller")
        frame->vars["caller"] = v;
      else if (std::find(n.params.begin(), n.params.end(), k) == n.params.end())
        kwargs.set(Value(k), v);
    }
    frame->vars["varargs"] = Value(std::move(varargs), true);
    frame->vars["kwargs"] = Value(std::move(kwargs));
    std::string out;
    exec_body(n.body, frame, out);
    --depth_;
    return Value(std::move(out));
  }

  int depth_ = 0;

 private:
  Flow exec(const Node& n, const FramePtr& frame, std::string& out) {
    line_ = n.line;
    switch (n.kind) {
      case Node::Kind::kText:
        out += n.text;
        break;
      case Node::Kind::kPrint:
        out += to_str(eval(*n.expr, frame));
        break;
      case Node::Kind::kIf:
        for (size_t i = 0; i < n.tests.size(); ++i)
          if (truthy(eval(*n.tests[i], frame))) return exec_body(n.bodies[i], frame, out);
        return exec_body(n.else_body, frame, out);
      case Node::Kind::kFor:
        exec_for(n, frame, eval(*n.expr, frame), 1, out);
        break;
      case Node::Kind::kSet:
        assign(*n.target, eval(*n.expr, frame), frame);
        break;
      case Node::Kind::kSetBlock: {
        std::string body;
        // A break/continue inside leaves the loop and drops the block, as in Jinja2.
        if (Flow f = exec_body(n.body, frame, body); f != Flow::kNormal) return f;
        Value v(std::move(body));
        if (n.filter) v = eval_filter(*n.filter, frame, &v);
        assign(*n.target, v, frame);
        break;
      }
      case Node::Kind::kMacro: {
        auto m = std::make_shared<Macro>(this, &n, frame, n.name);
        macros_.push_back(m);
        frame->vars[n.name] = Value(std::shared_ptr<Object>(m));
        break;
      }
      case Node::Kind::kCallBlock: {
        auto caller = std::make_shared<Macro>(this, &n, frame, "caller");
        macros_.push_back(caller);
        const Expr& call = *n.expr;
        Value callee = eval(*call.children[0], frame);
        CallArgs args = eval_args(call.args, frame);
        args.kw.emplace_back("caller", Value(std::shared_ptr<Object>(caller)));
        out += to_str(invoke(callee, args));
        break;
      }
      case Node::Kind::kFilterBlock: {
        std::string body;
        if (Flow f = exec_body(n.body, frame, body); f != Flow::kNormal) return f;
        Value v(std::move(body));
        out += to_str(eval_filter(*n.filter, frame, &v));
        break;
      }
      case Node::Kind::kWith: {
        auto inner = std::make_shared<Frame>(frame);
        for (const auto& [target, value] : n.assigns) assign(*target, eval(*value, frame), inner);
        return exec_body(n.body, inner, out);
      }
      case Node::Kind::kBreak:
        return Flow::kBreak;
      case Node::Kind::kContinue:
        return Flow::kContinue;
      case Node::Kind::kScope:
        return exec_body(n.body, frame, out);
    }
    return Flow::kNormal;
  }

  void exec_for(const Node& n, const FramePtr& frame, const Value& iterable, int depth,
                std::string& out) {
    std::vector<Value> items = iterate(iterable);
    if (n.cond) {
      std::vector<Value> kept;
      for (auto& item : items) {
        auto f = std::make_shared<Frame>(frame);
        assign(*n.target, item, f);
        if (truthy(eval(*n.cond, f))) kept.push_back(std::move(item));
      }
      items = std::move(kept);
    }
    // Jinja2 runs the else block unless some iteration reached the end of the body (so a
    // loop whose every iteration hits `continue` runs it too).
    bool completed = false;
    if (n.recursive && depth_ >= kMaxDepth) throw TemplateError("maximum recursion depth exceeded");
    auto loop = std::make_shared<Loop>();
    loop->interp = this;
    loop->node = &n;
    loop->frame = frame;
    loop->items = std::move(items);
    loop->depth = depth;
    Value loop_value = Value(std::static_pointer_cast<Object>(loop));
    for (size_t i = 0; i < loop->items.size(); ++i) {
      loop->index = i;
      auto f = std::make_shared<Frame>(frame);
      assign(*n.target, loop->items[i], f);
      f->vars["loop"] = loop_value;
      Flow flow = exec_body(n.body, f, out);
      if (flow == Flow::kBreak) break;
      completed |= flow == Flow::kNormal;
    }
    if (!completed) exec_body(n.else_body, std::make_shared<Frame>(frame), out);
  }

  void assign(const Expr& target, const Value& v, const FramePtr& frame) {
    if (target.kind == Expr::Kind::kName) {
      frame->vars[target.name] = v;
    } else if (target.kind == Expr::Kind::kTuple) {
      std::vector<Value> items = iterate(v);
      size_t want = target.children.size();
      if (items.size() < want)
        throw TemplateError("not enough values to unpack (expected " + std::to_string(want) +
                            ", got " + std::to_string(items.size()) + ")");
      if (items.size() > want)
        throw TemplateError("too many values to unpack (expected " + std::to_string(want) + ")");
      for (size_t i = 0; i < want; ++i) assign(*target.children[i], items[i], frame);
    } else if (target.kind == Expr::Kind::kGetattr) {
      const Value* ns = frame->lookup(target.children[0]->name);
      Namespace* obj =
          ns && ns->is_object() ? dynamic_cast<Namespace*>(ns->object().get()) : nullptr;
      if (!obj) throw TemplateError("Cannot assign attribute on non-namespace object");
      obj->attrs.set(Value(target.name), v);
    } else {
      throw TemplateError("can't assign to this expression");
    }
  }

  CallArgs eval_args(const ArgList& a, const FramePtr& frame) {
    CallArgs args;
    for (const auto& e : a.pos) args.pos.push_back(eval(*e, frame));
    if (a.star)
      for (auto& v : iterate(eval(*a.star, frame))) args.pos.push_back(std::move(v));
    for (const auto& [k, e] : a.kw) args.kw.emplace_back(k, eval(*e, frame));
    if (a.star_star) {
      Value d = eval(*a.star_star, frame);
      if (!d.is_dict())
        throw TemplateError("argument after ** must be a mapping, not " + type_name(d));
      for (const auto& [k, v] : d.dict().items) args.kw.emplace_back(to_str(k), v);
    }
    return args;
  }

  Value invoke(const Value& callee, const CallArgs& args) {
    if (callee.is_undefined()) fail_undefined(callee);
    if (!callee.is_callable())
      throw TemplateError("'" + type_name(callee) + "' object is not callable");
    return callee.object()->call(args);
  }

  Value eval_filter(const Expr& e, const FramePtr& frame, const Value* input) {
    Value in = e.children[0] ? eval_filter_input(*e.children[0], frame, input) : *input;
    FilterFn f = find_filter(e.name);
    if (!f) throw TemplateError("No filter named '" + e.name + "'.");
    CallArgs args = eval_args(e.args, frame);
    line_ = e.line;
    return f(in, args);
  }

  Value eval_filter_input(const Expr& e, const FramePtr& frame, const Value* input) {
    if (e.kind == Expr::Kind::kFilter) return eval_filter(e, frame, input);
    return eval(e, frame);
  }

  Value eval(const Expr& e, const FramePtr& frame) {
    line_ = e.line;
    using K = Expr::Kind;
    switch (e.kind) {
      case K::kConst:
        return e.value;
      case K::kName: {
        if (const Value* v = frame->lookup(e.name)) return *v;
        return Value::undefined("'" + e.name + "' is undefined");
      }
      case K::kGetattr:
        return get_attr(eval(*e.children[0], frame), e.name);
      case K::kGetitem: {
        Value obj = eval(*e.children[0], frame);
        const Expr& key = *e.children[1];
        if (key.kind == K::kSlice) {
          Value parts[3];
          const Value* ptr[3] = {nullptr, nullptr, nullptr};
          for (int i = 0; i < 3; ++i)
            if (key.children[i]) parts[i] = eval(*key.children[i], frame), ptr[i] = &parts[i];
          return slice(obj, ptr[0], ptr[1], ptr[2]);
        }
        return get_item(obj, eval(key, frame));
      }
      case K::kSlice:
        throw TemplateError("slice outside of subscript");
      case K::kList:
      case K::kTuple: {
        std::vector<Value> items;
        for (const auto& c : e.children) items.push_back(eval(*c, frame));
        return Value(std::move(items), e.kind == K::kTuple);
      }
      case K::kDict: {
        Dict d;
        for (size_t i = 0; i + 1 < e.children.size(); i += 2)
          d.set(eval(*e.children[i], frame), eval(*e.children[i + 1], frame));
        return Value(std::move(d));
      }
      case K::kBinary: {
        Value a = eval(*e.children[0], frame);
        Value b = eval(*e.children[1], frame);
        line_ = e.line;
        return binary_op(e.name, a, b);
      }
      case K::kAnd: {
        Value a = eval(*e.children[0], frame);
        return truthy(a) ? eval(*e.children[1], frame) : a;
      }
      case K::kOr: {
        Value a = eval(*e.children[0], frame);
        return truthy(a) ? a : eval(*e.children[1], frame);
      }
      case K::kNot:
        return Value(!truthy(eval(*e.children[0], frame)));
      case K::kNeg:
      case K::kPos:
        return negate(eval(*e.children[0], frame), e.kind == K::kNeg);
      case K::kCompare: {
        Value left = eval(*e.children[0], frame);
        for (size_t i = 0; i < e.ops.size(); ++i) {
          Value right = eval(*e.children[i + 1], frame);
          if (!compare(e.ops[i], left, right)) return Value(false);
          left = std::move(right);
        }
        return Value(true);
      }
      case K::kCondition: {
        if (truthy(eval(*e.children[0], frame))) return eval(*e.children[1], frame);
        if (e.children[2]) return eval(*e.children[2], frame);
        return Value::undefined("the inline if-expression on line " + std::to_string(e.line) +
                                " evaluated to false and no else section was defined.");
      }
      case K::kFilter:
        return eval_filter(e, frame, nullptr);
      case K::kTest: {
        TestFn t = find_test(e.name);
        if (!t) throw TemplateError("No test named '" + e.name + "'.");
        Value v = eval(*e.children[0], frame);
        CallArgs args = eval_args(e.args, frame);
        return Value(t(v, args) != e.negated);
      }
      case K::kCall: {
        Value callee = eval(*e.children[0], frame);
        CallArgs args = eval_args(e.args, frame);
        line_ = e.line;
        return invoke(callee, args);
      }
    }
    return Value();
  }

  static bool compare(const std::string& op, const Value& a, const Value& b) {
    if (op == "==") return equals(a, b);
    if (op == "!=") return !equals(a, b);
    if (op == "<") return less_than(a, b);
    if (op == ">") return less_than(b, a);
    if (op == "<=") return !less_than(b, a);
    if (op == ">=") return !less_than(a, b);
    if (op == "in") return contains(b, a);
    return !contains(b, a);  // notin
  }

  std::vector<std::shared_ptr<Macro>> macros_;
  int line_ = 0;
};

Value Macro::call(const CallArgs& args) { return interp->call_macro(*this, args); }

Value Loop::get_attr(const std::string& name) const {
  size_t n = items.size();
  if (name == "index") return Value(static_cast<int64_t>(index + 1));
  if (name == "index0") return Value(static_cast<int64_t>(index));
  if (name == "revindex") return Value(static_cast<int64_t>(n - index));
  if (name == "revindex0") return Value(static_cast<int64_t>(n - index - 1));
  if (name == "first") return Value(index == 0);
  if (name == "last") return Value(index + 1 == n);
  if (name == "length") return Value(static_cast<int64_t>(n));
  if (name == "depth") return Value(depth);
  if (name == "depth0") return Value(depth - 1);
  if (name == "previtem")
    return index > 0 ? items[index - 1] : Value::undefined("there is no previous item");
  if (name == "nextitem")
    return index + 1 < n ? items[index + 1] : Value::undefined("there is no next item");
  if (name == "cycle") {
    size_t i = index;
    return make_function("cycle", [i](const CallArgs& a) {
      if (a.pos.empty()) throw TemplateError("no items for cycling given");
      return a.pos[i % a.pos.size()];
    });
  }
  if (name == "changed") {
    auto* self = const_cast<Loop*>(this);
    return make_function("changed", [self](const CallArgs& a) {
      bool same = self->changed_called && self->last_changed.size() == a.pos.size();
      for (size_t i = 0; same && i < a.pos.size(); ++i)
        same = equals(self->last_changed[i], a.pos[i]);
      self->changed_called = true;
      self->last_changed = a.pos;
      return Value(!same);
    });
  }
  return Object::get_attr(name);
}

Value Loop::call(const CallArgs& args) {
  if (!node->recursive)
    throw TemplateError(
        "Tried to call non recursive loop.  Maybe you forgot the 'recursive' modifier.");
  if (args.pos.size() != 1) throw TemplateError("loop() takes exactly one argument");
  ++interp->depth_;
  std::string out = interp->render_for(*node, frame, args.pos[0], depth + 1);
  --interp->depth_;
  return Value(std::move(out));
}

}  // namespace

Template::Template(std::string_view source) : program_(parse(source)) {}

std::string Template::render(const Dict& context) const {
  Interpreter interp;
  return interp.run(*program_, context);
}

std::string Template::render(const nlohmann::ordered_json& context) const {
  Value v = Value::from_json(context);
  if (!v.is_dict()) throw TemplateError("template context must be a JSON object");
  return render(v.dict());
}

}  // namespace lmx::jinja
