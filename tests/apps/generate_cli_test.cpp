// SPDX-License-Identifier: MIT
// lmx generate through the CLI: fixtures' greedy continuations and top-5 log-probabilities,
// stories260K's reference text, and clear errors on bad input.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "tests/fixtures.h"

using lmx::testing::lmx_binary;

namespace {

struct Result {
  int status;
  std::string out;
};

Result run_cmd(const std::string& command) {
  std::string cmd = command + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p.get())) > 0) out.append(buf.data(), n);
  int status = pclose(p.release());
  return {WEXITSTATUS(status), out};
}

Result run(const std::string& args) { return run_cmd(lmx_binary() + " " + args); }

std::string join(const std::vector<int>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s;
}

const std::vector<std::string> kSupported = {
    "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text", "gemma3",
    "phi", "phi3", "starcoder2", "cohere", "olmo2", "granite", "stablelm", "gpt_neox",
    "gpt2", "smollm3", "glm4", "exaone4", "ernie4_5", "helium", "nemotron",
    "mixtral", "qwen2_moe", "qwen3_moe", "olmoe", "deepseek_v2", "deepseek_v3", "gpt_oss",
    "mamba", "mamba2", "lfm2", "qwen3_next"};

}  // namespace

class FixtureGenerate : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureGenerate, GreedyMatchesTransformers) {
  auto dir = lmx::testing::fixture_dir(GetParam());
  auto config = lmx::testing::read_json(dir / "config.json");
  std::string type = config.value("model_type", "");
  if (std::find(kSupported.begin(), kSupported.end(), type) == kSupported.end())
    GTEST_SKIP() << "model_type " << type << " is not supported yet";
  auto ref = lmx::testing::read_json(dir / "reference.json");
  auto ids = ref["input_ids"].get<std::vector<int>>();
  // The fixtures' greedy references do not stop at EOS.
  auto r = run("generate --model " + dir.string() + " --prompt-tokens " + join(ids) +
          " --dtype float32 --json --temp 0 --max-tokens 24 --top-logprobs 5 --ignore-eos");
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out.substr(r.out.find('{')));
  auto got = j["tokens"].get<std::vector<int>>();
  EXPECT_TRUE(lmx::testing::greedy_matches(got, ref)) << GetParam();
  // Top-5 at the first generated step equals the reference at the last prompt position.
  auto top = j["logprobs"][0];
  auto want_ids = ref["top5_ids"].back().get<std::vector<int>>();
  auto want_lp = ref["top5_logprobs"].back().get<std::vector<double>>();
  ASSERT_EQ(top.size(), 5u);
  for (size_t k = 0; k < 5; ++k) {
    EXPECT_NEAR(top[k]["logprob"].get<double>(), want_lp[k], 1e-3) << GetParam() << " rank " << k;
    if (k == 0 || std::abs(want_lp[k] - want_lp[k - 1]) > 1e-3)
      EXPECT_EQ(top[k]["id"].get<int>(), want_ids[k]) << GetParam() << " rank " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(HfTiny, FixtureGenerate,
                         ::testing::ValuesIn(lmx::testing::fixture_names()),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(FixtureGenerate);

TEST(GenerateCli, Stories260KGreedy) {
  LMX_REQUIRE_SHARED("models/stories260K/hf");
  auto dir = lmx::testing::shared_dir() / "models/stories260K";
  auto ref = lmx::testing::read_json(dir / "reference/hf_greedy_once_upon_a_time_32.json");
  auto r = run("generate --model " + (dir / "hf").string() +
               " --prompt 'Once upon a time' --max-tokens 32 --temp 0 --ignore-chat-template --json");
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out.substr(r.out.find('{')));
  EXPECT_EQ(j["tokens"].get<std::vector<int>>(), ref["generated_ids"].get<std::vector<int>>());
  EXPECT_EQ(j["prompt_tokens"].get<int>(), int(ref["prompt_ids"].size()));
}

TEST(GenerateCli, SeededSamplingIsReproducible) {
  LMX_REQUIRE_SHARED("models/stories260K/hf");
  auto dir = lmx::testing::shared_dir() / "models/stories260K/hf";
  std::string args = "generate --model " + dir.string() +
                     " --prompt 'Once upon a time' --max-tokens 24 --temp 0.9 --top-p 0.95 "
                     "--seed 7 --ignore-chat-template --json";
  auto a = run(args), b = run(args);
  ASSERT_EQ(a.status, 0) << a.out;
  auto ja = nlohmann::json::parse(a.out.substr(a.out.find('{')));
  auto jb = nlohmann::json::parse(b.out.substr(b.out.find('{')));
  EXPECT_EQ(ja["tokens"], jb["tokens"]);
  auto c = run("generate --model " + dir.string() +
               " --prompt 'Once upon a time' --max-tokens 24 --temp 0.9 --top-p 0.95 "
               "--seed 8 --ignore-chat-template --json");
  auto jc = nlohmann::json::parse(c.out.substr(c.out.find('{')));
  EXPECT_NE(ja["tokens"], jc["tokens"]) << "different seeds gave the same 24 tokens";
}

TEST(GenerateCli, BadInputIsAOneLineError) {
  auto r = run("generate --model /nonexistent/model --prompt hi");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("lmx: error:"), std::string::npos) << r.out;
  LMX_REQUIRE_SHARED("models/stories260K/hf");
  auto dir = lmx::testing::shared_dir() / "models/stories260K/hf";
  r = run("generate --model " + dir.string() + " --prompt hi --temp -1");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("temperature"), std::string::npos) << r.out;
  r = run("generate --model " + dir.string() + " --prompt-tokens 1,99999");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("outside the vocabulary"), std::string::npos) << r.out;
}

