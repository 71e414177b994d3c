// SPDX-License-Identifier: MIT
// lmx chat-template --model PATH --conversation FILE.json: prints the rendered prompt.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "apps/lmx/command.h"
#include "lmx/tokenizer/chat_template.h"

namespace {

struct Options {
  std::string model;
  std::string conversation;
  bool continue_final_message = false;
};

int run(const Options& o) {
  std::ifstream f(o.conversation, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + o.conversation);
  std::stringstream ss;
  ss << f.rdbuf();
  auto in = lmx::ChatTemplateInputs::from_json(nlohmann::ordered_json::parse(ss.str()));
  if (o.continue_final_message) in.continue_final_message = true;
  std::string text = lmx::ChatTemplate::load(o.model).apply(in);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace

LMX_COMMAND("chat-template", [](CLI::App& app) {
  auto o = std::make_shared<Options>();
  app.description("Render a conversation with a model's chat template (as transformers does)");
  app.add_option("--model", o->model, "checkpoint folder, tokenizer_config.json or .jinja file")
      ->required();
  app.add_option("--conversation", o->conversation,
                 "JSON object: messages, tools, add_generation_prompt and other keys (template "
                 "variables)")
      ->required();
  app.add_flag("--continue-final-message", o->continue_final_message,
               "leave the last message open for the model to continue (transformers' "
               "continue_final_message)");
  return [o] { return run(*o); };
});
