// SPDX-License-Identifier: MIT
// WordPiece, Unigram, WordLevel and BPE options, added tokens and post-processors, on
// small hand-made tokenizer.json files.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lmx/tokenizer/tokenizer.h"

namespace {

using json = nlohmann::json;
using Ids = std::vector<int32_t>;

json added(int id, const char* content, bool special = true) {
  return {{"id", id},        {"content", content},  {"single_word", false}, {"lstrip", false},
          {"rstrip", false}, {"normalized", false}, {"special", special}};
}

TEST(WordPiece, BertPipeline) {
  json j = {{"added_tokens", {added(0, "[UNK]"), added(1, "[CLS]"), added(2, "[SEP]")}},
            {"normalizer",
             {{"type", "BertNormalizer"},
              {"lowercase", true},
              {"strip_accents", nullptr},
              {"clean_text", true},
              {"handle_chinese_chars", true}}},
            {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
            {"post_processor",
             {{"type", "BertProcessing"}, {"sep", {"[SEP]", 2}}, {"cls", {"[CLS]", 1}}}},
            {"decoder", {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}},
            {"model",
             {{"type", "WordPiece"},
              {"unk_token", "[UNK]"},
              {"continuing_subword_prefix", "##"},
              {"max_input_chars_per_word", 100},
              {"vocab",
               {{"[UNK]", 0},
                {"[CLS]", 1},
                {"[SEP]", 2},
                {"hello", 3},
                {"world", 4},
                {"un", 5},
                {"##aff", 6},
                {"##able", 7},
                {",", 8},
                {"!", 9},
                {"cafe", 10}}}}}};
  auto tok = lmx::Tokenizer::from_json(j.dump());
  EXPECT_EQ(tok.encode("Hello, World! unaffable Caf\xC3\xA9", false),
            (Ids{3, 8, 4, 9, 5, 6, 7, 10}));
  EXPECT_EQ(tok.encode("hello", true), (Ids{1, 3, 2}));
  EXPECT_EQ(tok.encode("xyz unaffx", false), (Ids{0, 0}));  // a word fails as a whole
  EXPECT_EQ(tok.decode(Ids{3, 8, 4, 9, 5, 6, 7}), "hello, world! unaffable");
  EXPECT_EQ(tok.decode(Ids{1, 3, 2}, true), "hello");
}

TEST(Unigram, ViterbiAndByteFallback) {
  json vocab = json::array({{"<unk>", 0.0},
                            {"\u2581", -2.0},
                            {"\u2581hello", -1.0},
                            {"\u2581he", -3.0},
                            {"llo", -3.0},
                            {"h", -4.0},
                            {"e", -4.0},
                            {"l", -4.0},
                            {"o", -4.0},
                            {"<0x5A>", -5.0},
                            {"\u2581world", -1.5}});
  json j = {
      {"added_tokens", {added(0, "<unk>")}},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "Metaspace"},
        {"replacement", "\u2581"},
        {"prepend_scheme", "always"},
        {"split", true}}},
      {"post_processor", nullptr},
      {"decoder", {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "always"}}},
      {"model", {{"type", "Unigram"}, {"unk_id", 0}, {"vocab", vocab}, {"byte_fallback", true}}}};
  auto tok = lmx::Tokenizer::from_json(j.dump());
  EXPECT_EQ(tok.encode("hello world"), (Ids{2, 10}));
  EXPECT_EQ(tok.encode("hello Z"), (Ids{2, 1, 9}));
  EXPECT_EQ(tok.encode("hellQ"), (Ids{3, 7, 7, 0}));  // Q has no byte token: unknown
  EXPECT_EQ(tok.decode(Ids{2, 10}), "hello world");
}

