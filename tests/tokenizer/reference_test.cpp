// SPDX-License-Identifier: MIT
// Every line of ../shared/tokenizers/*/reference.jsonl: ids with and without special
// tokens and the decoded text, exactly as Hugging Face tokenizers gives them.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "lmx/tokenizer/tokenizer.h"
#include "tests/shared_data.h"

namespace {

using json = nlohmann::json;

class ReferenceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ReferenceTest, MatchesHuggingFace) {
  LMX_REQUIRE_SHARED("tokenizers");
  auto dir = lmx::testing::shared_dir() / "tokenizers" / GetParam();
  auto tok = lmx::Tokenizer::load(dir);
  std::ifstream f(dir / "reference.jsonl");
  std::string line;
  int n = 0, bad = 0;
  while (std::getline(f, line)) {
    auto j = json::parse(line);
    std::string text = j["text"];
    auto ids = tok.encode(text, false);
    auto ids_special = tok.encode(text, true);
    auto want = j["ids"].get<std::vector<int32_t>>();
    auto want_special = j["ids_special"].get<std::vector<int32_t>>();
    std::string decoded = tok.decode(want, false);
    ++n;
    bool ok = ids == want && ids_special == want_special && decoded == j["decoded"];
    if (!ok && ++bad <= 5) {
      ADD_FAILURE() << GetParam() << " line " << j["i"] << " text " << json(text).dump()
                    << "\n got ids " << json(ids).dump() << "\nwant ids " << json(want).dump()
                    << "\n got special " << json(ids_special).dump() << "\nwant special "
                    << json(want_special).dump() << "\n got decoded " << json(decoded).dump()
                    << "\nwant decoded " << j["decoded"].dump();
    }
  }
  EXPECT_EQ(bad, 0) << "of " << n << " lines";
  EXPECT_GT(n, 0);
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, ReferenceTest,
                         ::testing::Values("llama3", "qwen3", "gemma3", "deepseek_v3", "gptoss",
                                           "llama2"));

}  // namespace
