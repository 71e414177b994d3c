// SPDX-License-Identifier: MIT
#include "lmx/tokenizer/jinja_parser.h"

#include <algorithm>
#include <utility>

namespace lmx::jinja {
namespace {

using K = Expr::Kind;
using NK = Node::Kind;

std::string describe(const Token& t) {
  switch (t.type) {
    case TokenType::kData:
      return "template data";
    case TokenType::kVarBegin:
      return "begin of print statement";
    case TokenType::kVarEnd:
      return "end of print statement";
    case TokenType::kBlockBegin:
      return "begin of statement block";
    case TokenType::kBlockEnd:
      return "end of statement block";
    case TokenType::kString:
      return "string";
    case TokenType::kInteger:
      return "integer";
    case TokenType::kFloat:
      return "float";
    case TokenType::kEof:
      return "end of template";
    default:
      return "'" + t.value + "'";
  }
}

ExprPtr make(K kind, int line) { return std::make_unique<Expr>(kind, line); }

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : toks_(std::move(toks)) {}

  Body parse_all() { return subparse({}); }

 private:
  const Token& cur() const { return toks_[i_]; }
  const Token& peek(size_t n = 1) const { return toks_[std::min(i_ + n, toks_.size() - 1)]; }
  void next() {
    if (i_ + 1 < toks_.size()) ++i_;
  }
  bool is_op(std::string_view op) const {
    return cur().type == TokenType::kOperator && cur().value == op;
  }
  bool is_name(std::string_view n) const {
    return cur().type == TokenType::kName && cur().value == n;
  }
  bool skip_op(std::string_view op) {
    if (!is_op(op)) return false;
    next();
    return true;
  }
  bool skip_name(std::string_view n) {
    if (!is_name(n)) return false;
    next();
    return true;
  }
  [[noreturn]] void fail(const std::string& msg) const { throw TemplateError(msg, cur().line); }
  void expect_op(std::string_view op) {
    if (!skip_op(op)) fail("expected token '" + std::string(op) + "', got " + describe(cur()));
  }
  void expect(TokenType type, const char* what) {
    if (cur().type != type)
      fail(std::string("expected token '") + what + "', got " + describe(cur()));
    next();
  }
  void expect_block_end() { expect(TokenType::kBlockEnd, "end of statement block"); }
  std::string expect_name() {
    if (cur().type != TokenType::kName) fail("expected token 'name', got " + describe(cur()));
    std::string v = cur().value;
    next();
    return v;
  }

  // Parses nodes until a block tag named in `end_tags` (left unconsumed) or the end.
  Body subparse(const std::vector<std::string>& end_tags) {
    Body body;
    for (;;) {
      const Token& t = cur();
      if (t.type == TokenType::kData) {
        auto n = std::make_unique<Node>(NK::kText, t.line);
        n->text = t.value;
        body.push_back(std::move(n));
        next();
      } else if (t.type == TokenType::kVarBegin) {
        auto n = std::make_unique<Node>(NK::kPrint, t.line);
        next();
        n->expr = parse_tuple(true, {}, false);
        expect(TokenType::kVarEnd, "end of print statement");
        body.push_back(std::move(n));
      } else if (t.type == TokenType::kBlockBegin) {
        const Token& nm = peek();
        if (nm.type == TokenType::kName &&
            std::find(end_tags.begin(), end_tags.end(), nm.value) != end_tags.end())
          return body;
        next();
        body.push_back(parse_statement(end_tags));
      } else {
        if (!end_tags.empty()) {
          std::string want;
          for (const auto& e : end_tags) want += (want.empty() ? "'" : " or '") + e + "'";
          fail("Unexpected end of template. Jinja was looking for the following tags: " + want +
               ".");
        }
        return body;
      }
    }
  }

  // Consumes `{% name` of an end tag found by subparse and returns the name.
  std::string take_end_tag() {
    next();  // block begin
    return expect_name();
  }

  Body parse_block_body(const std::string& end_tag) {
    Body b = subparse({end_tag});
    take_end_tag();
    if (cur().type == TokenType::kName) next();  // e.g. {% endmacro name %}
    expect_block_end();
    return b;
  }

