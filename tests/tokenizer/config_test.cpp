// SPDX-License-Identifier: MIT
// tokenizer_config.json, chat templates and the stop-token set of a checkpoint folder.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "lmx/tokenizer/tokenizer.h"
#include "tests/shared_data.h"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

void write(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }

fs::path make_checkpoint() {
  fs::path dir = fs::temp_directory_path() / ("lmx_tok_config_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  json added = json::array();
  const char* names[] = {"<s>", "</s>", "<eot>", "<pad>"};
  for (int i = 0; i < 4; ++i)
    added.push_back({{"id", i},
                     {"content", names[i]},
                     {"special", true},
                     {"normalized", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"single_word", false}});
  json tok = {{"added_tokens", added},
              {"model",
               {{"type", "WordLevel"},
                {"unk_token", "<pad>"},
                {"vocab", {{"<s>", 0}, {"</s>", 1}, {"<eot>", 2}, {"<pad>", 3}, {"hi", 4}}}}},
              {"pre_tokenizer", {{"type", "WhitespaceSplit"}}}};
  write(dir / "tokenizer.json", tok.dump());
  write(dir / "tokenizer_config.json",
        json({{"bos_token", "<s>"},
              {"eos_token", {{"__type", "AddedToken"}, {"content", "</s>"}}},
              {"pad_token", nullptr},
              {"add_bos_token", true},
              {"chat_template", "{{ messages }}"}})
            .dump());
  write(dir / "config.json", R"({"eos_token_id": [1, 2], "bos_token_id": 0})");
  write(dir / "generation_config.json", R"({"eos_token_id": 3})");
  return dir;
}

TEST(TokenizerConfig, SpecialTokensAndStopSet) {
  fs::path dir = make_checkpoint();
  auto tok = lmx::Tokenizer::load(dir);
  EXPECT_EQ(tok.bos_id(), 0);
  EXPECT_EQ(tok.eos_id(), 1);
  EXPECT_EQ(tok.eos_ids(), (std::set<int32_t>{1, 2, 3}));
  EXPECT_EQ(tok.config().add_bos_token, true);
  EXPECT_FALSE(tok.config().add_eos_token.has_value());
  EXPECT_EQ(tok.chat_template(), "{{ messages }}");
  // chat_template.jinja beside tokenizer_config.json wins.
  write(dir / "chat_template.jinja", "JINJA");
  EXPECT_EQ(lmx::Tokenizer::load(dir / "tokenizer.json").chat_template(), "JINJA");
  fs::remove_all(dir);
}

TEST(TokenizerConfig, NamedTemplatesAndAddedTokenObjects) {
  LMX_REQUIRE_SHARED("tokenizers/deepseek_v3");
  auto tok = lmx::Tokenizer::load(lmx::testing::shared_dir() / "tokenizers" / "deepseek_v3");
  EXPECT_EQ(tok.bos_id(), 0);  // {"__type": "AddedToken", "content": ...}
  EXPECT_EQ(tok.eos_id(), 1);
  EXPECT_TRUE(tok.chat_template().has_value());
  fs::path dir = fs::temp_directory_path() / ("lmx_tok_named_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  write(
      dir / "tokenizer_config.json",
      R"({"chat_template": [{"name": "default", "template": "A"}, {"name": "tool_use", "template": "B"}]})");
  auto cfg = lmx::TokenizerConfig::load(dir);
  EXPECT_EQ(cfg.chat_templates.at("default"), "A");
  EXPECT_EQ(cfg.chat_templates.at("tool_use"), "B");
  fs::remove_all(dir);
}

TEST(TokenizerConfig, Llama3StopTokens) {
  LMX_REQUIRE_SHARED("tokenizers/llama3");
  auto tok = lmx::Tokenizer::load(lmx::testing::shared_dir() / "tokenizers" / "llama3");
  EXPECT_EQ(tok.eos_id(), 128001);  // <|end_of_text|>
  EXPECT_TRUE(tok.eos_ids().count(128001));
  EXPECT_EQ(tok.vocab_size(), 128256u);
}

TEST(TokenizerConfig, GgufSpecialIds) {
  LMX_REQUIRE_SHARED("llamacpp-vocab/ggml-vocab-llama-spm.gguf");
  auto tok = lmx::Tokenizer::load(lmx::testing::shared_dir() / "llamacpp-vocab" /
                                  "ggml-vocab-llama-spm.gguf");
  EXPECT_EQ(tok.bos_id(), 1);
  EXPECT_EQ(tok.eos_id(), 2);
  EXPECT_EQ(tok.encode("Hello world", true), (std::vector<int32_t>{1, 15043, 3186}));
  // llama.cpp's detokenizer: a leading BOS that is skipped keeps the next piece's space.
  EXPECT_EQ(tok.decode(tok.encode("Hello world", true), true), " Hello world");
  EXPECT_EQ(tok.decode(tok.encode("Hello world", false), true), "Hello world");
  EXPECT_THROW(lmx::Tokenizer::load(lmx::testing::shared_dir() / "llamacpp-vocab" /
                                    "ggml-vocab-gpt-2.gguf.inp"),
               lmx::TokenizerError);
}

}  // namespace
