// SPDX-License-Identifier: MIT
// Pipelines beyond the six shipped tokenizers, checked against ids from the Rust
// `tokenizers` library (tests/tokenizer/data/differential.jsonl, made with
// ../shared/tools/tokref.mjs on the same JSON): a BERT WordPiece tokenizer and a Unigram
// tokenizer built from GGUF vocabularies, and shipped models with other normalizers and
// pre-tokenizers swapped in.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "lmx/tokenizer/gguf_vocab.h"
#include "lmx/tokenizer/tokenizer.h"
#include "tests/shared_data.h"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

json read_json(const fs::path& p) {
  std::ifstream f(p);
  return json::parse(f);
}

json added(int id, const std::string& content, bool special = true) {
  return {{"id", id},        {"content", content},     {"single_word", false}, {"lstrip", false},
          {"rstrip", false}, {"normalized", !special}, {"special", special}};
}

json special_template(const std::vector<std::pair<std::string, int>>& before,
                      const std::vector<std::pair<std::string, int>>& after) {
  json single = json::array(), specials = json::object();
  auto add = [&](const std::pair<std::string, int>& t) {
    single.push_back({{"SpecialToken", {{"id", t.first}, {"type_id", 0}}}});
    specials[t.first] = {{"id", t.first}, {"ids", {t.second}}, {"tokens", {t.first}}};
  };
  for (const auto& t : before) add(t);
  single.push_back({{"Sequence", {{"id", "A"}, {"type_id", 0}}}});
  for (const auto& t : after) add(t);
  return {{"type", "TemplateProcessing"},
          {"single", single},
          {"pair", json::array()},
          {"special_tokens", specials}};
}

