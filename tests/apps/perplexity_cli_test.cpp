// SPDX-License-Identifier: MIT
// lmx perplexity and lmx benchmark through the CLI: stories260K's reference perplexity on
// TinyStories, the .jsonl dataset formats, the text output, and clear errors.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>

#include "tests/fixtures.h"

using lmx::testing::lmx_binary;

namespace {

struct Result {
  int status;
  std::string out;
};

Result run(const std::string& args) {
  std::string cmd = lmx_binary() + " " + args + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p.get())) > 0) out.append(buf.data(), n);
  int status = pclose(p.release());
  return {WEXITSTATUS(status), out};
}

nlohmann::json last_json(const std::string& out) {
  return nlohmann::json::parse(out.substr(out.rfind("\n{") == std::string::npos ? out.find('{')
                                                                                  : out.rfind("\n{") + 1));
}

}  // namespace

// The acceptance protocol of ../shared/models/stories260K/reference/
// ppl_tinystories_val_200k_first8k.json: 16 windows of 511 tokens, each after BOS.
TEST(PerplexityCli, Stories260KTinyStories) {
  LMX_REQUIRE_SHARED("models/stories260K/hf");
  LMX_REQUIRE_SHARED("text/tinystories_val_200k.txt");
  auto shared = lmx::testing::shared_dir();
  // The reference file starts with a line describing the model; the result is the JSON line.
  nlohmann::json ref;
  {
    std::ifstream f(shared / "models/stories260K/reference/ppl_tinystories_val_200k_first8k.json");
    std::string line;
    while (std::getline(f, line))
      if (!line.empty() && line[0] == '{') ref = nlohmann::json::parse(line);
  }
  ASSERT_TRUE(ref.contains("ppl"));
  std::string args = "perplexity --model " + (shared / "models/stories260K/hf").string() +
                     " --data " + (shared / "text/tinystories_val_200k.txt").string() +
                     " --sequence-length " + std::to_string(ref["ctx"].get<int>()) +
                     " --batch-size 4 --num-samples " + std::to_string(ref["chunks"].get<int>());
  auto r = run(args + " --json");
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = last_json(r.out);
  double want = ref["ppl"].get<double>();
  EXPECT_NEAR(j["perplexity"].get<double>(), want, 0.01 * want);
  EXPECT_EQ(j["tokens_scored"].get<int64_t>(), ref["tokens_scored"].get<int64_t>());
  EXPECT_NEAR(j["mean_nll"].get<double>(), ref["mean_nll"].get<double>(), 0.01);
  // Standard error as MLX-LM: ppl * std(losses) / sqrt(count), small but positive here.
  EXPECT_GT(j["standard_error"].get<double>(), 0.0);
  EXPECT_LT(j["standard_error"].get<double>(), 0.2);
  EXPECT_GT(j["tokens_per_second"].get<double>(), 0.0);
  // The text output.
  auto t = run(args);
  ASSERT_EQ(t.status, 0) << t.out;
  EXPECT_NE(t.out.find("Perplexity: 4.1"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("Tokens per second:"), std::string::npos) << t.out;
}

TEST(PerplexityCli, JsonlTextRecords) {
  LMX_REQUIRE_SHARED("models/stories260K/hf");
  auto dir = lmx::testing::shared_dir() / "models/stories260K/hf";
  auto path = std::filesystem::path(::testing::TempDir()) / "ppl_records.jsonl";
  {
    std::ofstream f(path);
    for (int i = 0; i < 6; ++i)
      f << R"({"text": "Once upon a time, there was a little girl named Lily. She liked to play in the park with her dog."})"
        << "\n";
  }
  auto r = run("perplexity --model " + dir.string() + " --data " + path.string() +
               " --sequence-length 32 --batch-size 2 --num-samples -1 --json");
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = last_json(r.out);
  EXPECT_GE(j["num_samples"].get<int>(), 2);
  EXPECT_EQ(j["tokens_scored"].get<int>(), j["num_samples"].get<int>() * 31);
  double ppl = j["perplexity"].get<double>();
  EXPECT_TRUE(std::isfinite(ppl) && ppl > 1.0 && ppl < 50.0) << ppl;
}

TEST(PerplexityCli, BadInputIsAOneLineError) {
  LMX_REQUIRE_SHARED("models/stories260K/hf");
  auto dir = lmx::testing::shared_dir() / "models/stories260K/hf";
  auto r = run("perplexity --model " + dir.string() + " --data /nonexistent.txt");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("lmx: error:"), std::string::npos) << r.out;
  auto path = std::filesystem::path(::testing::TempDir()) / "ppl_bad.jsonl";
  {
    std::ofstream f(path);
    f << R"({"foo": "bar"})" << "\n";
  }
  r = run("perplexity --model " + dir.string() + " --data " + path.string());
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("unknown record format"), std::string::npos) << r.out;
}

TEST(BenchmarkCli, ReportsSpeedAndMemory) {
  LMX_REQUIRE_SHARED("models/stories260K/hf");
  auto dir = lmx::testing::shared_dir() / "models/stories260K/hf";
  auto r = run("benchmark --model " + dir.string() + " -p 32 -g 8 -n 2 --json");
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = last_json(r.out);
  EXPECT_EQ(j["trials"].size(), 2u);
  EXPECT_GT(j["prompt_tps"].get<double>(), 0.0);
  EXPECT_GT(j["generation_tps"].get<double>(), 0.0);
  EXPECT_GT(j["peak_memory_gb"].get<double>(), 0.0);
  auto t = run("benchmark --model " + dir.string() + " -p 16 -g 4 -n 1");
  ASSERT_EQ(t.status, 0) << t.out;
  EXPECT_NE(t.out.find("Averages: prompt_tps="), std::string::npos) << t.out;
  auto b = run("benchmark --model " + dir.string() + " -b 2");
  EXPECT_NE(b.status, 0);
  EXPECT_NE(b.out.find("lmx: error:"), std::string::npos) << b.out;
}
