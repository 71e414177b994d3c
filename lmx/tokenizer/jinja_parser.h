// SPDX-License-Identifier: MIT
// Jinja parser: turns template source into a Program (Jinja2's grammar and operator
// precedence, including its left-associative `**`).
#pragma once

#include <memory>
#include <string_view>

#include "lmx/tokenizer/jinja_ast.h"
#include "lmx/tokenizer/jinja_lexer.h"

namespace lmx::jinja {

// Raises TemplateError (with the line) on syntax errors and unknown tags.
std::shared_ptr<const Program> parse(std::string_view source, const LexerOptions& opts = {});

}  // namespace lmx::jinja
