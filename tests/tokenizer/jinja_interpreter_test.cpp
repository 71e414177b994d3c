// SPDX-License-Identifier: MIT
// Statements and expressions: scoping, loops, macros, call blocks, set blocks, operators
// with Python semantics, undefined values, errors.
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/tokenizer/jinja_test_util.h"

namespace lmx::testing {
namespace {

TEST(JinjaInterpreter, MatchesJinja2) {
  static const JinjaCase kCases[] = {
      {R"T({% set x = 0 %}{% for i in range(3) %}{% set x = x + 1 %}{{ x }}{% endfor %}{{ x }})T",
       R"T(1110)T"},
      {R"T({% set x = 0 %}{% for i in range(3) %}{{ x }}{% set x = 5 %}{{ x }}{% endfor %}{{ x }})T",
       R"T(0505050)T"},
      {R"T({% for i in range(3) %}{% if i > 0 %}{{ y }}{% endif %}{% set y = i %}{% endfor %})T",
       R"T()T"},
      {R"T({% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }})T", R"T(2)T"},
      {R"T({% macro m() %}{{ x }}{% endmacro %}{% set x = 1 %}{{ m() }}{% set x = 2 %}{{ m() }})T",
       R"T(12)T"},
      {R"T({% set x = 1 %}{% macro m() %}{{ x }}{% endmacro %}{% for i in range(2) %}{% set x = 5 %}{{ m() }}{% endfor %})T",
       R"T(11)T"},
      {R"T({{ [1, 'a', 1.5, None, True, {'k': (1,)}] }})T",
       R"T([1, 'a', 1.5, None, True, {'k': (1,)}])T"},
      {R"T({{ 1e20 }} {{ 1.5e-5 }} {{ 0.1 + 0.2 }} {{ 10 / 2 }} {{ 7 // -2 }} {{ -7 % 3 }} {{ 2 ** 3 ** 2 }} {{ 2 ** -1 }})T",
       R"T(1e+20 1.5e-05 0.30000000000000004 5.0 -4 2 64 0.5)T"},
      {R"T({{ 'a' * 3 }} {{ 3 * 'ab' }} {{ [1] * 2 }})T", R"T(aaa ababab [1, 1])T"},
      {R"T({{ msgs.append }}|{{ msgs.pop }}|{{ d.pop }}|{{ msgs.clear }}|{{ msgs.append is defined }})T",
       R"T(||||False)T"},
      {R"T({% set l = [1,2,3] %}{{ l.pop() }}{{ l }})T",
       nullptr},  // SecurityError: access to attribute 'pop' of 'list' object is unsafe.
      {R"T({% set l = [1,2,3] %}{{ l.append(4) }})T",
       nullptr},  // SecurityError: access to attribute 'append' of 'list' object is unsafe.
      {R"T({% set x = {} %}{{ x.update({'a': 1}) }})T",
       nullptr},  // SecurityError: access to attribute 'update' of 'dict' object is unsafe.
      {R"T({{ undefined_thing.x }})T", nullptr},  // UndefinedError: 'undefined_thing' is undefined
      {R"T({{ d.c }}|{{ d.c.e }})T",
       nullptr},  // UndefinedError: 'dict object' has no attribute 'c'
      {R"T({{ -1|abs }} {{ -x|default(3) }})T", nullptr},  // UndefinedError: 'x' is undefined
      {R"T({{ 'abc'[::-1] }} {{ s[1:3] }} {{ s|length }} {{ s[-2:] }} {{ [1,2,3,4,5][1::2] }} {{ [1,2,3][5:] }} {{ [1,2,3,4][-3:-1] }} {{ 'abcdef'[4:1:-1] }})T",
       R"T(cba él 5 lo [2, 4] [] [2, 3] edc)T"},
      {R"T({{ 1 < 2 < 3 }} {{ 1 == 1.0 }} {{ True == 1 }} {{ 3 > 2 > 2 }})T",
       R"T(True True True False)T"},
      {R"T({{ none }}{{ None }}{{ true }}{{ "x" if false }}|)T", R"T(NoneNoneTrue|)T"},
      {R"T({{ (1,2) }} {{ (1,) }} {{ () }} {{ 1, 2 }})T", R"T((1, 2) (1,) () (1, 2))T"},
      {R"T({{ {'a': 'x\'y', 'b': "q\"", 'c': 'a\'b"c', 'd': '
\t\\ é'} }})T",
       R"T({'a': "x'y", 'b': 'q"', 'c': 'a\'b"c', 'd': '\n\t\\ é'})T"},
      {R"T({{ 3.0 }} {{ 1e16 }} {{ 1e15 }} {{ 123456789012345678.0 }} {{ 0.0001 }} {{ 0.00001 }} {{ -0.0 }} {{ 1.5 }} {{ 100.0 }})T",
       R"T(3.0 1e+16 1000000000000000.0 1.2345678901234568e+17 0.0001 1e-05 -0.0 1.5 100.0)T"},
      {R"T({% for x in [1,2,3] if x > 1 %}{{ loop.index }}/{{ loop.length }}{{ loop.first }}{{ loop.previtem }}{% else %}E{% endfor %})T",
       R"T(1/2True2/2False2)T"},
      {R"T({% for x in [] %}{% else %}E{% endfor %})T", R"T(E)T"},
      {R"T({% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %})T", R"T(a=1;b=[1, 2];)T"},
      {R"T({% for x in d %}{{ x }}{% endfor %}{% for c in 'ab' %}{{ c }}{% endfor %})T",
       R"T(abab)T"},
      {R"T({{ msgs[0].content }} {{ msgs[0]['role'] }} {{ msgs[-1].role }} {{ msgs[5] }}|)T",
       R"T(hi user assistant |)T"},
      {R"T({% set ns = namespace(a=1) %}{% for i in range(3) %}{% set ns.a = ns.a + i %}{% endfor %}{{ ns.a }} {{ ns }})T",
       R"T(4 <Namespace {'a': 4}>)T"},
      {R"T({% macro f(a, b=2) %}{{ a }}-{{ b }}-{{ varargs }}-{{ kwargs }}{% endmacro %}{{ f(1) }} {{ f(1, 3, 4, z=5) }} {{ f(b=7, a=0) }})T",
       R"T(1-2-()-{} 1-3-(4,)-{'z': 5} 0-7-()-{})T"},
      {R"T({% macro f(a) %}[{{ caller(a) }}]{% endmacro %}{% call(x) f(7) %}in{{ x }}{% endcall %})T",
       R"T([in7])T"},
      {R"T({% macro f() %}<{{ caller() }}>{% endmacro %}{% call f() %}body{% endcall %})T",
       R"T(<body>)T"},
      {R"T({% set x %}  block {{ 1 }}  {% endset %}[{{ x }}])T", R"T([  block 1  ])T"},
      {R"T({% set x | upper %}abc{% endset %}{{ x }})T", R"T(ABC)T"},
      {R"T({% filter upper %}abc{% endfilter %})T", R"T(ABC)T"},
      {R"T({{ 'abc' ~ 1 ~ none ~ x }})T", R"T(abc1None)T"},
      {R"T({{ 1 + 'a' }})T",
       nullptr},  // TypeError: unsupported operand type(s) for +: 'int' and 'str'
      {R"T({{ 'a' + 1 }})T", nullptr},  // TypeError: can only concatenate str (not "int") to str
      {R"T({{ [1,2] + [3] }} {{ 'a' < 'b' }} {{ [1,2] < [1,3] }})T", R"T([1, 2, 3] True True)T"},
      {R"T({{ 1 < 'a' }})T",
       nullptr},  // TypeError: '<' not supported between instances of 'int' and 'str'
      {R"T({{ 'x' if 1 else 'y' }} {{ 'x' if 0 }}|{{ 1 and 2 }} {{ 0 or 'z' }} {{ not 1 }} {{ none or [] }})T",
       R"T(x |2 z False [])T"},
      {R"T({% for i in range(5) %}{% if i == 1 %}{% continue %}{% endif %}{% if i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %})T",
       R"T(02)T"},
      {R"T({% for i in [1,2] %}{% for j in [3,4] %}{{ loop.index }}{{ loop.depth }}{% endfor %}{{ loop.index }}{{ loop.cycle('a','b') }}{{ loop.revindex }}{{ loop.nextitem }}{% endfor %})T",
       R"T(11211a2211212b1)T"},
      {R"T({% for i in [1,2,3] %}{{ loop.index0 }}{{ loop.revindex0 }}{{ loop.last }}{{ loop.nextitem is defined }}{% endfor %})T",
       R"T(02FalseTrue11FalseTrue20TrueFalse)T"},
      {R"T({% for i in [1,1,2] %}{% if loop.changed(i) %}{{ i }}{% endif %}{% endfor %})T",
       R"T(12)T"},
      {R"T({{ raise_exception('boom') }})T", nullptr},  // TemplateError: boom
      {R"T({{ 5 / 0 }})T", nullptr},                    // ZeroDivisionError: division by zero
      {R"T({{ 5 // 0 }})T", nullptr},  // ZeroDivisionError: integer division or modulo by zero
      {R"T({% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t = (1, 'x') %}{{ t[1] }})T", R"T(12x)T"},
      {R"T({% set a, b = [1] %})T",
       nullptr},  // ValueError: not enough values to unpack (expected 2, got 1)
      {R"T({{ "hello"[1] }} {{ "hello"[10] }}| {{ s|upper }} {{ 'ÉCOLE'|lower }})T",
       R"T(e | HÉLLO école)T"},
      {R"T({{ '\u00e9\x41\101
' }})T",
       R"T(éAA
)T"},
      {R"T({{ d['a'] }} {{ d.a }} {{ d.items is defined }} {{ d['get'] is defined }})T",
       R"T(1 1 True True)T"},
      {R"T({{ 'x' in 'xyz' }} {{ 'a' not in d }} {{ 3 in [1,2,3] }} {{ 'q' in n|default([]) }} {{ 'a' in x }})T",
       nullptr},  // TypeError: argument of type 'NoneType' is not iterable
      {R"T({{ 1 in 'abc' }})T",
       nullptr},  // TypeError: 'in <string>' requires string as left operand, not int
      {R"T({{ "a\tb" }} {{ {'x': "it's"} }} {{ ["a
b"] }} {{ ['\x01', 'ü', '\u200b'] }})T",
       R"T(a	b {'x': "it's"} ['a\nb'] ['\x01', 'ü', '\u200b'])T"},
      {R"T({{ 10 // 3.0 }} {{ -7 // 2 }} {{ 7 % -3 }} {{ 2.5 % 1 }} {{ 1 / 3 }} {{ 2 ** 0.5 }} {{ -2 ** 2 }} {{ (-2) ** 2 }})T",
       R"T(3.0 -4 -2 0.5 0.3333333333333333 1.4142135623730951 4 4)T"},
      {R"T({{ 1 == 1 == 1 }} {{ 'a' != 'b' }} {{ none == none }} {{ x == none }} {{ x == x }} {{ [1, 2] == [1, 2] }} {{ {'a': 1} == {'a': 1.0} }})T",
       R"T(True True True False True True True)T"},
      {R"T({% macro r(n) %}{% if n > 0 %}{{ n }}{{ r(n - 1) }}{% endif %}{% endmacro %}{{ r(5) }})T",
       R"T(54321)T"},
      {R"T({% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }})T",
       nullptr},  // RecursionError: maximum recursion depth exceeded
      {R"T({% for x in [[1,[2]],[3]] recursive %}[{% if x is iterable %}{{ loop(x) }}{% else %}{{ x }}{% endif %}]{% endfor %})T",
       R"T([[1][[2]]][[3]])T"},
      {R"T({% for x in [{'c': [{'c': []}]}] recursive %}<{{ loop.depth }}{{ loop(x.c) }}>{% endfor %})T",
       R"T(<1<2>>)T"},
      {R"T({% set ns = namespace(items=[]) %}{% for i in range(3) %}{% set ns.items = ns.items + [i] %}{% endfor %}{{ ns.items }})T",
       R"T([0, 1, 2])T"},
      {R"T({% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}{{ ns.c }}|)T", R"T(12|)T"},
      {R"T({% set x = 1 %}{% set x.y = 2 %})T",
       nullptr},  // TemplateRuntimeError: cannot assign attribute on non-namespace object
      {R"T({% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %})T", R"T(37)T"},
      {R"T({% with a = 1, b = 2 %}{{ a }}{{ b }}{% endwith %}{{ a }}|)T", R"T(12|)T"},
      {R"T({{ [1, 2, 3][-1] }} {{ (1, 2)[0] }} {{ 'abc'[-1] }} {{ d['b'][1] }} {{ msgs.0.role }})T",
       R"T(3 1 c 2 user)T"},
      {R"T({% set x = [1,2] %}{{ x|first }}{{ x|last }}{{ x[0] if x else 'no' }})T", R"T(121)T"},
      {R"T({{ range(3) }}|{{ range(100001)|length }})T",
       nullptr},  // OverflowError: Range too big. The sandbox blocks ranges larger than MAX_RANGE
                  // (100000).
      {R"T({{ range(5, 0, -2)|list }} {{ range(0)|list }} {{ dict(a=1, b='x') }} {{ dict([('k', 1)]) }})T",
       R"T([5, 3, 1] [] {'a': 1, 'b': 'x'} {'k': 1})T"},
      {R"T({{ x() }})T", nullptr},      // UndefinedError: 'x' is undefined
      {R"T({{ 'abc'() }})T", nullptr},  // TypeError: 'str' object is not callable
      {R"T({% if %}{% endif %})T",
       nullptr},  // TemplateSyntaxError: Expected an expression, got 'end of statement block'
      {R"T({% for x in %}{% endfor %})T",
       nullptr},  // TemplateSyntaxError: Expected an expression, got 'end of statement block'
      {R"T({% if true %})T", nullptr},  // TemplateSyntaxError: Unexpected end of template. Jinja
                                        // was looking for the following tags: 'elif' or
      {R"T({% endif %})T", nullptr},    // TemplateSyntaxError: Encountered unknown tag 'endif'.
      {R"T({% do x %})T", nullptr},     // TemplateSyntaxError: Encountered unknown tag 'do'.
      {R"T({{ foo(1 }})T", nullptr},    // TemplateSyntaxError: unexpected '}', expected ')'
      {R"T({{ 1 +* 2 }})T", nullptr},   // TemplateSyntaxError: unexpected '*'
      {R"T({% generation %}gen {{ 1 }}{% endgeneration %})T", R"T(gen 1)T"},
      {R"T({{ not none is none }} {{ not (1 in [1]) }} {{ 1 is not none and 2 is not none }})T",
       R"T(False False True)T"},
      {R"T({{ 1 if none is none else 2 }} {{ (1 if false else 2) + 1 }} {{ 'a' if 'b' in 'abc' else 'c' }})T",
       R"T(1 3 a)T"},
      {R"T({{ -1 }} {{ +1 }} {{ - - 1 }} {{ -(1) }} {{ 1 - -1 }})T", R"T(-1 1 1 -1 2)T"},
      {R"T({% set x = 'a' %}{% set y = x ~ 'b' %}{{ y }}{% set z = [x, y] %}{{ z|join(',') }})T",
       R"T(aba,ab)T"},
      {R"T({{ i // 2 }} {{ i % 3 }} {{ i / 2 }} {{ i ** 2 }} {{ f * 2 }} {{ -i }} {{ i|string + 'x' }} {{ f|int }} {{ i + f }} {{ true + 1 }})T",
       R"T(3 1 3.5 49 5.0 -7 7x 2 9.5 2)T"},
      {R"T({% set c = cycler('a', 'b') %}{{ c.next() }}{{ c.next() }}{{ c.next() }}{{ c.current }})T",
       R"T(abab)T"},
      {R"T({% set j = joiner('|') %}{% for i in range(3) %}{{ j() }}{{ i }}{% endfor %})T",
       R"T(0|1|2)T"},
      {R"T({{ d.__class__ }}|{{ 'x'.__len__ }}|)T", R"T(||)T"},
      {R"T({{ loop.index }})T", nullptr},  // UndefinedError: 'loop' is undefined
      {R"T({% for i in range(3) %}{{ loop.previtem }}{% endfor %})T", R"T(01)T"},
      {R"T({{ msgs|map(attribute='content')|list }}{{ msgs[1].tool_calls|map(attribute='function.name')|list }})T",
       R"T(['hi', 'yo']['f'])T"},
      {R"T({{ msgs|map(attribute='nope', default='D')|list }})T", R"T(['D', 'D'])T"},
  };
  run_jinja_cases(kCases);
}

// Jinja2 compiles loops to Python: break/continue outside a loop body fail to compile, and
// `else` runs unless an iteration reached the end of the body.
TEST(JinjaInterpreter, LoopControlsMatchJinja2) {
  static const JinjaCase kCases[] = {
      {R"T({% for i in [1, 2] %}{% break %}{% else %}E{% endfor %}|{% for i in [1, 2] %}{{ i }}{% if i == 2 %}{% break %}{% endif %}{% else %}E{% endfor %}|{% for i in [1, 2] %}{% continue %}{% else %}E{% endfor %}|{% for i in [1, 2] %}{% if i == 1 %}{% continue %}{% endif %}{% else %}E{% endfor %})T",
       R"T(E|12|E|)T"},
      {R"T({% if false %}{% break %}{% endif %})T",
       nullptr},  // SyntaxError: 'break' outside loop (<template>, line 13)
      {R"T({% for i in [1] %}{% else %}{% break %}{% endfor %})T",
       nullptr},  // SyntaxError: 'break' outside loop (<template>, line 19)
      {R"T({% for i in [1] %}{% macro m() %}{% continue %}{% endmacro %}{% endfor %})T",
       nullptr},  // SyntaxError: 'continue' not properly in loop (<template>, line 18)
      {R"T({% for i in [1, 2] %}a{% filter upper %}b{% break %}{% endfilter %}{% endfor %}|{% for i in [1, 2] %}{% set x %}{{ i }}{% continue %}{% endset %}{{ i }}{% endfor %})T",
       R"T(a|)T"},
  };
  run_jinja_cases(kCases);
}

TEST(JinjaInterpreter, ErrorsCarryMessageAndLine) {
  try {
    jinja_render("a\n{{ raise_exception('System role not supported') }}");
    FAIL() << "no error";
  } catch (const TemplateError& e) {
    EXPECT_EQ(e.message(), "System role not supported");
    EXPECT_EQ(e.line(), 2);
  }
  try {
    jinja_render("{{ d.nope.x }}");
    FAIL() << "no error";
  } catch (const TemplateError& e) {
    EXPECT_EQ(e.message(), "'dict object' has no attribute 'nope'");
  }
  try {
    jinja_render("{% set l = [] %}{{ l.append(1) }}");
    FAIL() << "no error";
  } catch (const TemplateError& e) {
    EXPECT_EQ(e.message(), "access to attribute 'append' of 'list' object is unsafe.");
  }
}

TEST(JinjaInterpreter, RecursionAndNestingLimits) {
  // Python's recursion limit stops Jinja2 at about 200 nested macro calls.
  const char* rec = "{% macro r(n) %}{% if n > 0 %}{{ r(n - 1) }}{% endif %}{% endmacro %}";
  EXPECT_EQ(jinja_render(std::string(rec) + "{{ r(150) }}ok"), "ok");
  EXPECT_THROW(jinja_render(std::string(rec) + "{{ r(5000) }}"), TemplateError);
  std::string deep = "{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}";
  EXPECT_THROW(jinja_render(deep), TemplateError);
  std::string nested;
  for (int i = 0; i < 100; ++i) nested += "{% if true %}";
  nested += "x";
  for (int i = 0; i < 100; ++i) nested += "{% endif %}";
  EXPECT_EQ(jinja_render(nested), "x");
}

TEST(JinjaInterpreter, StrftimeNowUsesFixedDate) {
  setenv("LMX_FIXED_DATE", "2024-07-26", 1);
  EXPECT_EQ(jinja_render("{{ strftime_now('%d %b %Y') }} {{ strftime_now('%Y-%m-%d %H:%M') }}"),
            "26 Jul 2024 2024-07-26 00:00");
  EXPECT_EQ(jinja_render("{{ strftime_now('%A %-d %B') }}"), "Friday 26 July");
  unsetenv("LMX_FIXED_DATE");
  EXPECT_EQ(jinja_render("{{ strftime_now('%Y')|length }}"), "4");
}

TEST(JinjaInterpreter, ContextFromDict) {
  jinja::Dict ctx;
  ctx.set(jinja::Value("x"), jinja::Value(std::vector<jinja::Value>{1, "a"}));
  EXPECT_EQ(jinja::Template("{{ x }}{{ x|length }}").render(ctx), "[1, 'a']2");
}

TEST(JinjaInterpreter, TemplateIsReusable) {
  jinja::Template t(
      "{% set ns = namespace(n=0) %}{% for m in msgs %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ "
      "ns.n }}");
  EXPECT_EQ(t.render(jinja_test_context()), "2");
  EXPECT_EQ(t.render(jinja_test_context()), "2");
}

}  // namespace
}  // namespace lmx::testing