  NodePtr parse_statement(const std::vector<std::string>& outer_end) {
    DepthGuard guard(*this);
    int line = cur().line;
    if (cur().type != TokenType::kName) fail("tag name expected");
    std::string tag = cur().value;
    next();
    if (tag == "for") return parse_for(line);
    if (tag == "if") return parse_if(line);
    if (tag == "set") return parse_set(line);
    if (tag == "macro") return parse_macro(line);
    if (tag == "call") return parse_call_block(line);
    if (tag == "filter") {
      auto n = std::make_unique<Node>(NK::kFilterBlock, line);
      n->filter = parse_filter(nullptr, true);
      expect_block_end();
      n->body = parse_block_body("endfilter");
      return n;
    }
    if (tag == "with") {
      auto n = std::make_unique<Node>(NK::kWith, line);
      while (cur().type != TokenType::kBlockEnd) {
        if (!n->assigns.empty()) expect_op(",");
        ExprPtr target = parse_assign_target(true, false);
        expect_op("=");
        n->assigns.emplace_back(std::move(target), parse_expression(true));
      }
      expect_block_end();
      n->body = parse_block_body("endwith");
      return n;
    }
    if (tag == "break" || tag == "continue") {
      // Jinja2 compiles these to Python's break/continue: outside a loop body it fails.
      if (loop_depth_ == 0) fail("'" + tag + "' outside loop");
      expect_block_end();
      return std::make_unique<Node>(tag == "break" ? NK::kBreak : NK::kContinue, line);
    }
    if (tag == "generation" || tag == "autoescape" || tag == "block") {
      if (tag == "block") {
        expect_name();
        skip_name("scoped");
        skip_name("required");
      } else if (tag == "autoescape") {
        parse_expression(true);
      }
      expect_block_end();
      auto n = std::make_unique<Node>(NK::kScope, line);
      n->body = parse_block_body("end" + tag);
      return n;
    }
    if (tag == "include" || tag == "import" || tag == "from" || tag == "extends")
      fail("'" + tag + "' is not supported: chat templates have no loader");
    std::string msg = "Encountered unknown tag '" + tag + "'.";
    if (!outer_end.empty()) {
      std::string want;
      for (const auto& e : outer_end) want += (want.empty() ? "'" : " or '") + e + "'";
      msg += " Jinja was looking for the following tags: " + want + ".";
    }
    fail(msg);
  }

  NodePtr parse_for(int line) {
    auto n = std::make_unique<Node>(NK::kFor, line);
    n->target = parse_assign_target(true, false);
    if (!skip_name("in")) fail("expected token 'in', got " + describe(cur()));
    n->expr = parse_tuple(false, {"recursive"}, false);
    if (skip_name("if")) n->cond = parse_expression(true);
    if (skip_name("recursive")) n->recursive = true;
    expect_block_end();
    ++loop_depth_;
    n->body = subparse({"endfor", "else"});
    --loop_depth_;
    if (take_end_tag() == "else") {
      expect_block_end();
      n->else_body = subparse({"endfor"});
      take_end_tag();
    }
    expect_block_end();
    return n;
  }

  NodePtr parse_if(int line) {
    auto n = std::make_unique<Node>(NK::kIf, line);
    n->tests.push_back(parse_tuple(false, {}, false));
    expect_block_end();
    for (;;) {
      n->bodies.push_back(subparse({"elif", "else", "endif"}));
      std::string tag = take_end_tag();
      if (tag == "elif") {
        n->tests.push_back(parse_tuple(false, {}, false));
        expect_block_end();
      } else if (tag == "else") {
        expect_block_end();
        n->else_body = subparse({"endif"});
        take_end_tag();
        expect_block_end();
        return n;
      } else {
        expect_block_end();
        return n;
      }
    }
  }

  NodePtr parse_set(int line) {
    ExprPtr target = parse_assign_target(true, true);
    if (skip_op("=")) {
      auto n = std::make_unique<Node>(NK::kSet, line);
      n->target = std::move(target);
      n->expr = parse_tuple(true, {}, false);
      expect_block_end();
      return n;
    }
    auto n = std::make_unique<Node>(NK::kSetBlock, line);
    n->target = std::move(target);
    if (is_op("|")) n->filter = parse_filter(nullptr, false);
    expect_block_end();
    n->body = parse_block_body("endset");
    return n;
  }

  void parse_signature(Node& n) {
    expect_op("(");
    while (!is_op(")")) {
      if (!n.params.empty()) expect_op(",");
      if (is_op(")")) break;
      n.params.push_back(expect_name());
      n.defaults.push_back(skip_op("=") ? parse_expression(true) : nullptr);
    }
    expect_op(")");
  }

  NodePtr parse_macro(int line) {
    auto n = std::make_unique<Node>(NK::kMacro, line);
    n->name = expect_name();
    parse_signature(*n);
    expect_block_end();
    int saved = std::exchange(loop_depth_, 0);
    n->body = parse_block_body("endmacro");
    loop_depth_ = saved;
    return n;
  }

