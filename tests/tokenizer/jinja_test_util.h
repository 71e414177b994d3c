// SPDX-License-Identifier: MIT
// Shared fixture for the Jinja tests: a context and a table runner. Expected outputs in
// the tables are what Python Jinja2 3.1 renders when set up as transformers sets it up
// (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols); nullptr means
// Jinja2 raises.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "lmx/tokenizer/jinja_interpreter.h"

namespace lmx::testing {

struct JinjaCase {
  const char* tpl;
  const char* expected;  // nullptr: rendering raises TemplateError
};

inline const nlohmann::ordered_json& jinja_test_context() {
  static const auto ctx = nlohmann::ordered_json::parse(R"({
    "msgs": [{"role": "user", "content": "hi"},
             {"role": "assistant", "content": "yo",
              "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]}],
    "d": {"a": 1, "b": [1, 2]}, "s": "héllo", "n": null, "e": [], "i": 7, "f": 2.5})");
  return ctx;
}

inline std::string jinja_render(const std::string& tpl,
                                const nlohmann::ordered_json& ctx = jinja_test_context()) {
  return jinja::Template(tpl).render(ctx);
}

template <size_t N>
void run_jinja_cases(const JinjaCase (&cases)[N]) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.tpl);
    if (c.expected) {
      std::string got;
      try {
        got = jinja_render(c.tpl);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "raised: " << e.what();
        continue;
      }
      EXPECT_EQ(got, c.expected);
    } else {
      EXPECT_THROW(jinja_render(c.tpl), TemplateError);
    }
  }
}

}  // namespace lmx::testing
