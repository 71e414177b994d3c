// SPDX-License-Identifier: MIT
// llama.cpp's vocabulary test vectors (../shared/llamacpp-vocab/*.gguf with .inp/.out):
// ids without special tokens, exactly as llama.cpp's test-tokenizer-0 checks them. The
// vectors whose GGUF is absent are checked against the matching tokenizer.json.
#include <gtest/gtest.h>

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