TEST(GenerateCli, RepoIdFromTheHuggingFaceCache) {
  // A model another tool downloaded: models--org--name/{refs/main, snapshots/<hash>/}.
  LMX_REQUIRE_SHARED("models/stories260K/hf");
  namespace fs = std::filesystem;
  auto src = lmx::testing::shared_dir() / "models/stories260K/hf";
  auto cache = fs::temp_directory_path() / "lmx_hf_cache_test";
  fs::remove_all(cache);
  std::string hash = "0123456789abcdef0123456789abcdef01234567";
  auto snap = cache / "models--karpathy--stories260K" / "snapshots" / hash;
  fs::create_directories(snap);
  fs::create_directories(cache / "models--karpathy--stories260K" / "refs");
  { std::ofstream(cache / "models--karpathy--stories260K" / "refs" / "main") << hash; }
  for (auto& e : fs::directory_iterator(src)) fs::create_symlink(e.path(), snap / e.path().filename());
  auto r = run_cmd("env HF_HUB_CACHE=" + cache.string() + " HF_HUB_OFFLINE=1 " + lmx_binary() +
               " generate --model karpathy/stories260K --prompt 'Once upon a time' --max-tokens 8"
               " --temp 0 --ignore-chat-template --json");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("\"tokens\":[432,383,286"), std::string::npos) << r.out;
  // Offline and not cached: a clear error, no network.
  r = run_cmd("env HF_HUB_CACHE=" + cache.string() + " HF_HUB_OFFLINE=1 " + lmx_binary() +
          " generate --model someone/missing --prompt hi");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("lmx: error:"), std::string::npos) << r.out;
  fs::remove_all(cache);
}

TEST(GenerateCli, ModelTooLargeForMemoryIsAnError) {
  // A sparse safetensors file that claims 64 GiB of weights (takes no disk space).
  LMX_REQUIRE_SHARED("fixtures/hf-tiny/llama/config.json");
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / "lmx_huge_model";
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(lmx::testing::fixture_dir("llama") / "config.json", dir / "config.json");
  fs::copy_file(lmx::testing::fixture_dir("llama") / "tokenizer.json", dir / "tokenizer.json");
  const uint64_t n = uint64_t(1) << 36;  // bytes
  std::string header = "{\"model.embed_tokens.weight\":{\"dtype\":\"F32\",\"shape\":[" +
                       std::to_string(n / 4 / 1024) + ",1024],\"data_offsets\":[0," +
                       std::to_string(n) + "]}}";
  while (header.size() % 8) header += ' ';
  {
    std::ofstream f(dir / "model.safetensors", std::ios::binary);
    uint64_t len = header.size();
    f.write(reinterpret_cast<const char*>(&len), 8);
    f << header;
  }
  fs::resize_file(dir / "model.safetensors", 8 + header.size() + n);
  auto r = run("generate --model " + dir.string() + " --prompt hi");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("needs"), std::string::npos) << r.out;
  fs::remove_all(dir);
}
