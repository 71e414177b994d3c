// SPDX-License-Identifier: MIT
// A Jinja template as transformers renders chat templates: Jinja2's
// ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks, loop controls, the
// `generation` tag, raise_exception, strftime_now and tojson(ensure_ascii=False).
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "lmx/tokenizer/jinja_ast.h"
#include "lmx/tokenizer/jinja_value.h"

namespace lmx::jinja {

// A parsed template; immutable and safe to render from several threads at once.
class Template {
 public:
  // Parses `source`; raises TemplateError on syntax errors.
  explicit Template(std::string_view source);

  // Renders with `context` as the template's variables (on top of the globals).
  // Raises TemplateError where Jinja2 would raise.
  std::string render(const Dict& context) const;
  // `context` must be a JSON object; its keys become variables.
  std::string render(const nlohmann::ordered_json& context) const;

 private:
  std::shared_ptr<const Program> program_;
};

}  // namespace lmx::jinja
