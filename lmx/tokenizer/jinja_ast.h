// SPDX-License-Identifier: MIT
// The Jinja syntax tree: expressions (Expr) and statements (Node), as the parser builds
// them and the interpreter walks them.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lmx/tokenizer/jinja_value.h"

namespace lmx::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

// Arguments of a call, filter or test: positional, keyword, *args and **kwargs.
struct ArgList {
  std::vector<ExprPtr> pos;
  std::vector<std::pair<std::string, ExprPtr>> kw;
  ExprPtr star, star_star;
};

struct Expr {
  enum class Kind {
    kConst,      // value
    kName,       // name
    kGetattr,    // a.name: children[0], name
    kGetitem,    // a[b]: children[0], children[1]
    kSlice,      // a:b:c inside [], children (null for omitted parts)
    kList,       // [children...]
    kTuple,      // (children...)
    kDict,       // {children[0]: children[1], ...} as key/value pairs
    kBinary,     // children[0] name children[1]; name in + - * / // % ** ~
    kAnd,        // children[0] and children[1]
    kOr,         // children[0] or children[1]
    kNot,        // not children[0]
    kNeg,        // -children[0]
    kPos,        // +children[0]
    kCompare,    // children[0] ops[0] children[1] ops[1] children[2] ...
    kCondition,  // children[1] if children[0] else children[2] (children[2] may be null)
    kFilter,     // children[0] | name(args); children[0] null inside {% filter %}
    kTest,       // children[0] is [not] name(args); negated
    kCall,       // children[0](args)
  };
  Kind kind;
  int line = 0;
  Value value;
  std::string name;
  std::vector<ExprPtr> children;
  std::vector<std::string> ops;
  ArgList args;
  bool negated = false;

  Expr(Kind k, int l) : kind(k), line(l) {}
};

struct Node;
using NodePtr = std::unique_ptr<Node>;
using Body = std::vector<NodePtr>;

struct Node {
  enum class Kind {
    kText,         // text
    kPrint,        // {{ expr }}
    kIf,           // tests[i] -> bodies[i]; else_body
    kFor,          // for target in expr [if cond] [recursive]: body [else else_body]
    kSet,          // set target = expr
    kSetBlock,     // set target [| filter] ... endset: body, filter (kFilter chain or null)
    kMacro,        // macro name(params = defaults): body
    kCallBlock,    // call(params) expr: body
    kFilterBlock,  // filter chain: body
    kWith,         // with targets = values: body
    kBreak,
    kContinue,
    kScope,  // body rendered in place (generation, block, autoescape)
  };
  Kind kind;
  int line = 0;
  std::string text;
  ExprPtr expr, target, cond, filter;
  std::vector<ExprPtr> tests;
  std::vector<Body> bodies;
  Body body, else_body;
  bool recursive = false;
  // Macro and call-block parameters; defaults[i] may be null.
  std::string name;
  std::vector<std::string> params;
  std::vector<ExprPtr> defaults;
  // with: target/value pairs.
  std::vector<std::pair<ExprPtr, ExprPtr>> assigns;

  Node(Kind k, int l) : kind(k), line(l) {}
};

// A parsed template; shared so macros can outlive nothing they point into.
struct Program {
  Body body;
};

}  // namespace lmx::jinja
