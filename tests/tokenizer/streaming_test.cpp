// SPDX-License-Identifier: MIT
// The streaming detokenizer: its pieces concatenate to decode(all ids), and it holds
// back incomplete UTF-8.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "lmx/tokenizer/tokenizer.h"
#include "tests/shared_data.h"

namespace {

using json = nlohmann::json;

class StreamingTest : public ::testing::TestWithParam<std::string> {};

TEST_P(StreamingTest, ConcatenationEqualsDecode) {
  LMX_REQUIRE_SHARED("tokenizers");
  auto dir = lmx::testing::shared_dir() / "tokenizers" / GetParam();
  auto tok = lmx::Tokenizer::load(dir);
  std::ifstream f(dir / "reference.jsonl");
  std::string line;
  int n = 0;
  while (std::getline(f, line) && n < 60) {
    auto ids = json::parse(line)["ids_special"].get<std::vector<int32_t>>();
    for (bool skip : {false, true}) {
      lmx::StreamingDetokenizer stream(tok, skip);
      std::string text;
      for (int32_t id : ids) text += stream.add(id);
      text += stream.finish();
      ASSERT_EQ(text, tok.decode(ids, skip)) << GetParam() << " line " << n;
    }
    ++n;
  }
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, StreamingTest,
                         ::testing::Values("llama3", "llama2", "gemma3", "qwen3"));

TEST(Streaming, HoldsBackIncompleteUtf8AndLeadingSpace) {
  LMX_REQUIRE_SHARED("tokenizers/llama2");
  auto tok = lmx::Tokenizer::load(lmx::testing::shared_dir() / "tokenizers" / "llama2");
  // "😀" is four byte-fallback tokens in this vocabulary.
  auto ids = tok.encode("a \xF0\x9F\x98\x80 b");
  lmx::StreamingDetokenizer stream(tok);
  std::vector<std::string> parts;
  for (int32_t id : ids) parts.push_back(stream.add(id));
  parts.push_back(stream.finish());
  std::string all;
  for (const auto& p : parts) {
    all += p;
    // No piece splits a UTF-8 sequence (which would decode as U+FFFD).
    EXPECT_EQ(p.find("\xEF\xBF\xBD"), std::string::npos) << p;
    if (!p.empty()) EXPECT_NE((unsigned char)p.front() & 0xC0, 0x80u) << p;
  }
  EXPECT_EQ(all, "a \xF0\x9F\x98\x80 b");
  EXPECT_EQ(parts.front(), "a");  // the first token's leading space is stripped
}

}  // namespace
