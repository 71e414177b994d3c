// SPDX-License-Identifier: MIT
// `lmx generate`: MLX-LM's generate command.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "apps/lmx/command.h"
#include "apps/lmx/model_args.h"
#include "lmx/core/error.h"
#include "lmx/generate/prompt_cache.h"
#include "lmx/tokenizer/chat_template.h"

namespace lmx::cli {
namespace {

struct GenerateArgs {
  ModelArgs model;
  std::string prompt = "Hello";
  std::string system_prompt;
  std::string prompt_tokens;
  std::string prefill_response;
  std::string chat_template_config;
  std::vector<std::string> extra_eos;
  int max_tokens = 100;
  float temp = 0.0f, top_p = 1.0f, min_p = 0.0f, xtc_probability = 0.0f, xtc_threshold = 0.0f;
  int top_k = 0, min_tokens_to_keep = 1;
  uint64_t seed = 0;
  bool ignore_chat_template = false, verbose = true, json = false, ignore_eos = false;
  int top_logprobs = 0;
  int64_t max_kv_size = 0;
  int kv_bits = 0, kv_group_size = 64, quantized_kv_start = 0;
  std::string prompt_cache_file;
};

std::vector<int32_t> parse_ids(const std::string& s) {
  std::vector<int32_t> ids;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    try {
      size_t used = 0;
      long v = std::stol(item, &used);
      if (used != item.size()) throw std::invalid_argument(item);
      ids.push_back(int32_t(v));
    } catch (const std::exception&) {
      raise<ValueError>("generate", "--prompt-tokens: '{}' is not an integer", item);
    }
  }
  return ids;
}

// With a prompt cache, the cached tokens are a prefix of the chat-templated prompt:
// only the rest is encoded (as MLX-LM does, splitting the rendering at a "<query>").
std::vector<int32_t> build_prompt(const GenerateArgs& a, const LoadedModel& m, bool cached) {
  if (!a.prompt_tokens.empty()) return parse_ids(a.prompt_tokens);
  std::string prompt = read_prompt(a.prompt);
  auto tpl_source = m.tokenizer.chat_template();
  if (a.ignore_chat_template || !tpl_source) return m.tokenizer.encode(prompt, !cached);
  ChatTemplateInputs in;
  if (!a.system_prompt.empty())
    in.messages.push_back({{"role", "system"}, {"content", a.system_prompt}});
  in.messages.push_back({{"role", "user"}, {"content", prompt}});
  if (!a.prefill_response.empty()) {
    in.messages.push_back({{"role", "assistant"}, {"content", a.prefill_response}});
    in.continue_final_message = true;
  } else {
    in.add_generation_prompt = true;
  }
  if (!a.chat_template_config.empty())
    in.extra = nlohmann::ordered_json::parse(a.chat_template_config);
  ChatTemplate tpl = ChatTemplate::load(m.path);
  std::string text = tpl.apply(in);
  if (cached) {
    ChatTemplateInputs probe = in;
    probe.messages.back()["content"] = "<query>";
    if (!a.prefill_response.empty()) probe.messages[probe.messages.size() - 2]["content"] = "<query>";
    std::string t = tpl.apply(probe);
    size_t at = t.find("<query>");
    LMX_CHECK(at != std::string::npos, ValueError, "generate",
              "the chat template does not render the user message; use --ignore-chat-template");
    text = text.substr(std::min(at, text.size()));
  }
  return m.tokenizer.encode(text, false);
}

int run(const GenerateArgs& a) {
  LMX_CHECK(a.kv_bits == 0 || a.kv_bits == 2 || a.kv_bits == 3 || a.kv_bits == 4 ||
                a.kv_bits == 5 || a.kv_bits == 6 || a.kv_bits == 8,
            ValueError, "generate", "--kv-bits must be 2, 3, 4, 5, 6 or 8, got {}", a.kv_bits);
  LMX_CHECK(a.max_kv_size == 0 || a.max_kv_size > 4, ValueError, "generate",
            "--max-kv-size must be more than 4 tokens, got {}", a.max_kv_size);
  nn::CacheList prompt_cache;
  std::map<std::string, std::string> cache_meta;
  std::string model_path = a.model.path();
  if (!a.prompt_cache_file.empty()) {
    prompt_cache = load_prompt_cache(a.prompt_cache_file, &cache_meta);
    if (a.model.model.empty() && cache_meta.count("model")) model_path = cache_meta["model"];
  }
  LoadedModel m = load(model_path, a.model.load_options());
  std::vector<int32_t> prompt = build_prompt(a, m, !prompt_cache.empty());
  GenerateOptions opts;
  opts.cache = {.max_kv_size = a.max_kv_size, .kv_bits = a.kv_bits,
                .kv_group_size = a.kv_group_size, .quantized_kv_start = a.quantized_kv_start};
  if (!prompt_cache.empty()) {
    LMX_CHECK(int(prompt_cache.size()) == m.model->num_layers(), ValueError, "generate",
              "the prompt cache has {} layers, the model {}", prompt_cache.size(),
              m.model->num_layers());
    opts.prompt_cache = &prompt_cache;
  }
  opts.max_tokens = a.max_tokens;
  opts.sampler = {.temp = a.temp, .top_p = a.top_p, .min_p = a.min_p,
                  .min_tokens_to_keep = a.min_tokens_to_keep, .top_k = a.top_k,
                  .xtc_probability = a.xtc_probability, .xtc_threshold = a.xtc_threshold,
                  .seed = a.seed};
  if (a.xtc_probability > 0) {
    for (int32_t id : m.tokenizer.eos_ids()) opts.sampler.xtc_special_tokens.push_back(id);
    if (auto nl = m.tokenizer.encode("\n", false); !nl.empty())
      opts.sampler.xtc_special_tokens.push_back(nl[0]);
  }
  opts.top_logprobs = a.top_logprobs;
  std::set<int32_t> eos = m.tokenizer.eos_ids();
  for (const auto& t : a.extra_eos) {
    auto id = m.tokenizer.token_to_id(t);
    LMX_CHECK(id.has_value(), ValueError, "generate", "--extra-eos-token '{}' is not a token", t);
    eos.insert(*id);
  }
  opts.eos_ids = a.ignore_eos ? std::set<int32_t>{} : eos;
  bool stream = a.verbose && !a.json;
  if (stream) std::printf("==========\n");
  std::string text;
  std::vector<int32_t> tokens;
  nlohmann::json logprobs = nlohmann::json::array();
  GenerationResponse last;
  stream_generate(*m.model, m.tokenizer, prompt, opts, [&](const GenerationResponse& r) {
    text += r.text;
    tokens.push_back(r.token);
    if (a.top_logprobs > 0) {
      nlohmann::json row = nlohmann::json::array();
      for (auto& t : r.top_logprobs) row.push_back({{"id", t.id}, {"logprob", t.logprob}});
      logprobs.push_back(row);
    }
    if (stream) {
      std::fputs(r.text.c_str(), stdout);
      std::fflush(stdout);
    }
    last = r;
    return true;
  });
  if (a.json) {
    nlohmann::json j = {{"text", text},
                        {"tokens", tokens},
                        {"prompt_tokens", last.prompt_tokens},
                        {"prompt_tps", last.prompt_tps},
                        {"generation_tokens", last.generation_tokens},
                        {"generation_tps", last.generation_tps},
                        {"peak_memory_gb", last.peak_memory_gb},
                        {"finish_reason", last.finish_reason.value_or("length")}};
    if (a.top_logprobs > 0) j["logprobs"] = logprobs;
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  if (stream) {
    std::printf("\n==========\n");
    std::printf("Prompt: %d tokens, %.3f tokens-per-sec\n", last.prompt_tokens, last.prompt_tps);
    std::printf("Generation: %d tokens, %.3f tokens-per-sec\n", last.generation_tokens,
                last.generation_tps);
    std::printf("Peak memory: %.3f GB\n", last.peak_memory_gb);
  } else {
    std::printf("%s\n", text.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace lmx::cli

LMX_COMMAND("generate", [](CLI::App& app) {
  app.description("Generate text from a prompt (MLX-LM's generate)");
  auto a = std::make_shared<lmx::cli::GenerateArgs>();
  a->model.add(app);
  app.add_option("--prompt,-p", a->prompt, "Prompt text, or - to read stdin");
  app.add_option("--system-prompt", a->system_prompt, "System prompt for the chat template");
  app.add_option("--prompt-tokens", a->prompt_tokens, "Prompt as token ids 1,2,3 (used as given)");
  app.add_option("--prefill-response", a->prefill_response, "Start of the assistant's answer");
  app.add_option("--chat-template-config", a->chat_template_config,
                 "JSON object of extra chat template variables");
  app.add_option("--extra-eos-token", a->extra_eos, "Additional end-of-sequence tokens");
  app.add_option("--max-tokens,-n", a->max_tokens, "Maximum tokens to generate");
  app.add_option("--temp", a->temp, "Sampling temperature (0: greedy)");
  app.add_option("--top-p", a->top_p, "Nucleus sampling threshold");
  app.add_option("--top-k", a->top_k, "Keep only the k most likely tokens");
  app.add_option("--min-p", a->min_p, "Minimum probability relative to the best token");
  app.add_option("--min-tokens-to-keep", a->min_tokens_to_keep, "Tokens min-p always keeps");
  app.add_option("--xtc-probability", a->xtc_probability, "XTC sampling probability");
  app.add_option("--xtc-threshold", a->xtc_threshold, "XTC threshold");
  app.add_option("--seed", a->seed, "Random seed");
  app.add_flag("--ignore-chat-template", a->ignore_chat_template, "Use the prompt as raw text");
  app.add_option("--verbose", a->verbose, "Print the text as it streams and the statistics");
  app.add_flag("--ignore-eos", a->ignore_eos, "Do not stop at end-of-sequence tokens");
  app.add_flag("--json", a->json, "Print one JSON object with the results at the end");
  app.add_option("--top-logprobs", a->top_logprobs, "Report the K best log-probabilities per token");
  app.add_option("--max-kv-size", a->max_kv_size, "Bound the KV cache (rotating)");
  app.add_option("--kv-bits", a->kv_bits, "Quantize the KV cache to this many bits");
  app.add_option("--kv-group-size", a->kv_group_size, "Group size of the quantized KV cache");
  app.add_option("--quantized-kv-start", a->quantized_kv_start,
                 "Token count after which the KV cache is quantized");
  app.add_option("--prompt-cache-file", a->prompt_cache_file, "A saved prompt cache to start from");
  return [a] { return lmx::cli::run(*a); };
});
