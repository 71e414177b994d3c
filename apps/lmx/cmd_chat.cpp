// SPDX-License-Identifier: MIT
// `lmx chat`: MLX-LM's chat REPL. The KV cache is kept across turns: each turn renders
// the whole conversation and runs only the tokens the cache does not hold yet.
#include <fmt/format.h>

#include <iostream>

#include "apps/lmx/command.h"
#include "apps/lmx/model_args.h"
#include "lmx/core/error.h"
#include "lmx/tokenizer/chat_template.h"

namespace lmx::cli {
namespace {

struct ChatArgs {
  ModelArgs model;
  std::string system_prompt;
  int max_tokens = 256;
  float temp = 0.0f, top_p = 1.0f;
  int top_k = 0;
  uint64_t seed = 0;
  int64_t max_kv_size = 0;
};

void print_help() {
  fmt::print("The command list:\n- 'q' to exit\n- 'r' to reset the chat\n- 'h' to display these commands\n");
}

size_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}

int run(const ChatArgs& a) {
  LoadedModel m = load(a.model.path(), a.model.load_options());
  LMX_CHECK(m.tokenizer.chat_template().has_value(), ValueError, "chat",
            "{} has no chat template", m.path.string());
  ChatTemplate tpl = ChatTemplate::load(m.path);
  nn::CacheOptions copts{.max_kv_size = a.max_kv_size};
  GenerateOptions opts;
  opts.max_tokens = a.max_tokens;
  opts.sampler = {.temp = a.temp, .top_p = a.top_p, .top_k = a.top_k, .seed = a.seed};
  fmt::print("[INFO] Starting chat session with {}.\n", m.path.string());
  print_help();
  nn::CacheList cache = m.model->make_cache(copts);
  std::vector<int32_t> cached;  // tokens the cache holds
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  auto reset = [&] {
    cache = m.model->make_cache(copts);
    cached.clear();
    messages = nlohmann::ordered_json::array();
    if (!a.system_prompt.empty())
      messages.push_back({{"role", "system"}, {"content", a.system_prompt}});
  };
  reset();
  std::string line;
  while (true) {
    fmt::print(">> ");
    std::fflush(stdout);
    if (!std::getline(std::cin, line)) break;
    if (line == "q") break;
    if (line == "r") {
      reset();
      continue;
    }
    if (line == "h") {
      print_help();
      continue;
    }
    messages.push_back({{"role", "user"}, {"content", line}});
    ChatTemplateInputs in;
    in.messages = messages;
    in.add_generation_prompt = true;
    std::vector<int32_t> ids = m.tokenizer.encode(tpl.apply(in), false);
    // Reuse the cached prefix; rewind what differs (or start over if the cache cannot).
    size_t keep = common_prefix(cached, ids);
    if (keep == ids.size()) --keep;  // always run at least one token
    size_t drop = cached.size() - keep;
    bool trimmable = true;
    for (auto& c : cache) trimmable = trimmable && c->is_trimmable();
    if (drop > 0 && !trimmable) {
      cache = m.model->make_cache(copts);
      keep = 0;
    } else if (drop > 0) {
      for (auto& c : cache) c->trim(int64_t(drop));
    }
    cached.assign(ids.begin(), ids.begin() + keep);
    std::vector<int32_t> feed(ids.begin() + keep, ids.end());
    opts.prompt_cache = &cache;
    std::string reply;
    GenerationResponse last;
    std::vector<int32_t> generated;
    stream_generate(*m.model, m.tokenizer, feed, opts, [&](const GenerationResponse& r) {
      std::fputs(r.text.c_str(), stdout);
      std::fflush(stdout);
      reply += r.text;
      generated.push_back(r.token);
      last = r;
      return true;
    });
    cached.insert(cached.end(), feed.begin(), feed.end());
    if (!generated.empty()) cached.insert(cached.end(), generated.begin(), generated.end() - 1);
    messages.push_back({{"role", "assistant"}, {"content", reply}});
    fmt::print("\n[{} prompt tokens, {:.1f} tok/s | {} generated, {:.1f} tok/s | peak {:.3f} GB]\n",
               last.prompt_tokens, last.prompt_tps, last.generation_tokens, last.generation_tps,
               last.peak_memory_gb);
  }
  return 0;
}

}  // namespace
}  // namespace lmx::cli

LMX_COMMAND("chat", [](CLI::App& app) {
  app.description("Chat with a model in the terminal (MLX-LM's chat)");
  auto a = std::make_shared<lmx::cli::ChatArgs>();
  a->model.add(app);
  app.add_option("--system-prompt", a->system_prompt, "System prompt");
  app.add_option("--max-tokens,-n", a->max_tokens, "Maximum tokens per reply");
  app.add_option("--temp", a->temp, "Sampling temperature (0: greedy)");
  app.add_option("--top-p", a->top_p, "Nucleus sampling threshold");
  app.add_option("--top-k", a->top_k, "Keep only the k most likely tokens");
  app.add_option("--seed", a->seed, "Random seed");
  app.add_option("--max-kv-size", a->max_kv_size, "Bound the KV cache (rotating)");
  return [a] { return lmx::cli::run(*a); };
});