  NodePtr parse_call_block(int line) {
    auto n = std::make_unique<Node>(NK::kCallBlock, line);
    if (is_op("(")) parse_signature(*n);
    n->expr = parse_expression(true);
    if (n->expr->kind != K::kCall) fail("expected call");
    expect_block_end();
    int saved = std::exchange(loop_depth_, 0);
    n->body = parse_block_body("endcall");
    loop_depth_ = saved;
    return n;
  }

  ExprPtr parse_assign_target(bool with_tuple, bool with_namespace) {
    int line = cur().line;
    if (with_namespace && cur().type == TokenType::kName && peek().type == TokenType::kOperator &&
        peek().value == ".") {
      auto ns = make(K::kName, line);
      ns->name = expect_name();
      next();
      auto e = make(K::kGetattr, line);
      e->children.push_back(std::move(ns));
      e->name = expect_name();
      return e;
    }
    auto element = [&]() -> ExprPtr {
      if (skip_op("(")) {
        ExprPtr inner = parse_assign_target(true, false);
        expect_op(")");
        return inner;
      }
      auto e = make(K::kName, cur().line);
      e->name = expect_name();
      return e;
    };
    ExprPtr first = element();
    if (!with_tuple || !is_op(",")) return first;
    auto t = make(K::kTuple, line);
    t->children.push_back(std::move(first));
    while (skip_op(",")) {
      if (is_name("in") || is_op("=") || is_op(")") || cur().type == TokenType::kBlockEnd) break;
      t->children.push_back(element());
    }
    return t;
  }

  bool is_tuple_end(const std::vector<std::string>& extra_end) const {
    const Token& t = cur();
    if (t.type == TokenType::kVarEnd || t.type == TokenType::kBlockEnd || t.type == TokenType::kEof)
      return true;
    if (t.type == TokenType::kOperator && t.value == ")") return true;
    if (t.type == TokenType::kName)
      return std::find(extra_end.begin(), extra_end.end(), t.value) != extra_end.end();
    return false;
  }

  ExprPtr parse_tuple(bool with_condexpr, const std::vector<std::string>& extra_end,
                      bool explicit_parens) {
    int line = cur().line;
    std::vector<ExprPtr> args;
    bool is_tuple = false;
    for (;;) {
      if (!args.empty()) expect_op(",");
      if (is_tuple_end(extra_end)) break;
      args.push_back(parse_expression(with_condexpr));
      if (is_op(","))
        is_tuple = true;
      else
        break;
    }
    if (!is_tuple) {
      if (!args.empty()) return std::move(args[0]);
      if (!explicit_parens) fail("Expected an expression, got " + describe(cur()));
    }
    auto t = make(K::kTuple, line);
    t->children = std::move(args);
    return t;
  }

  ExprPtr parse_expression(bool with_condexpr) {
    return with_condexpr ? parse_condexpr() : parse_or();
  }

  ExprPtr parse_condexpr() {
    ExprPtr expr = parse_or();
    while (is_name("if")) {
      int line = cur().line;
      next();
      auto c = make(K::kCondition, line);
      c->children.push_back(parse_or());
      c->children.push_back(std::move(expr));
      c->children.push_back(skip_name("else") ? parse_condexpr() : nullptr);
      expr = std::move(c);
    }
    return expr;
  }

  ExprPtr binary(K kind, ExprPtr l, ExprPtr r, std::string op, int line) {
    auto e = make(kind, line);
    e->name = std::move(op);
    e->children.push_back(std::move(l));
    e->children.push_back(std::move(r));
    return e;
  }

  ExprPtr parse_or() {
    ExprPtr l = parse_and();
    while (is_name("or")) {
      int line = cur().line;
      next();
      l = binary(K::kOr, std::move(l), parse_and(), "or", line);
    }
    return l;
  }

  ExprPtr parse_and() {
    ExprPtr l = parse_not();
    while (is_name("and")) {
      int line = cur().line;
      next();
      l = binary(K::kAnd, std::move(l), parse_not(), "and", line);
    }
    return l;
  }

