// SPDX-License-Identifier: MIT
// Normalizers and pre-tokenizers on hand-made tokenizer.json snippets.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lmx/tokenizer/error.h"
#include "lmx/tokenizer/normalizers.h"
#include "lmx/tokenizer/pre_tokenizers.h"

namespace {

using json = nlohmann::json;
using lmx::tok::Piece;

std::string norm(const char* spec, std::string s) {
  lmx::tok::make_normalizer(json::parse(spec))->normalize(s);
  return s;
}

std::vector<std::string> pre(const char* spec, std::string s, bool at_start = true) {
  std::vector<Piece> pieces = {{std::move(s), at_start}};
  lmx::tok::make_pre_tokenizer(json::parse(spec))->pre_tokenize(pieces);
  std::vector<std::string> out;
  for (auto& p : pieces) out.push_back(p.text);
  return out;
}

using V = std::vector<std::string>;

TEST(Normalizers, UnicodeForms) {
  EXPECT_EQ(norm(R"({"type":"NFD"})", "\xC3\xA9"), "e\xCC\x81");
  EXPECT_EQ(norm(R"({"type":"NFC"})", "e\xCC\x81"), "\xC3\xA9");
  EXPECT_EQ(norm(R"({"type":"NFKC"})", "\xEF\xAC\x81"), "fi");  // U+FB01 ligature
  EXPECT_EQ(norm(R"({"type":"NFKD"})", "\xC2\xB2"), "2");       // superscript two
}

TEST(Normalizers, CaseStripReplacePrepend) {
  EXPECT_EQ(norm(R"({"type":"Lowercase"})",
                 "\xC3\x80"
                 "B"),
            "\xC3\xA0"
            "b");
  EXPECT_EQ(norm(R"({"type":"Strip","strip_left":true,"strip_right":true})", " \t a b \n"), "a b");
  EXPECT_EQ(norm(R"({"type":"Strip","strip_left":false,"strip_right":true})", "  a  "), "  a");
  EXPECT_EQ(norm(R"({"type":"StripAccents"})", "e\xCC\x81"), "e");
  EXPECT_EQ(norm(R"({"type":"Replace","pattern":{"String":"a"},"content":"bc"})", "aXa"), "bcXbc");
  EXPECT_EQ(norm(R"({"type":"Replace","pattern":{"Regex":"\\s+"},"content":" "})", "a \t\n b"),
            "a b");
  EXPECT_EQ(norm(R"({"type":"Prepend","prepend":"\u2581"})", "x"), "\xE2\x96\x81x");
  EXPECT_EQ(norm(R"({"type":"Prepend","prepend":"\u2581"})", ""), "");
  EXPECT_EQ(norm(R"({"type":"Sequence","normalizers":[{"type":"Lowercase"},
                   {"type":"Replace","pattern":{"String":" "},"content":"_"}]})",
                 "A B"),
            "a_b");
}

TEST(Normalizers, Bert) {
  EXPECT_EQ(norm(R"({"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,
                   "strip_accents":null,"lowercase":true})",
                 "H\xC3\xA9llo\tWorld\xE4\xBD\xA0\x01"),
            "hello world \xE4\xBD\xA0 ");
  EXPECT_EQ(norm(R"({"type":"BertNormalizer","lowercase":false})", "H\xC3\xA9"), "H\xC3\xA9");
}

TEST(Normalizers, UnknownTypeThrows) {
  EXPECT_THROW(norm(R"({"type":"Nope"})", "x"), lmx::TokenizerError);
}

TEST(PreTokenizers, SplitBehaviors) {
  auto split = [](const char* behavior, bool invert = false) {
    std::string spec = std::string(R"({"type":"Split","pattern":{"String":"-"},"behavior":")") +
                       behavior + R"(","invert":)" + (invert ? "true" : "false") + "}";
    return pre(spec.c_str(), "a-b--c");
  };
  EXPECT_EQ(split("Removed"), (V{"a", "b", "c"}));
  EXPECT_EQ(split("Isolated"), (V{"a", "-", "b", "-", "-", "c"}));
  EXPECT_EQ(split("MergedWithPrevious"), (V{"a-", "b-", "-", "c"}));
  EXPECT_EQ(split("MergedWithNext"), (V{"a", "-b", "-", "-c"}));
  EXPECT_EQ(split("Contiguous"), (V{"a", "-", "b", "--", "c"}));
  EXPECT_EQ(split("Removed", true), (V{"-", "-", "-"}));
}

TEST(PreTokenizers, SplitRegexWithUnicodeProperties) {
  const char* spec =
      R"({"type":"Split","pattern":{"Regex":"(?i:'s|'t)|\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"},"behavior":"Isolated","invert":false})";
  EXPECT_EQ(pre(spec, "It'S 12345 caf\xC3\xA9!!"),
            (V{"It", "'S", " ", "123", "45", " ", "caf\xC3\xA9", "!!"}));
}

TEST(PreTokenizers, Metaspace) {
  const char* first =
      R"({"type":"Metaspace","replacement":"\u2581","prepend_scheme":"first","split":true})";
  EXPECT_EQ(pre(first, "hi there"), (V{"\xE2\x96\x81hi", "\xE2\x96\x81there"}));
  EXPECT_EQ(pre(first, "hi there", false), (V{"hi", "\xE2\x96\x81there"}));
  const char* never =
      R"({"type":"Metaspace","replacement":"\u2581","prepend_scheme":"never","split":false})";
  EXPECT_EQ(pre(never, "a b"), (V{"a\xE2\x96\x81"
                                  "b"}));
  const char* legacy = R"({"type":"Metaspace","replacement":"\u2581","add_prefix_space":true})";
  EXPECT_EQ(pre(legacy, "a"), (V{"\xE2\x96\x81"
                                 "a"}));
}

TEST(PreTokenizers, WhitespaceDigitsPunctuation) {
  EXPECT_EQ(pre(R"({"type":"Whitespace"})", "Hey, you!"), (V{"Hey", ",", "you", "!"}));
  EXPECT_EQ(pre(R"({"type":"WhitespaceSplit"})", "a  b\tc"), (V{"a", "b", "c"}));
  EXPECT_EQ(pre(R"({"type":"Digits","individual_digits":true})", "a123b"),
            (V{"a", "1", "2", "3", "b"}));
  EXPECT_EQ(pre(R"({"type":"Digits","individual_digits":false})", "a123b"), (V{"a", "123", "b"}));
  EXPECT_EQ(pre(R"({"type":"Punctuation","behavior":"Isolated"})", "hi!?"), (V{"hi", "!", "?"}));
  EXPECT_EQ(pre(R"({"type":"CharDelimiterSplit","delimiter":"_"})", "a_b__c"), (V{"a", "b", "c"}));
  EXPECT_EQ(pre(R"({"type":"BertPreTokenizer"})", "Hi, there!"), (V{"Hi", ",", "there", "!"}));
}

TEST(PreTokenizers, ByteLevel) {
  EXPECT_EQ(pre(R"({"type":"ByteLevel","add_prefix_space":true,"use_regex":true})", "hi there"),
            (V{"\xC4\xA0hi", "\xC4\xA0there"}));
  EXPECT_EQ(pre(R"({"type":"ByteLevel","add_prefix_space":false,"use_regex":false})", "a b\n"),
            (V{"a\xC4\xA0"
               "b\xC4\x8A"}));
}

}  // namespace
