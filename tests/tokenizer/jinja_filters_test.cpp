// SPDX-License-Identifier: MIT
// Filters, tests and str/dict/list methods.
#include <gtest/gtest.h>

#include "tests/tokenizer/jinja_test_util.h"

namespace lmx::testing {
namespace {

TEST(JinjaFilters, MatchesJinja2) {
  static const JinjaCase
      kCases
          [] =
              {
                  {R"T({{ 'hello world-foo(bar'|title }} {{ 'hELLO wORLD'|capitalize }} {{ "they're 1st"|title }} {{ "they're 1st".title() }})T",
                   R"T(Hello World-Foo(Bar Hello world They're 1st They'Re 1St)T"},
                  {R"T({{ "  a  "|trim }}|{{ "xxaxx"|trim('x') }}|{{ "\u3000x\u3000"|trim }}|{{ none|trim }}|{{ 1|trim }})T",
                   R"T(a|a|x|None|1)T"},
                  {R"T({{ 2.5|round }} {{ 3.5|round }} {{ 2.675|round(2) }} {{ -2.5|round }} {{ 2.5|round(0,'floor') }} {{ 3|round }} {{ 2.7|round|int }} {{ 1.234|round(1, 'ceil') }} {{ 0.125|round(2) }})T",
                   R"T(2.0 4.0 2.67 -2.0 2.0 3 3 1.3 0.12)T"},
                  {R"T({{ "3.7"|int }} {{ "x"|int }} {{ true|int }} {{ "12"|float }} {{ 3|float }} {{ none|int }} {{ " 5 "|int }} {{ "a"|int(5) }} {{ "1.5e3"|float }} {{ "10"|int(base=2) }} {{ "x"|float(1.5) }} {{ 3.9|int }})T",
                   R"T(3 0 1 12.0 3.0 0 5 5 1500.0 2 1.5 3)T"},
                  {R"T({{ d|tojson }} {{ d|tojson(indent=2) }} {{ 'é"
\u0001\t/'|tojson }} {{ 1.0|tojson }} {{ [] | tojson(indent=2) }} {{ {} | tojson(indent=2) }})T",
                   R"T({"a": 1, "b": [1, 2]} {
  "a": 1,
  "b": [
    1,
    2
  ]
} "é\"\n\u0001\t/" 1.0 [] {})T"},
                  {R"T({{ {'a': none, 'b': true, 'c': 1.5e300, 'd': [1, {'e': 'f'}]}|tojson }})T",
                   R"T({"a": null, "b": true, "c": 1.5e+300, "d": [1, {"e": "f"}]})T"},
                  {R"T({{ [1,[2,3]]|tojson(separators=(',', ':')) }} {{ {'b':1,'a':2}|tojson(sort_keys=true) }} {{ 'ü😀'|tojson(ensure_ascii=true) }} {{ 'x'|tojson(indent='\t') }} {{ {'a': [1]}|tojson(indent='--') }})T",
                   R"T([1,[2,3]] {"a": 2, "b": 1} "\u00fc\ud83d\ude00" "x" {
--"a": [
----1
--]
})T"},
                  {R"T({{ d|tojson(indent=0) }})T", R"T({
"a": 1,
"b": [
1,
2
]
})T"},
                  {R"T({{ x|tojson }})T",
                   nullptr},  // TypeError: Object of type Undefined is not JSON serializable
                  {R"T({{ msgs|selectattr('role', 'eq', 'user')|tojson }})T",
                   nullptr},  // TypeError: Object of type generator is not JSON serializable
                  {R"T({{ "a,b,,c".split(',') }} {{ " a  b ".split() }} {{ "a b c".split(' ', 1) }} {{ "abc".strip('ac') }} {{ "a b c".rsplit(' ', 1) }} {{ "a b c".rsplit(None, 1) }} {{ "  a b ".split(None, 1) }})T",
                   R"T(['a', 'b', '', 'c'] ['a', 'b'] ['a', 'b c'] b ['a b', 'c'] ['a b', 'c'] ['a', 'b '])T"},
                  {R"T({{ "{} and {name}".format(1, name='n') }} {{ "%s-%d" % ('a', 3) }} {{ "%.2f" % 3.14159 }} {{ "{:>5}|{:<4}|{:^6}|{:05.1f}".format('a', 'b', 'c', 3.14159) }})T",
                   R"T(1 and n a-3 3.14     a|b   |  c   |003.1)T"},
                  {R"T({{ "{0}-{0}".format('x') }} {{ "{a[b]}".format(a={'b': 1}) }} {{ "{!r}".format('x') }} {{ "{:d}|{:3d}|{:x}|{:,}".format(5, 7, 255, 1000) }} {{ "{{}}{}".format(1) }})T",
                   R"T(x-x 1 'x' 5|  7|ff|1,000 {}1)T"},
                  {R"T({{ "%s" % n }} {{ "%5s|%-5s|" % ('a', 'b') }} {{ "%03d" % 7 }} {{ "%x" % 255 }} {{ "%(a)s" % {'a': 1} }} {{ "%r" % 'x' }} {{ "%s %s" % [1, 2] }})T",
                   nullptr},  // TypeError: not enough arguments for format string
                  {R"T({{ "%s and %s"|format(1, 2) }} {{ "%(x)s"|format(x='y') }})T",
                   R"T(1 and 2 y)T"},
                  {R"T({{ [3,1,2]|sort }} {{ [3,1,2]|sort(reverse=true)|join(',') }} {{ {'b':1,'A':2}|dictsort }} {{ [1,2,2,'a','A']|unique|list }} {{ ['b', 'A', 'a']|sort }} {{ ['b', 'A', 'a']|sort(case_sensitive=true) }})T",
                   R"T([1, 2, 3] 3,2,1 [('A', 2), ('b', 1)] [1, 2, 'a'] ['A', 'a', 'b'] ['A', 'a', 'b'])T"},
                  {R"T({{ {'b':1,'a':2}|dictsort(by='value') }} {{ {'b':1,'a':2}|dictsort(reverse=true) }})T",
                   R"T([('b', 1), ('a', 2)] [('b', 1), ('a', 2)])T"},
                  {R"T({{ [1,2,3]|map('string')|join }} {{ msgs|map(attribute='role')|list }} {{ [1,2,3,4]|select('odd')|list }} {{ msgs|selectattr('role','equalto','user')|list|length }})T",
                   R"T(123 ['user', 'assistant'] [1, 3] 1)T"},
                  {R"T({{ [0, 1, '', 'a', none]|select|list }} {{ [0, 1, '', 'a', none]|reject|list }} {{ [1, 2, 3]|select('>', 1)|list }} {{ [1, 2, 3]|select('in', [1, 3])|list }})T",
                   R"T([1, 'a'] [0, '', None] [2, 3] [1, 3])T"},
                  {R"T({{ msgs|selectattr('tool_calls')|list|length }} {{ msgs|selectattr('tool_calls', 'defined')|map(attribute='role')|first }} {{ msgs|rejectattr('tool_calls', 'defined')|list|length }})T",
                   R"T(1 assistant 1)T"},
                  {R"T({{ "a
b

c"|indent(2) }}|{{ "a
b"|indent(2, true) }}|{{ "a

b"|indent(2, blank=true) }}|{{ "a
b"|indent('> ') }}|{{ "x
"|indent }})T",
                   R"T(a
  b

  c|  a
  b|a
  
  b|a
> b|x
)T"},
                  {R"T({{ [1,2,3,4,5]|batch(2)|list }} {{ [1,2,3]|batch(2, 0)|list }} {{ [1,2]|sum }} {{ [1,5,2]|max }} {{ ['b','A']|min }} {{ []|max }}| {{ [{'n': 2}, {'n': 5}]|sum(attribute='n') }} {{ [1.5, 2]|sum(start=1) }})T",
                   R"T([[1, 2], [3, 4], [5]] [[1, 2], [3, 0]] 3 5 A | 7 4.5)T"},
                  {R"T({{ [{'n': 2}, {'n': 5}]|max(attribute='n') }} {{ ['a', 'B']|max }} {{ ['a', 'B']|max(case_sensitive=true) }})T",
                   R"T({'n': 5} B a)T"},
                  {R"T({{ x is defined }} {{ none is none }} {{ 1 is number }} {{ true is number }} {{ 1.0 is integer }} {{ 1 is integer }} {{ true is integer }} {{ d is mapping }} {{ 'a' is sequence }} {{ d is sequence }} {{ x is iterable }} {{ 3 is divisibleby 3 }} {{ 'a' is in 'abc' }})T",
                   R"T(False True True True False True False True True True True True True)T"},
                  {R"T({{ 'Hello World'|lower is lower }} {{ 'ABC' is upper }} {{ 'Ab' is upper }} {{ 4 is even }} {{ 3 is odd }} {{ 1.5 is float }} {{ true is boolean }} {{ 1 is boolean }} {{ true is true }} {{ 1 is true }} {{ false is false }} {{ 0 is false }})T",
                   R"T(True True False True True True True False True False True False)T"},
                  {R"T({{ 'abc' is string }} {{ 1 is string }} {{ msgs is sequence }} {{ 5 is iterable }} {{ range is callable }} {{ 'x'.upper is callable }} {{ 'x' is callable }} {{ x is sequence }} {{ x is mapping }})T",
                   R"T(True False True False True True False True False)T"},
                  {R"T({{ 1 is eq 1 }} {{ 1 is equalto 2 }} {{ 2 is gt 1 }} {{ 2 is ge 2 }} {{ 1 is lt 2 }} {{ 1 is le 0 }} {{ 1 is ne 1 }} {{ 1 is == 1 }} {{ 2 is greaterthan 1 }} {{ 1 is lessthan 1 }} {{ none is sameas none }} {{ 'upper' is filter }} {{ 'zzz' is filter }} {{ 'odd' is test }})T", nullptr},  // TemplateSyntaxError: expected token 'name', got '=='
                  {R"T({{ x.y is defined }})T", nullptr},  // UndefinedError: 'x' is undefined
                  {R"T({{ n is defined }} {{ x is undefined }} {{ e is defined }} {{ x is not defined }} {{ n is not none }})T",
                   R"T(True True True True False)T"},
                  {R"T({{ 1 is foo }})T", nullptr},  // TemplateAssertionError: No test named 'foo'.
                  {R"T({{ 1|foo }})T", nullptr},  // TemplateAssertionError: No filter named 'foo'.
                  {R"T({{ 'abc'|replace('b','X') }} {{ 'aaa'|replace('a','b',2) }} {{ 'hello world foo'|wordcount }} {{ 'abc'|center(7) }}| {{ 'ab'|replace('', '-') }} {{ 1|replace('1', 'x') }})T",
                   R"T(aXc bba 3   abc  | -a-b- x)T"},
                  {R"T({{ d|items|list }} {{ d|list }} {{ 'ab'|list }} {{ d.get('a') }} {{ d.get('z', 5) }} {{ d.get('z') }} {{ d.keys()|list }} {{ d.values()|list }} {{ d.items()|list }} {{ x|items|list }})T",
                   R"T([('a', 1), ('b', [1, 2])] ['a', 'b'] ['a', 'b'] 1 5 None ['a', 'b'] [1, [1, 2]] [('a', 1), ('b', [1, 2])] [])T"},
                  {R"T({{ 'abc'.upper() }} {{ 'Hello'.startswith(('He','x')) }} {{ 'abc'.find('c') }} {{ 'héllo'.find('l') }} {{ 'a-b'.title() }} {{ '  x '.rstrip() }}| {{ 'x'.endswith('x') }} {{ 'abcabc'.count('b') }} {{ 'xxaxx'.lstrip('x') }} {{ 'xxaxx'.rstrip('x') }} {{ 'ab'.center(6, '*') }} {{ '5'.zfill(3) }})T",
                   R"T(ABC True 2 2 A-B   x| True 2 axx xxa **ab** 005)T"},
                  {R"T({{ 'a
b
c'.splitlines() }} {{ 'abc'.replace('b', '') }} {{ 'aXbXc'.split('X', 1) }} {{ 'a.b.c'.rsplit('.', 1) }} {{ 'Ab1'.isalnum() }} {{ '12'.isdigit() }} {{ ' '.isspace() }} {{ 'AB'.isupper() }} {{ 'ab'.islower() }} {{ 'Ab'.swapcase() }})T",
                   R"T(['a', 'b', 'c'] ac ['a', 'bXc'] ['a.b', 'c'] True True True True True aB)T"},
                  {R"T({{ 'a,b'.split(',')|join('|') }} {{ [1, 'a']|join(', ') }} {{ msgs|join(',', attribute='role') }} {{ '-'.join(['a', 'b']) }} {{ 'prefix_x'.removeprefix('prefix_') }} {{ 'a=b=c'.partition('=') }})T",
                   R"T(a|b 1, a user,assistant a-b x ('a', '=', 'b=c'))T"},
                  {R"T({{ 'abc'|truncate(2) }} {{ 'a b c d e f g h'|truncate(9) }} {{ 'a b c d e f g h i j'|truncate(9, true) }} {{ 'x'|reverse }} {{ [1,2]|reverse|list }} {{ 'abc'|reverse }})T",
                   nullptr},  // AssertionError: expected length >= 3, got 2
                  {R"T({{ none|string }} {{ true|string|lower }} {{ 1.0|string }} {{ [1]|string }} {{ x|string }}| {{ d|string }})T",
                   R"T(None true 1.0 [1] | {'a': 1, 'b': [1, 2]})T"},
                  {R"T({{ msgs|length }} {{ msgs|count }} {{ d|length }} {{ 'héllo'|length }} {{ x|length }})T",
                   R"T(2 2 2 5 0)T"},
                  {R"T({{ 5|length }})T", nullptr},  // TypeError: object of type 'int' has no len()
                  {R"T({{ [3,1,2]|sort|first }} {{ [{'n': 2}, {'n': 1}]|sort(attribute='n')|map(attribute='n')|list }} {{ 'abc'|first }} {{ 'abc'|last }} {{ d|first }} {{ e|first is defined }})T",
                   R"T(1 [1, 2] a c a False)T"},
                  {R"T({{ x|default('q') }} {{ x|d('q') }} {{ ''|default('q') }} {{ ''|default('q', true) }} {{ none|default('q') }} {{ none|default('q', boolean=true) }} {{ 0|d(1, true) }})T",
                   R"T(q q  q None q 1)T"},
                  {R"T({{ "<a href='x'>&</a>"|e }} {{ "<b>"|escape }} {{ "<br/> x  y"|striptags }} {{ none|e }} {{ "x"|safe }} {{ 1|safe }} {{ "<"|forceescape }})T",
                   R"T(&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt; &lt;b&gt; x y None x 1 &lt;)T"},
                  {R"T({{ -3|abs }} {{ -2.5|abs }} {{ d|attr('a') }}| {{ [1,2,3,4,5,6,7]|slice(3)|list }} {{ 'a'|pprint }} {{ [1, 'a']|pprint }})T",
                   R"T(3 2.5 | [[1, 2, 3], [4, 5], [6, 7]] 'a' [1, 'a'])T"},
                  {R"T({{ [{'g': 1, 'v': 'a'}, {'g': 2, 'v': 'b'}, {'g': 1, 'v': 'c'}]|groupby('g')|list }})T",
                   R"T([(1, [{'g': 1, 'v': 'a'}, {'g': 1, 'v': 'c'}]), (2, [{'g': 2, 'v': 'b'}])])T"},
                  {R"T({{ ['b', 'a']|unique|list }} {{ [{'n': 'A'}, {'n': 'a'}]|unique(attribute='n')|list }} {{ ['A', 'a']|unique(case_sensitive=true)|list }})T",
                   R"T(['b', 'a'] [{'n': 'A'}] ['A', 'a'])T"},
                  {R"T({{ 1|first }})T", nullptr},  // TypeError: 'int' object is not iterable
                  {R"T({{ 'x'|indent(width=2, first=true) }} {{ 'ab cd'|wordcount }} {{ 'a'|center }}|)T",
                   R"T(  x 2                                        a                                        |)T"},
                  {R"T({{ msgs|map('upper')|list }})T",
                   R"T(["{'ROLE': 'USER', 'CONTENT': 'HI'}", "{'ROLE': 'ASSISTANT', 'CONTENT': 'YO', 'TOOL_CALLS': [{'FUNCTION': {'NAME': 'F', 'ARGUMENTS': {'A': 1}}}]}"])T"},
                  {R"T({{ ['a', 'b']|map('upper')|list }} {{ [1.5, 2.5]|map('round')|list }} {{ [[1, 2], [3]]|map('length')|list }} {{ ['1', '2']|map('int')|sum }})T",
                   R"T(['A', 'B'] [2.0, 2.0] [2, 1] 3)T"},
                  {R"T({{ msgs|selectattr('role', 'in', ['user', 'system'])|map(attribute='role')|list }} {{ [1, 2, 3, 4]|select('divisibleby', 2)|list }})T",
                   R"T(['user'] [2, 4])T"},
                  {R"T({{ msgs|map(attribute='role') is iterable }} {{ msgs|map(attribute='role') is sequence }} {{ (msgs|map(attribute='role'))[0] }})T",
                   R"T(True False )T"},
                  {R"T({{ msgs|map(attribute='role')|last }})T",
                   nullptr},  // TypeError: 'generator' object is not reversible
                  {R"T({{ [none, 1]|map('default', 'x')|list }})T", R"T([None, 1])T"},
              };
  run_jinja_cases(kCases);
}

