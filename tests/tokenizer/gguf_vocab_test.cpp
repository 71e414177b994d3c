// SPDX-License-Identifier: MIT
// llama.cpp's vocabulary test vectors (../shared/llamacpp-vocab/*.gguf with .inp/.out):
// ids without special tokens, exactly as llama.cpp's test-tokenizer-0 checks them. The
// vectors whose GGUF is absent are checked against the matching tokenizer.json.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "lmx/tokenizer/tokenizer.h"
#include "tests/shared_data.h"

namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs every vector of `vectors` (.inp/.out prefix) through `tok`; returns failures.
int check_vectors(const lmx::Tokenizer& tok, const fs::path& vectors, int* total) {
  std::string inp = slurp(vectors.string() + ".inp");
  std::ifstream out(vectors.string() + ".out");
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  for (size_t pos = 0; pos < inp.size();) {
    size_t next = inp.find(sep, pos);
    if (next == std::string::npos) {
      texts.push_back(inp.substr(pos));
      break;
    }
    texts.push_back(inp.substr(pos, next - pos));
    pos = next + sep.size();
  }
  int bad = 0;
  std::string line;
  for (size_t i = 0; i < texts.size() && std::getline(out, line); ++i) {
    std::vector<int32_t> want;
    std::istringstream ls(line);
    for (int32_t id; ls >> id;) want.push_back(id);
    auto got = tok.encode(texts[i], false);
    ++*total;
    if (got != want) {
      std::string g, w;
      for (auto id : got) g += " " + std::to_string(id);
      for (auto id : want) w += " " + std::to_string(id);
      if (++bad <= 3)
        ADD_FAILURE() << vectors.filename() << " #" << i << " '" << texts[i] << "'\n got" << g
                      << "\nwant" << w;
    }
  }
  return bad;
}

class GgufVocabTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GgufVocabTest, MatchesLlamaCpp) {
  LMX_REQUIRE_SHARED("llamacpp-vocab");
  auto dir = lmx::testing::shared_dir() / "llamacpp-vocab";
  auto gguf = dir / ("ggml-vocab-" + GetParam() + ".gguf");
  if (!fs::exists(gguf)) GTEST_SKIP() << gguf << " is absent";
  auto tok = lmx::Tokenizer::load(gguf);
  int total = 0;
  EXPECT_EQ(check_vectors(tok, gguf, &total), 0) << "of " << total;
  EXPECT_GT(total, 0);
}

INSTANTIATE_TEST_SUITE_P(Vocabs, GgufVocabTest,
                         ::testing::Values("bert-bge", "deepseek-coder", "deepseek-llm", "falcon",
                                           "gpt-2", "llama-spm", "mpt", "phi-3", "refact",
                                           "starcoder"));

// Vectors whose GGUF is too large to ship, against the same vocabulary's tokenizer.json.
TEST(GgufVocabVectors, Llama3AndQwen2ViaTokenizerJson) {
  LMX_REQUIRE_SHARED("llamacpp-vocab");
  LMX_REQUIRE_SHARED("tokenizers");
  auto shared = lmx::testing::shared_dir();
  int total = 0;
  auto llama3 = lmx::Tokenizer::load(shared / "tokenizers" / "llama3" / "tokenizer.json");
  EXPECT_EQ(check_vectors(llama3, shared / "llamacpp-vocab" / "ggml-vocab-llama-bpe.gguf", &total),
            0);
  auto qwen = lmx::Tokenizer::load(shared / "tokenizers" / "qwen3" / "tokenizer.json");
  EXPECT_EQ(check_vectors(qwen, shared / "llamacpp-vocab" / "ggml-vocab-qwen2.gguf", &total), 0);
  EXPECT_EQ(total, 92);
}

}  // namespace

namespace {

// Random mixed strings through every GGUF vocabulary here (the two without .inp/.out
// vectors included), against node-llama-cpp 3.21.1: ids with special tokens parsed, and
// the text of the ids without (special tokens not rendered).
TEST(GgufVocabDifferential, MatchesLlamaCpp) {
  LMX_REQUIRE_SHARED("llamacpp-vocab");
  auto dir = lmx::testing::shared_dir() / "llamacpp-vocab";
  std::ifstream f(fs::path(LMX_SOURCE_DIR) / "tests" / "tokenizer" / "data" /
                  "llamacpp_differential.jsonl");
  std::vector<nlohmann::json> rows;
  for (std::string line; std::getline(f, line);) rows.push_back(nlohmann::json::parse(line));
  ASSERT_GT(rows.size(), 50u);
  for (const auto& [name, value] : rows[0].items()) {
    if (name == "text") continue;
    auto tok = lmx::Tokenizer::load(dir / ("ggml-vocab-" + name + ".gguf"));
    int bad = 0;
    for (const auto& row : rows) {
      const auto& want = row[name];
      auto ids = tok.encode(row["text"].get<std::string>(), false);
      auto plain = want[1].is_null() ? want[0] : want[1];
      auto text = tok.decode(plain.get<std::vector<int32_t>>(), true);
      if ((ids != want[0] || text != want[2]) && ++bad <= 2)
        ADD_FAILURE() << name << " " << row["text"].dump() << "\n got "
                      << nlohmann::json(ids).dump() << "\nwant " << want[0].dump() << "\n got text "
                      << nlohmann::json(text).dump() << "\nwant " << want[2].dump();
    }
    EXPECT_EQ(bad, 0) << name;
  }
}

}  // namespace
