// SPDX-License-Identifier: MIT
// A SentencePiece tokenizer.model loads as a tokenizer and agrees with the tokenizer.json
// transformers made from it (stories260K's tok512.model).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "lmx/tokenizer/tokenizer.h"
#include "tests/shared_data.h"

namespace {

using json = nlohmann::json;

TEST(SentencePieceModel, Tok512MatchesHfReference) {
  LMX_REQUIRE_SHARED("models/stories260K/tok512.model");
  auto root = lmx::testing::shared_dir() / "models" / "stories260K";
  auto spm = lmx::Tokenizer::load(root / "tok512.model");
  auto hf = lmx::Tokenizer::load(root / "hf" / "tokenizer.json");
  EXPECT_EQ(spm.vocab_size(), 512u);
  EXPECT_EQ(spm.bos_id(), 1);
  EXPECT_EQ(spm.eos_id(), 2);
  std::ifstream f(root / "reference" / "hf_tokenizer_tokref_tinystories800_plus_tricky.jsonl");
  std::string line;
  int n = 0, bad = 0;
  while (std::getline(f, line)) {
    auto j = json::parse(line);
    std::string text = j["text"];
    auto want = j["ids"].get<std::vector<int32_t>>();
    auto want_special = j["ids_special"].get<std::vector<int32_t>>();
    for (auto* t : {&spm, &hf}) {
      auto ids = t->encode(text, false);
      auto ids_special = t->encode(text, true);
      bool ok = ids == want && ids_special == want_special;
      if (j.contains("decoded")) ok = ok && t->decode(want) == j["decoded"].get<std::string>();
      if (!ok && ++bad <= 5)
        ADD_FAILURE() << (t == &spm ? "tok512.model" : "hf/tokenizer.json") << " line " << n << " "
                      << json(text).dump() << "\n got " << json(ids).dump() << "\nwant "
                      << json(want).dump();
    }
    ++n;
  }
  EXPECT_GT(n, 0);
  EXPECT_EQ(bad, 0) << "of " << n << " lines";
}

}  // namespace