  ExprPtr parse_not() {
    DepthGuard guard(*this);
    if (is_name("not")) {
      auto e = make(K::kNot, cur().line);
      next();
      e->children.push_back(parse_not());
      return e;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    int line = cur().line;
    ExprPtr expr = parse_math1();
    ExprPtr cmp;
    for (;;) {
      std::string op;
      const Token& t = cur();
      if (t.type == TokenType::kOperator &&
          (t.value == "==" || t.value == "!=" || t.value == "<" || t.value == "<=" ||
           t.value == ">" || t.value == ">=")) {
        op = t.value;
        next();
      } else if (is_name("in")) {
        op = "in";
        next();
      } else if (is_name("not") && peek().type == TokenType::kName && peek().value == "in") {
        op = "notin";
        next();
        next();
      } else {
        break;
      }
      if (!cmp) {
        cmp = make(K::kCompare, line);
        cmp->children.push_back(std::move(expr));
      }
      cmp->ops.push_back(op);
      cmp->children.push_back(parse_math1());
    }
    return cmp ? std::move(cmp) : std::move(expr);
  }

  template <typename Sub>
  ExprPtr parse_binary_level(Sub sub, std::initializer_list<const char*> ops) {
    ExprPtr l = (this->*sub)();
    for (;;) {
      const char* found = nullptr;
      for (const char* op : ops)
        if (is_op(op)) found = op;
      if (!found) return l;
      int line = cur().line;
      next();
      l = binary(K::kBinary, std::move(l), (this->*sub)(), found, line);
    }
  }

  ExprPtr parse_math1() { return parse_binary_level(&Parser::parse_concat, {"+", "-"}); }
  ExprPtr parse_concat() { return parse_binary_level(&Parser::parse_math2, {"~"}); }
  ExprPtr parse_math2() { return parse_binary_level(&Parser::parse_pow, {"*", "/", "//", "%"}); }
  ExprPtr parse_pow() { return parse_binary_level(&Parser::parse_unary_filtered, {"**"}); }
  ExprPtr parse_unary_filtered() { return parse_unary(true); }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this);
    int line = cur().line;
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      node = make(is_op("-") ? K::kNeg : K::kPos, line);
      next();
      node->children.push_back(parse_unary(false));
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    if (with_filter) node = parse_filter_expr(std::move(node));
    return node;
  }

  ExprPtr parse_primary() {
    const Token& t = cur();
    int line = t.line;
    if (t.type == TokenType::kName) {
      ExprPtr e;
      if (t.value == "true" || t.value == "True" || t.value == "false" || t.value == "False") {
        e = make(K::kConst, line);
        e->value = Value(t.value == "true" || t.value == "True");
      } else if (t.value == "none" || t.value == "None") {
        e = make(K::kConst, line);
        e->value = Value(nullptr);
      } else {
        e = make(K::kName, line);
        e->name = t.value;
      }
      next();
      return e;
    }
    if (t.type == TokenType::kString) {
      std::string s;
      while (cur().type == TokenType::kString) {
        s += cur().value;
        next();
      }
      auto e = make(K::kConst, line);
      e->value = Value(std::move(s));
      return e;
    }
    if (t.type == TokenType::kInteger || t.type == TokenType::kFloat) {
      auto e = make(K::kConst, line);
      if (t.type == TokenType::kInteger) {
        try {
          e->value = Value(static_cast<int64_t>(std::stoll(t.value)));
        } catch (const std::exception&) {
          e->value = Value(std::stod(t.value));
        }
      } else {
        e->value = Value(std::stod(t.value));
      }
      next();
      return e;
    }
    if (skip_op("(")) {
      ExprPtr e = parse_tuple(true, {}, true);
      expect_op(")");
      return e;
    }
    if (skip_op("[")) {
      auto e = make(K::kList, line);
      while (!is_op("]")) {
        if (!e->children.empty()) expect_op(",");
        if (is_op("]")) break;
        e->children.push_back(parse_expression(true));
      }
      expect_op("]");
      return e;
    }
    if (skip_op("{")) {
      auto e = make(K::kDict, line);
      while (!is_op("}")) {
        if (!e->children.empty()) expect_op(",");
        if (is_op("}")) break;
        e->children.push_back(parse_expression(true));
        expect_op(":");
        e->children.push_back(parse_expression(true));
      }
      expect_op("}");
      return e;
    }
    fail("unexpected " + describe(t));
  }

  ExprPtr parse_postfix(ExprPtr node) {
    for (;;) {
      if (is_op(".") || is_op("["))
        node = parse_subscript(std::move(node));
      else if (is_op("("))
        node = parse_call(std::move(node));
      else
        return node;
    }
  }

  ExprPtr parse_filter_expr(ExprPtr node) {
    for (;;) {
      if (is_op("|"))
        node = parse_filter(std::move(node), false);
      else if (is_name("is"))
        node = parse_test(std::move(node));
      else if (is_op("("))
        node = parse_call(std::move(node));
      else
        return node;
    }
  }

