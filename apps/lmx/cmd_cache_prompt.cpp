// SPDX-License-Identifier: MIT
// `lmx cache-prompt`: MLX-LM's cache_prompt. Runs a prompt through the model and saves
// the KV cache, so later `lmx generate --prompt-cache-file` calls start after it.
#include <fmt/format.h>

#include <chrono>

#include "apps/lmx/command.h"
#include "apps/lmx/model_args.h"
#include "lmx/core/allocator.h"
#include "lmx/core/error.h"
#include "lmx/generate/prompt_cache.h"
#include "lmx/tokenizer/chat_template.h"

namespace lmx::cli {
namespace {

struct CachePromptArgs {
  ModelArgs model;
  std::string prompt;
  std::string prompt_cache_file;
  bool ignore_chat_template = false;
  int64_t max_kv_size = 0;
  int kv_bits = 0, kv_group_size = 64, quantized_kv_start = 0;
  int prefill_step_size = 2048;
};

int run(const CachePromptArgs& a) {
  LoadedModel m = load(a.model.path(), a.model.load_options());
  std::string prompt = read_prompt(a.prompt);
  std::vector<int32_t> ids;
  if (!a.ignore_chat_template && m.tokenizer.chat_template()) {
    // The cached part is the rendering up to the user's text plus the prompt itself; the
    // rest of the template is added at generation time.
    ChatTemplate tpl = ChatTemplate::load(m.path);
    ChatTemplateInputs in;
    in.messages.push_back({{"role", "user"}, {"content", "<query>"}});
    in.add_generation_prompt = true;
    std::string probe = tpl.apply(in);
    size_t at = probe.find("<query>");
    LMX_CHECK(at != std::string::npos, ValueError, "cache-prompt",
              "the chat template does not render the user message; use --ignore-chat-template");
    ids = m.tokenizer.encode(probe.substr(0, at) + prompt, false);
  } else {
    ids = m.tokenizer.encode(prompt, true);
  }
  LMX_CHECK(!ids.empty(), ValueError, "cache-prompt", "the prompt is empty");
  nn::CacheOptions copts{.max_kv_size = a.max_kv_size, .kv_bits = a.kv_bits,
                         .kv_group_size = a.kv_group_size,
                         .quantized_kv_start = a.quantized_kv_start};
  nn::CacheList cache = m.model->make_cache(copts);
  auto t0 = std::chrono::steady_clock::now();
  for (size_t pos = 0; pos < ids.size(); pos += a.prefill_step_size) {
    size_t n = std::min<size_t>(a.prefill_step_size, ids.size() - pos);
    (*m.model)(Array(ids.data() + pos, Shape{1, int64_t(n)}, Dtype::int32), &cache);
    nn::maybe_quantize_kv_cache(cache, copts);
    fmt::print(stderr, "Processed {:6d} / {} tokens\n", pos + n, ids.size());
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::map<std::string, std::string> meta{{"model", m.path.string()}};
  if (auto t = m.tokenizer.chat_template()) meta["chat_template"] = *t;
  save_prompt_cache(a.prompt_cache_file, cache, meta);
  fmt::print("Prompt: {} tokens, {:.3f} tokens-per-sec\n", ids.size(), double(ids.size()) / secs);
  fmt::print("Peak memory: {:.3f} GB\n",
             peak_memory_gb());
  fmt::print("Saved the prompt cache to {}\n", a.prompt_cache_file);
  return 0;
}

}  // namespace
}  // namespace lmx::cli

LMX_COMMAND("cache-prompt", [](CLI::App& app) {
  app.description("Run a prompt through the model and save its KV cache (MLX-LM's cache_prompt)");
  auto a = std::make_shared<lmx::cli::CachePromptArgs>();
  a->model.add(app);
  app.add_option("--prompt,-p", a->prompt, "Prompt text, or - to read stdin")->required();
  app.add_option("--prompt-cache-file", a->prompt_cache_file, "Where to save the cache")
      ->required();
  app.add_flag("--ignore-chat-template", a->ignore_chat_template, "Use the prompt as raw text");
  app.add_option("--max-kv-size", a->max_kv_size, "Bound the KV cache (rotating)");
  app.add_option("--kv-bits", a->kv_bits, "Quantize the KV cache to this many bits");
  app.add_option("--kv-group-size", a->kv_group_size, "Group size of the quantized KV cache");
  app.add_option("--quantized-kv-start", a->quantized_kv_start,
                 "Token count after which the KV cache is quantized");
  app.add_option("--prefill-step-size", a->prefill_step_size, "Tokens per prefill step");
  return [a] { return lmx::cli::run(*a); };
});