// BERT (uncased) from the WPM vocabulary of ggml-vocab-bert-bge.gguf.
json bert(const fs::path& shared) {
  auto kv = lmx::tok::read_gguf_metadata(
      (shared / "llamacpp-vocab" / "ggml-vocab-bert-bge.gguf").string());
  json vocab = json::object();
  const auto& tokens = kv.at("tokenizer.ggml.tokens").strings;
  for (size_t i = 0; i < tokens.size(); ++i) {
    std::string t = tokens[i];
    if (t.rfind("\xE2\x96\x81", 0) == 0)
      t = t.substr(3);
    else if (!(t.front() == '[' && t.back() == ']'))
      t = "##" + t;
    if (!vocab.contains(t)) vocab[t] = i;
  }
  return {{"added_tokens",
           {added(0, "[PAD]"), added(100, "[UNK]"), added(101, "[CLS]"), added(102, "[SEP]"),
            added(103, "[MASK]")}},
          {"normalizer",
           {{"type", "BertNormalizer"},
            {"clean_text", true},
            {"handle_chinese_chars", true},
            {"strip_accents", nullptr},
            {"lowercase", true}}},
          {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
          {"post_processor", special_template({{"[CLS]", 101}}, {{"[SEP]", 102}})},
          {"decoder", {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}},
          {"model",
           {{"type", "WordPiece"},
            {"unk_token", "[UNK]"},
            {"continuing_subword_prefix", "##"},
            {"max_input_chars_per_word", 100},
            {"vocab", vocab}}}};
}

// A Unigram model over ggml-vocab-llama-spm.gguf's pieces and scores, NFKC, Metaspace.
json unigram(const fs::path& shared) {
  auto kv = lmx::tok::read_gguf_metadata(
      (shared / "llamacpp-vocab" / "ggml-vocab-llama-spm.gguf").string());
  const auto& tokens = kv.at("tokenizer.ggml.tokens").strings;
  const auto& scores = kv.at("tokenizer.ggml.scores").numbers;
  json pieces = json::array();
  for (size_t i = 0; i < tokens.size(); ++i)
    pieces.push_back({tokens[i], i >= 3 && i < 259 ? -30.0 : (double)(float)scores[i]});
  json meta = {{"type", "Metaspace"},
               {"replacement", "\u2581"},
               {"prepend_scheme", "first"},
               {"split", true}};
  return {
      {"added_tokens",
       {added(0, "<unk>"), added(1, "<s>"), added(2, "</s>"), added(29872, "\u2581<mask>", false)}},
      {"normalizer",
       {{"type", "Sequence"},
        {"normalizers",
         {{{"type", "NFKC"}},
          {{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", " "}}}}}},
      {"pre_tokenizer", meta},
      {"post_processor", special_template({}, {{"</s>", 2}})},
      {"decoder", {{"type", "Sequence"}, {"decoders", {{{"type", "ByteFallback"}}, meta}}}},
      {"model", {{"type", "Unigram"}, {"unk_id", 0}, {"vocab", pieces}, {"byte_fallback", true}}}};
}

json l2norm(const fs::path& shared) {
  json j = read_json(shared / "tokenizers" / "llama2" / "tokenizer.json");
  j["normalizer"] =
      json::parse(R"({"type":"Sequence","normalizers":[{"type":"NFKD"},{"type":"StripAccents"},
    {"type":"Lowercase"},{"type":"Replace","pattern":{"Regex":"\\s+"},"content":" "},
    {"type":"Strip","strip_left":true,"strip_right":true},{"type":"Prepend","prepend":"\u2581"},
    {"type":"Replace","pattern":{"String":" "},"content":"\u2581"}]})");
  json hello = added(32000, "hello", false);
  hello["single_word"] = true;
  json sep = added(32001, "<sep>", true);
  sep["lstrip"] = sep["rstrip"] = true;
  j["added_tokens"].push_back(hello);
  j["added_tokens"].push_back(sep);
  j["model"]["vocab"]["hello-x"] = 32000;
  j["model"]["vocab"]["<sep>"] = 32001;
  return j;
}

json l3pre(const fs::path& shared) {
  json j = read_json(shared / "tokenizers" / "llama3" / "tokenizer.json");
  j["pre_tokenizer"] = json::parse(R"({"type":"Sequence","pretokenizers":[
    {"type":"Punctuation","behavior":"Contiguous"},{"type":"Digits","individual_digits":true},
    {"type":"Split","pattern":{"String":" "},"behavior":"MergedWithNext","invert":false},
    {"type":"Split","pattern":{"Regex":"\\w+"},"behavior":"Removed","invert":true},
    {"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true}]})");
  j["post_processor"] = json::parse(R"({"type":"RobertaProcessing","sep":["<|end_of_text|>",128001],
    "cls":["<|begin_of_text|>",128000],"trim_offsets":true,"add_prefix_space":true})");
  return j;
}

json gemma(const fs::path& shared, bool whitespace) {
  json j = read_json(shared / "tokenizers" / "gemma3" / "tokenizer.json");
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = whitespace ? json::parse(R"({"type":"Whitespace"})")
                                  : json::parse(R"({"type":"Sequence","pretokenizers":[
    {"type":"WhitespaceSplit"},{"type":"CharDelimiterSplit","delimiter":"-"},
    {"type":"Split","pattern":{"Regex":"[aeiou]"},"behavior":"MergedWithPrevious","invert":false}]})");
  return j;
}

class DifferentialTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DifferentialTest, MatchesRustTokenizers) {
  LMX_REQUIRE_SHARED("tokenizers");
  LMX_REQUIRE_SHARED("llamacpp-vocab");
  auto shared = lmx::testing::shared_dir();
  const std::string name = GetParam();
  json spec = name == "bert"      ? bert(shared)
              : name == "unigram" ? unigram(shared)
              : name == "l2norm"  ? l2norm(shared)
              : name == "l3pre"   ? l3pre(shared)
                                  : gemma(shared, name == "gemmaws");
  auto tok = lmx::Tokenizer::from_json(spec.dump(), name);
  std::ifstream f(fs::path(LMX_SOURCE_DIR) / "tests" / "tokenizer" / "data" / "differential.jsonl");
  std::string line;
  int n = 0, bad = 0;
  while (std::getline(f, line)) {
    auto j = json::parse(line);
    std::string text = j["text"];
    const json& want = j[name];
    auto ids = tok.encode(text, false);
    auto ids_special = tok.encode(text, true);
    auto decoded = tok.decode(want[0].get<std::vector<int32_t>>());
    ++n;
    if ((ids != want[0] || ids_special != want[1] || decoded != want[2]) && ++bad <= 3)
      ADD_FAILURE() << name << " " << json(text).dump() << "\n got " << json(ids).dump()
                    << "\nwant " << want[0].dump() << "\n got special " << json(ids_special).dump()
                    << "\nwant " << want[1].dump() << "\n got text " << json(decoded).dump()
                    << "\nwant " << want[2].dump();
  }
  EXPECT_GT(n, 90);
  EXPECT_EQ(bad, 0) << "of " << n;
}

INSTANTIATE_TEST_SUITE_P(Pipelines, DifferentialTest,
                         ::testing::Values("bert", "unigram", "l2norm", "l3pre", "gemmapre",
                                           "gemmaws"));

}  // namespace