TEST(WordLevel, WhitespaceVocabulary) {
  json j = {{"model",
             {{"type", "WordLevel"},
              {"unk_token", "[UNK]"},
              {"vocab", {{"[UNK]", 0}, {"the", 1}, {"cat", 2}, {".", 3}}}}},
            {"pre_tokenizer", {{"type", "Whitespace"}}}};
  auto tok = lmx::Tokenizer::from_json(j.dump());
  EXPECT_EQ(tok.encode("the cat sat."), (Ids{1, 2, 0, 3}));
  EXPECT_EQ(tok.decode(Ids{1, 2}), "the cat");  // no decoder: tokens joined by spaces
}

json bpe_model(json extra = json::object()) {
  json m = {
      {"type", "BPE"},
      {"vocab", {{"<unk>", 0}, {"a", 1}, {"b", 2}, {"c", 3}, {"ab", 4}, {"abc", 5}, {"bc", 6}}},
      {"merges", json::array({"a b", json::array({"ab", "c"})})}};
  m.update(extra);
  return m;
}

TEST(Bpe, MergesUnknownsAndIgnoreMerges) {
  auto tok = lmx::Tokenizer::from_json(json({{"model", bpe_model()}}).dump());
  EXPECT_EQ(tok.encode("abc"), (Ids{5}));
  EXPECT_EQ(tok.encode("bca"), (Ids{2, 3, 1}));  // "bc" is in the vocab but is not a merge
  EXPECT_EQ(tok.encode("axxb"), (Ids{4}));       // no unk_token: unknown characters vanish
  auto unk = lmx::Tokenizer::from_json(
      json({{"model", bpe_model({{"unk_token", "<unk>"}, {"fuse_unk", true}})}}).dump());
  EXPECT_EQ(unk.encode("axxb"), (Ids{1, 0, 2}));
  auto nofuse = lmx::Tokenizer::from_json(
      json({{"model", bpe_model({{"unk_token", "<unk>"}, {"fuse_unk", false}})}}).dump());
  EXPECT_EQ(nofuse.encode("axxb"), (Ids{1, 0, 0, 2}));
  auto ignore =
      lmx::Tokenizer::from_json(json({{"model", bpe_model({{"ignore_merges", true}})}}).dump());
  EXPECT_EQ(ignore.encode("bc"), (Ids{6}));
}

TEST(Bpe, SubwordPrefixAndSuffix) {
  json m = {{"type", "BPE"},
            {"continuing_subword_prefix", "##"},
            {"end_of_word_suffix", "</w>"},
            {"vocab", {{"a", 0}, {"##b", 1}, {"##c</w>", 2}, {"ab", 3}, {"abc</w>", 4}}},
            {"merges", json::array({"a ##b", "ab ##c</w>"})}};
  auto tok = lmx::Tokenizer::from_json(
      json({{"model", m}, {"decoder", {{"type", "BPEDecoder"}, {"suffix", "</w>"}}}}).dump());
  EXPECT_EQ(tok.encode("abc"), (Ids{4}));
  EXPECT_EQ(tok.decode(Ids{4, 4}), "abc abc");
}

