// SPDX-License-Identifier: MIT
// Whitespace handling of the lexer: trim_blocks, lstrip_blocks, - and + markers, raw,
// comments, newline normalization, keep_trailing_newline off.
#include <gtest/gtest.h>

#include "lmx/tokenizer/jinja_lexer.h"
#include "tests/tokenizer/jinja_test_util.h"

namespace lmx::testing {
namespace {

TEST(JinjaLexer, WhitespaceMatchesJinja2) {
  static const JinjaCase kCases[] = {
      {R"T(a  
  {% if true %}
  x
  {% endif %}
  b)T",
       R"T(a  
  x
  b)T"},
      {R"T({{ 'a' }}  
  {%- if true -%}  y  {%+ endif %}|)T",
       R"T(ay  |)T"},
      {R"T(  {{ 'v' }}
  {# c #}
  z)T",
       R"T(  v
  z)T"},
      {R"T({% if true %}
    hi
{% endif %})T",
       R"T(    hi
)T"},
      {R"T({%- set x = 'a' -%}

  {{ x }}  

{%- if x %}Y{% endif -%}  
  Z)T",
       R"T(aYZ)T"},
      {R"T({% for m in msgs %}
{{ m.role }}
{% endfor %}
)T",
       R"T(user
assistant
)T"},
      {R"T({%- for m in msgs -%}
  {{- m.role -}}
{%- endfor %})T",
       R"T(userassistant)T"},
      {R"T(line1
    {%- if true %}
    in
    {%- endif %}
line2)T",
       R"T(line1    inline2)T"},
      {R"T(  {%+ if true %}keep{% endif %})T", R"T(  keep)T"},
      {R"T({% if true +%}
newline kept{% endif %})T",
       R"T(
newline kept)T"},
      {R"T(text

)T",
       R"T(text
)T"},
      {R"T(\t {# comment #}
 after)T",
       R"T(\t  after)T"},
      {R"T({% raw %}  {{ x }} {% if %}{% endraw %})T", R"T(  {{ x }} {% if %})T"},
      {R"T(a{#- c -#}  b)T", R"T(ab)T"},
      {R"T({{ 'x' -}}  
  {{- 'y' }})T",
       R"T(xy)T"},
      {R"T({% for i in range(2) %}
  {% for j in range(2) %}
    {{ i }}{{ j }}
  {% endfor %}
{% endfor %})T",
       R"T(    00
    01
    10
    11
)T"},
      {R"T(x {%- if true %} y{% endif %})T", R"T(x y)T"},
      {R"T({{ {'a': {'b': 1}} }})T", R"T({'a': {'b': 1}})T"},
      {R"T({{ "%}" }}{{ '}}' }})T", R"T(%}}})T"},
      {R"T(a
b
{% if true %}
c
{% endif %}
)T",
       R"T(a
b
c
)T"},
  };
  run_jinja_cases(kCases);
}

TEST(JinjaLexer, Tokens) {
  auto toks = jinja::tokenize("a{{ x.y|f(1, 'z') }}{%- if b -%}c{% endif %}");
  std::vector<std::string> values;
  for (const auto& t : toks) values.push_back(t.value);
  std::vector<std::string> want = {"a", "", "x", ".",  "y", "|", "f", "(", "1",     ",", "z",
                                   ")", "", "",  "if", "b", "",  "c", "",  "endif", "",  ""};
  EXPECT_EQ(values, want);
  EXPECT_EQ(toks.back().type, jinja::TokenType::kEof);
}

TEST(JinjaLexer, StringEscapes) {
  EXPECT_EQ(jinja_render(R"({{ '\n\t\\ \'q\' \x41\u00e9\101 \d' }})"), "\n\t\\ 'q' Aé\101 \\d");
  EXPECT_EQ(jinja_render(R"({{ "a" 'b' }})"), "ab");
}

TEST(JinjaLexer, LineNumbersInErrors) {
  try {
    jinja_render("line 1\n{% if true %}\n{{ 1 +* 2 }}\n{% endif %}");
    FAIL() << "no error";
  } catch (const TemplateError& e) {
    EXPECT_EQ(e.line(), 3);
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos);
  }
  EXPECT_THROW(jinja_render("{{ 'open"), TemplateError);
  EXPECT_THROW(jinja_render("{# open"), TemplateError);
  EXPECT_THROW(jinja_render("{{ x "), TemplateError);
}

}  // namespace
}  // namespace lmx::testing