// |safe and |e make markupsafe.Markup strings, which escape what is added to them.
TEST(JinjaFilters, MarkupMatchesJinja2) {
  static const JinjaCase kCases[] = {
      {R"T({{ "<a>"|safe + "<b>" }} {{ "<a>" + "<b>"|safe }} {{ "<a>"|safe ~ "<b>" }} {{ ("<a>"|safe) * 2 }} {{ "<a>"|safe|e }} {{ "<a>"|e|e }} {{ "<a>"|forceescape|forceescape }})T",
       R"T(<a>&lt;b&gt; &lt;a&gt;<b> <a><b> <a><a> <a> &lt;a&gt; &amp;lt;a&amp;gt;)T"},
      {R"T({{ ("%s<" | safe) % "<x>" }} {{ "%s<"|safe|format("<x>") }} {{ ("<a> "|safe).strip() + "<" }} {{ ("<a>"|safe|upper) + "&" }} {{ ("<a>"|safe|trim) + "&" }} {{ "<a>"|safe|replace("a", "&") }})T",
       R"T(&lt;x&gt;< &lt;x&gt;< <a>&lt; <A>&amp; <a>&amp; <&>)T"},
      {R"T({{ ("{}<"|safe).format("&") }} {{ (","|safe).join(["<", ">"]) }} {{ ("a<b"|safe)[1] + "&" }} {{ ("<a>,b"|safe).split(",")[0] + "&" }})T",
       R"T(&amp;< &lt;,&gt; <&amp; <a>&amp;)T"},
      {R"T({% set x %}<{% endset %}{{ x + "<" }}{% macro m() %}<{% endmacro %}{{ m() + "<" }})T",
       R"T(<<<<)T"},
      {R"T({{ ("<a>"|safe|tojson) }} {{ {"k": "<"|safe}|tojson }} {{ "<"|safe == "<" }} {{ "<" in "<a>"|safe }} {{ ("<"|safe)|length }} {{ "<"|safe is string }})T",
       R"T("<a>" {"k": "<"} True True 1 True)T"},
      {R"T({{ "x"|safe + 1 }})T",
       nullptr},  // TypeError: unsupported operand type(s) for +: 'Markup' and 'int'
      {R"T({{ ("<a>"|safe|string) + "<" }} {{ ("<a>"|safe|indent(2)) + "<" }} {{ ("<a>"|safe|center(5)) + "<" }} {{ ("<a>"|safe|capitalize) + "<" }} {{ ("<a>"|safe|title) + "<" }} {{ ("<a>"|safe|lower) + "<" }})T",
       R"T(<a>&lt; <a>&lt;  <a> &lt; <a>&lt; <A>< <a>&lt;)T"},
      {R"T({{ (["<"]|join|safe) + "&" }} {{ (["<"|safe]|join) + "&" }} {{ ("<a>"|safe|default("")) + "&" }} {{ ("<a>"|safe|first) + "&" }})T",
       R"T(<&amp; <& <a>&amp; <&)T"},
      {R"T({{ ("a"|safe) + none|string }} {{ ("<a>"|safe).upper() + "&" }} {{ ("<a>"|safe).lstrip("<") + "&" }})T",
       R"T(aNone <A>&amp; a>&amp;)T"},
  };
  run_jinja_cases(kCases);
}