TEST(AddedTokens, LongestFirstStripAndSingleWord) {
  json a = added(7, "<a>");
  json ab = added(8, "<a><b>");
  json mask = added(9, "<mask>");
  mask["lstrip"] = true;
  mask["rstrip"] = true;
  json word = added(10, "cc", false);
  word["single_word"] = true;
  json j = {{"added_tokens", {a, ab, mask, word}},
            {"model", bpe_model({{"unk_token", "<unk>"}, {"fuse_unk", true}})},
            {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
            {"decoder", {{"type", "Fuse"}}}};
  auto tok = lmx::Tokenizer::from_json(j.dump());
  EXPECT_EQ(tok.encode("<a><b>c<a>"), (Ids{8, 3, 7}));
  EXPECT_EQ(tok.encode("c  <mask>  a"), (Ids{3, 9, 1}));
  EXPECT_EQ(tok.encode("cc acc"), (Ids{10, 1, 3, 3}));  // "cc" inside "acc" is no single word
  EXPECT_TRUE(tok.is_special(8));
  EXPECT_FALSE(tok.is_special(10));
  EXPECT_EQ(tok.decode(Ids{8, 3}, false), "<a><b>c");
  EXPECT_EQ(tok.decode(Ids{8, 3}, true), "c");
  EXPECT_EQ(tok.token_to_id("<mask>"), 9);
  EXPECT_EQ(tok.id_to_token(5), "abc");
  EXPECT_EQ(tok.vocab_size(), 11u);
}

TEST(PostProcessors, TemplateAndRoberta) {
  json tmpl = {{"type", "TemplateProcessing"},
               {"single",
                {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                 {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                 {{"SpecialToken", {{"id", "</s>"}, {"type_id", 0}}}}}},
               {"special_tokens",
                {{"<s>", {{"id", "<s>"}, {"ids", {11}}, {"tokens", {"<s>"}}}},
                 {"</s>", {{"id", "</s>"}, {"ids", {12}}, {"tokens", {"</s>"}}}}}}};
  auto t =
      lmx::Tokenizer::from_json(json({{"model", bpe_model()}, {"post_processor", tmpl}}).dump());
  EXPECT_EQ(t.encode("ab", true), (Ids{11, 4, 12}));
  EXPECT_EQ(t.encode("ab", false), (Ids{4}));
  json roberta = {{"type", "RobertaProcessing"}, {"sep", {"</s>", 2}}, {"cls", {"<s>", 0}}};
  auto r =
      lmx::Tokenizer::from_json(json({{"model", bpe_model()}, {"post_processor", roberta}}).dump());
  EXPECT_EQ(r.encode("ab", true), (Ids{0, 4, 2}));
}

TEST(Decoders, ByteFallbackFuseStripCtc) {
  json m = {{"type", "BPE"},
            {"byte_fallback", true},
            {"vocab", {{"<0xE2>", 0}, {"<0x82>", 1}, {"<0xAC>", 2}, {"\u2581a", 3}, {"<pad>", 4}}},
            {"merges", json::array()}};
  json dec = {{"type", "Sequence"},
              {"decoders",
               {{{"type", "Replace"}, {"pattern", {{"String", "\u2581"}}}, {"content", " "}},
                {{"type", "ByteFallback"}},
                {{"type", "Fuse"}},
                {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}};
  auto tok = lmx::Tokenizer::from_json(json({{"model", m}, {"decoder", dec}}).dump());
  EXPECT_EQ(tok.decode(Ids{3, 0, 1, 2}), "a\xE2\x82\xAC");  // euro sign from bytes
  EXPECT_EQ(tok.decode(Ids{0, 1, 3}),
            "\xEF\xBF\xBD\xEF\xBF\xBD a");  // invalid: one U+FFFD per byte
  EXPECT_EQ(tok.encode("\xE2\x82\xAC"), (Ids{0, 1, 2}));
  json ctc = {
      {"type", "CTC"}, {"pad_token", "<pad>"}, {"word_delimiter_token", "|"}, {"cleanup", true}};
  json cm = {{"type", "WordLevel"},
             {"unk_token", "<pad>"},
             {"vocab", {{"<pad>", 0}, {"h", 1}, {"i", 2}, {"|", 3}}}};
  auto c = lmx::Tokenizer::from_json(json({{"model", cm}, {"decoder", ctc}}).dump());
  EXPECT_EQ(c.decode(Ids{1, 1, 0, 2, 3, 1, 0, 1}), "hi hh");
}

TEST(Errors, MessagesNameTheKey) {
  try {
    lmx::Tokenizer::from_json(R"({"model":{"type":"BPE","vocab":{}},"normalizer":{"type":"Zzz"}})",
                              "x/tokenizer.json");
    FAIL();
  } catch (const lmx::TokenizerError& e) {
    EXPECT_NE(std::string(e.what()).find("x/tokenizer.json: normalizer"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(lmx::Tokenizer::from_json("{not json"), lmx::TokenizerError);
  EXPECT_THROW(lmx::Tokenizer::load("/nonexistent/tokenizer.json"), lmx::TokenizerError);
}

}  // namespace
