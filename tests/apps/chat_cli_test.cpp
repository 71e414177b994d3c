// SPDX-License-Identifier: MIT
// lmx chat with piped stdin, and lmx cache-prompt + generate --prompt-cache-file.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "tests/fixtures.h"

namespace {

std::string run(const std::string& cmd, int* status) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen((cmd + " 2>&1").c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p.get())) > 0) out.append(buf.data(), n);
  *status = WEXITSTATUS(pclose(p.release()));
  return out;
}

std::string lmx_bin() { return lmx::testing::lmx_binary(); }

}  // namespace

TEST(ChatCli, PipedConversationWithCommands) {
  int status = 0;
  // The default model ships in the repository.
  std::string out = run("printf 'In the beginning\\nh\\nAnd then?\\nr\\nHello\\nq\\n' | " + lmx_bin() +
                            " chat --max-tokens 8",
                        &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("[INFO] Starting chat session"), std::string::npos) << out;
  EXPECT_NE(out.find("'q' to exit"), std::string::npos);
  // Three turns, each with its statistics line.
  size_t turns = 0;
  for (size_t at = out.find("prompt tokens"); at != std::string::npos;
       at = out.find("prompt tokens", at + 1))
    ++turns;
  EXPECT_EQ(turns, 3u) << out;
}

TEST(CachePromptCli, SavedPrefixGivesTheSameContinuation) {
  LMX_REQUIRE_SHARED("models/stories260K/hf");
  auto model = (lmx::testing::shared_dir() / "models/stories260K/hf").string();
  auto file = (std::filesystem::temp_directory_path() / "lmx_cli_prompt_cache.safetensors").string();
  int status = 0;
  std::string full = run(lmx_bin() + " generate --model " + model +
                             " --prompt 'Once upon a time, there was a little girl named Lily. She'"
                             " --max-tokens 16 --ignore-chat-template --json",
                         &status);
  ASSERT_EQ(status, 0) << full;
  std::string saved = run(lmx_bin() + " cache-prompt --model " + model +
                              " --prompt 'Once upon a time, there was a little girl named Lily.'"
                              " --ignore-chat-template --prompt-cache-file " + file,
                          &status);
  ASSERT_EQ(status, 0) << saved;
  std::string cont = run(lmx_bin() + " generate --prompt-cache-file " + file +
                             " --prompt ' She' --max-tokens 16 --ignore-chat-template --json",
                         &status);
  ASSERT_EQ(status, 0) << cont;
  auto a = nlohmann::json::parse(full.substr(full.find('{')));
  auto b = nlohmann::json::parse(cont.substr(cont.find('{')));
  EXPECT_EQ(a["tokens"], b["tokens"]);
  std::filesystem::remove(file);
}
