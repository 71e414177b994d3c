// SPDX-License-Identifier: MIT
// Chat templates as transformers' apply_chat_template(tokenize=False) renders them:
// loading from a checkpoint (tokenizer_config.json, chat_template.jinja, named templates)
// and rendering messages, tools and extra variables through the Jinja interpreter.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "lmx/tokenizer/jinja_interpreter.h"

namespace lmx {

// What one render receives.
struct ChatTemplateInputs {
  // [{"role": ..., "content": str | [parts]}, ...]; tool_calls' arguments may be objects.
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  // JSON-schema tool list and RAG documents. transformers renders absent ones as None
  // (defined); see only_given_variables.
  std::optional<nlohmann::ordered_json> tools;
  std::optional<nlohmann::ordered_json> documents;
  bool add_generation_prompt = false;
  // Render the last message open-ended: the output stops right after its content.
  bool continue_final_message = false;
  // Further template variables (enable_thinking, documents, date_string, bos_token, ...).
  // They override the special tokens from tokenizer_config.json.
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
  // Picks a named template ("default", "tool_use", "rag"); empty picks as transformers does.
  std::string template_name;
  // Leave absent tools/documents undefined instead of None, as the reference renderers
  // (chatref) do for conversation files; transformers defines them as None.
  bool only_given_variables = false;

  // From a conversation file's JSON (as in ../shared/chat-templates/conversations/): an
  // object with messages, tools, add_generation_prompt, template_name and any other keys,
  // which become template variables (continue_final_message too: the reference renderers
  // pass it through); a bare list is the messages. Variables absent from the file stay
  // undefined (only_given_variables).
  static ChatTemplateInputs from_json(const nlohmann::ordered_json& conversation);
};

// A checkpoint's chat template(s) plus the special tokens they see. Immutable; render
// from any thread.
class ChatTemplate {
 public:
  // One template with `special_tokens` ({"bos_token": "<s>", ...}) as variables.
  explicit ChatTemplate(const std::string& source,
                        nlohmann::ordered_json special_tokens = nlohmann::ordered_json::object());

  // Named templates ({"default": ..., "tool_use": ...}), e.g. from TokenizerConfig.
  ChatTemplate(const std::map<std::string, std::string>& templates,
               nlohmann::ordered_json special_tokens);

  // Loads from a checkpoint folder, a tokenizer_config.json or a .jinja file. The folder's
  // chat_template.jinja wins over tokenizer_config.json's chat_template, which may be a
  // string or a list of {name, template}. Raises std::runtime_error when none is found.
  static ChatTemplate load(const std::filesystem::path& path);

  // Renders as transformers' apply_chat_template(..., tokenize=False) does.
  // Raises TemplateError when the template raises, std::invalid_argument on bad inputs.
  std::string apply(const ChatTemplateInputs& inputs) const;

  // The template text used for these inputs.
  const std::string& source(const ChatTemplateInputs& inputs = {}) const;
  const nlohmann::ordered_json& special_tokens() const { return special_tokens_; }

 private:
  ChatTemplate() = default;
  struct Named {
    std::string source;
    std::shared_ptr<const jinja::Template> tpl;
  };
  const Named& pick(const ChatTemplateInputs& inputs) const;

  std::map<std::string, Named> templates_;  // "default", "tool_use", ...
  nlohmann::ordered_json special_tokens_ = nlohmann::ordered_json::object();
};

// transformers' apply_chat_template(conversation, tokenize=False, ...).
inline std::string apply_chat_template(const ChatTemplate& tpl, const ChatTemplateInputs& inputs) {
  return tpl.apply(inputs);
}

}  // namespace lmx