// Corner cases found by comparing random expressions with Jinja2.
TEST(JinjaFilters, UndefinedAndFalsyInputsMatchJinja2) {
  static const JinjaCase kCases[] = {
      {R"T({{ x|int }})T", nullptr},    // UndefinedError: 'x' is undefined
      {R"T({{ x|float }})T", nullptr},  // UndefinedError: 'x' is undefined
      {R"T({{ none|int }} {{ none|float }} {{ x|sum }} {{ x|sort }} {{ x|list }} {{ x|join }} {{ x|first }}| {{ x|wordcount }} {{ x|pprint }})T",
       R"T(0 0.0 0 [] []  | 0 Undefined)T"},
      {R"T({{ 1|indent }})T",
       nullptr},  // TypeError: unsupported operand type(s) for +=: 'int' and 'str'
      {R"T({{ 'é' % x }} {{ 'abc' % [1, 2] }} {{ '%s' % [1, 2] }})T", R"T(é abc [1, 2])T"},
      {R"T({{ 'abc' % 1 }})T",
       nullptr},  // TypeError: not all arguments converted during string formatting
      {R"T({{ (1 and 'é')|length }} {{ none|selectattr('a')|list }} {{ none|map('upper')|list }})T",
       R"T(1 [] [])T"},
  };
  run_jinja_cases(kCases);
}

TEST(JinjaFilters, UnknownFilterOnlyFailsWhenReached) {
  EXPECT_EQ(jinja_render("{% if false %}{{ x|nonexistent }}{% endif %}ok"), "ok");
  EXPECT_THROW(jinja_render("{{ 1|nonexistent }}"), TemplateError);
}

}  // namespace
}  // namespace lmx::testing
