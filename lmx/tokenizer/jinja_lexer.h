// SPDX-License-Identifier: MIT
// Jinja lexer configured as transformers configures Jinja2: trim_blocks, lstrip_blocks,
// keep_trailing_newline off, newlines normalized to "\n", whitespace control with - and +.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lmx::jinja {

enum class TokenType {
  kData,        // template text outside tags
  kVarBegin,    // {{
  kVarEnd,      // }}
  kBlockBegin,  // {%
  kBlockEnd,    // %}
  kName,
  kString,  // value holds the unescaped contents
  kInteger,
  kFloat,
  kOperator,  // + - * / // % ** ~ ( ) [ ] { } , . : | = == != < <= > >= ;
  kEof,
};

struct Token {
  TokenType type;
  std::string value;
  int line;
};

struct LexerOptions {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
  bool keep_trailing_newline = false;
};

// Splits a template into tokens; raises TemplateError on unterminated tags or strings.
std::vector<Token> tokenize(std::string_view source, const LexerOptions& opts = {});

}  // namespace lmx::jinja
