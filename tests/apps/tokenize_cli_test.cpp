// SPDX-License-Identifier: MIT
// lmx tokenize through the CLI: ids and decoded text for the reference tokenizers, and a
// clear error on bad input.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>

#include "tests/shared_data.h"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct Result {
  int status;
  std::string out;
};

// Runs `lmx tokenize ARGS` with `input` on stdin.
Result tokenize(const std::string& args, const std::string& input) {
  fs::path in = fs::temp_directory_path() / ("lmx_tokenize_in_" + std::to_string(::getpid()));
  std::ofstream(in, std::ios::binary) << input;
  std::string cmd =
      lmx::testing::lmx_binary() + " tokenize " + args + " < " + in.string() + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p.get())) > 0) out.append(buf.data(), n);
  int status = pclose(p.release());
  fs::remove(in);
  return {WEXITSTATUS(status), out};
}

class TokenizeCli : public ::testing::TestWithParam<std::string> {};

TEST_P(TokenizeCli, MatchesReference) {
  LMX_REQUIRE_SHARED("tokenizers");
  if (!fs::exists(lmx::testing::lmx_binary())) GTEST_SKIP() << "lmx binary is not built";
  auto dir = lmx::testing::shared_dir() / "tokenizers" / GetParam();
  std::ifstream f(dir / "reference.jsonl");
  std::vector<json> refs;
  std::string input, line;
  while (std::getline(f, line) && refs.size() < 40) {
    refs.push_back(json::parse(line));
    input += json(refs.back()["text"]).dump() + "\n";
  }
  for (bool special : {false, true}) {
    auto r = tokenize(
        "--model " + dir.string() + " --decode" + (special ? " --add-special-tokens" : ""), input);
    ASSERT_EQ(r.status, 0) << r.out;
    std::istringstream out(r.out);
    for (const auto& ref : refs) {
      ASSERT_TRUE(std::getline(out, line));
      auto j = json::parse(line);
      EXPECT_EQ(j["ids"], ref[special ? "ids_special" : "ids"]) << ref["text"];
      if (!special) {
        EXPECT_EQ(j["text"], ref["decoded"]) << ref["text"];
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, TokenizeCli, ::testing::Values("llama3", "llama2", "gemma3"));

TEST(TokenizeCliErrors, BadInputAndBadModel) {
  LMX_REQUIRE_SHARED("tokenizers/llama3");
  if (!fs::exists(lmx::testing::lmx_binary())) GTEST_SKIP() << "lmx binary is not built";
  auto model = (lmx::testing::shared_dir() / "tokenizers" / "llama3").string();
  auto r = tokenize("--model " + model, "\"ok\"\nnot json\n");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("{\"ids\":[564]}"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("line 2"), std::string::npos) << r.out;
  r = tokenize("--model /nonexistent/tokenizer.json", "\"x\"\n");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("/nonexistent"), std::string::npos) << r.out;
}

}  // namespace