  ExprPtr parse_subscript(ExprPtr node) {
    int line = cur().line;
    if (skip_op(".")) {
      if (cur().type == TokenType::kName) {
        auto e = make(K::kGetattr, line);
        e->children.push_back(std::move(node));
        e->name = expect_name();
        return e;
      }
      if (cur().type != TokenType::kInteger) fail("expected name or number");
      auto e = make(K::kGetitem, line);
      e->children.push_back(std::move(node));
      e->children.push_back(parse_primary());
      return e;
    }
    expect_op("[");
    std::vector<ExprPtr> args;
    while (!is_op("]")) {
      if (!args.empty()) expect_op(",");
      args.push_back(parse_subscribed());
    }
    expect_op("]");
    auto e = make(K::kGetitem, line);
    e->children.push_back(std::move(node));
    if (args.size() == 1) {
      e->children.push_back(std::move(args[0]));
    } else {
      auto t = make(K::kTuple, line);
      t->children = std::move(args);
      e->children.push_back(std::move(t));
    }
    return e;
  }

  ExprPtr parse_subscribed() {
    int line = cur().line;
    std::vector<ExprPtr> parts;
    if (skip_op(":")) {
      parts.push_back(nullptr);
    } else {
      ExprPtr node = parse_expression(true);
      if (!skip_op(":")) return node;
      parts.push_back(std::move(node));
    }
    auto at_end = [&] { return is_op("]") || is_op(","); };
    if (is_op(":") || at_end())
      parts.push_back(nullptr);
    else
      parts.push_back(parse_expression(true));
    if (skip_op(":") && !at_end())
      parts.push_back(parse_expression(true));
    else
      parts.push_back(nullptr);
    auto s = make(K::kSlice, line);
    s->children = std::move(parts);
    return s;
  }

  void parse_args(ArgList& args) {
    expect_op("(");
    bool first = true;
    while (!is_op(")")) {
      if (!first) expect_op(",");
      first = false;
      if (is_op(")")) break;
      if (skip_op("*")) {
        args.star = parse_expression(true);
      } else if (skip_op("**")) {
        args.star_star = parse_expression(true);
      } else if (cur().type == TokenType::kName && peek().type == TokenType::kOperator &&
                 peek().value == "=") {
        std::string key = expect_name();
        next();
        args.kw.emplace_back(key, parse_expression(true));
      } else {
        args.pos.push_back(parse_expression(true));
      }
    }
    expect_op(")");
  }

  ExprPtr parse_call(ExprPtr node) {
    auto e = make(K::kCall, cur().line);
    e->children.push_back(std::move(node));
    parse_args(e->args);
    return e;
  }

  ExprPtr parse_filter(ExprPtr node, bool start_inline) {
    while (is_op("|") || start_inline) {
      if (!start_inline) next();
      start_inline = false;
      auto e = make(K::kFilter, cur().line);
      e->name = expect_name();
      while (skip_op(".")) e->name.append(".").append(expect_name());
      if (is_op("(")) parse_args(e->args);
      e->children.push_back(std::move(node));
      node = std::move(e);
    }
    return node;
  }

  ExprPtr parse_test(ExprPtr node) {
    auto e = make(K::kTest, cur().line);
    next();  // is
    e->negated = skip_name("not");
    e->name = expect_name();
    while (skip_op(".")) e->name.append(".").append(expect_name());
    const Token& t = cur();
    if (is_op("(")) {
      parse_args(e->args);
    } else if ((t.type == TokenType::kName || t.type == TokenType::kString ||
                t.type == TokenType::kInteger || t.type == TokenType::kFloat || is_op("(") ||
                is_op("[") || is_op("{")) &&
               !is_name("else") && !is_name("or") && !is_name("and")) {
      if (is_name("is")) fail("You cannot chain multiple tests with is");
      e->args.pos.push_back(parse_postfix(parse_primary()));
    }
    e->children.push_back(std::move(node));
    return e;
  }

  // Bounds recursion on pathological nesting (Python's parser would hit its recursion limit).
  struct DepthGuard {
    explicit DepthGuard(Parser& p) : p(p) {
      if (++p.depth_ > kMaxNesting) p.fail("template nested too deeply");
    }
    ~DepthGuard() { --p.depth_; }
    Parser& p;
  };
  static constexpr int kMaxNesting = 400;

  std::vector<Token> toks_;
  size_t i_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;  // for-loop bodies enclosing the current statement
};

}  // namespace

std::shared_ptr<const Program> parse(std::string_view source, const LexerOptions& opts) {
  auto program = std::make_shared<Program>();
  program->body = Parser(tokenize(source, opts)).parse_all();
  return program;
}

}  // namespace lmx::jinja
