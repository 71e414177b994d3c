// SPDX-License-Identifier: MIT
// `lmx benchmark`: MLX-LM's benchmark command. Random prompts of the given length, a fixed
// number of greedily generated tokens (end-of-sequence ignored, nothing detokenized: the
// ids are random and bench checkpoints borrow a smaller tokenizer), prompt and generation
// tokens/s and peak memory per trial and averaged.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include "apps/lmx/command.h"
#include "apps/lmx/model_args.h"
#include "lmx/core/allocator.h"
#include "lmx/core/error.h"
#include "lmx/core/ops.h"

namespace lmx::cli {
namespace {

struct BenchmarkArgs {
  ModelArgs model;
  int prompt_tokens = 512;
  int generation_tokens = 1024;
  int batch_size = 1;
  int num_trials = 5;
  uint64_t seed = 0;
  bool json = false;
};

struct Trial {
  double prompt_tps = 0, generation_tps = 0, peak_memory_gb = 0;
};

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Greedy next token from the last row of logits (1, L, V).
int32_t argmax_last(const Array& logits) {
  int64_t L = logits.shape(1);
  std::vector<float> v = astype(slice(logits, 1, L - 1, L), Dtype::float32).to_vector<float>();
  return int32_t(std::max_element(v.begin(), v.end()) - v.begin());
}

// One trial as MLX-LM's stream_generate times it: the prompt (prefilled in chunks of 2048
// tokens) until the first token is chosen, then every further token.
Trial run_once(models::Model& model, const std::vector<int32_t>& prompt, int gen_tokens) {
  reset_peak_memory(default_device());
  nn::CacheList cache = model.make_cache();
  auto t0 = Clock::now();
  size_t pos = 0;
  const size_t n = prompt.size();
  while (n - pos > 1) {
    size_t step = std::min<size_t>(2048, n - 1 - pos);
    model.prefill(Array(prompt.data() + pos, Shape{1, int64_t(step)}, Dtype::int32), cache);
    pos += step;
  }
  Array logits = model(Array(prompt.data() + pos, Shape{1, 1}, Dtype::int32), &cache);
  int32_t tok = argmax_last(logits);
  double prompt_time = seconds_since(t0);
  auto t1 = Clock::now();
  for (int i = 1; i < gen_tokens; ++i) {
    logits = model(Array(&tok, Shape{1, 1}, Dtype::int32), &cache);
    tok = argmax_last(logits);
  }
  double gen_time = seconds_since(t1);
  Trial t;
  t.prompt_tps = double(n) / prompt_time;
  t.generation_tps = gen_tokens > 1 ? double(gen_tokens - 1) / gen_time : 0;
  t.peak_memory_gb = peak_memory_gb();
  return t;
}

int run(const BenchmarkArgs& a) {
  LMX_CHECK(a.prompt_tokens >= 1, ValueError, "benchmark", "-p must be at least 1, got {}",
            a.prompt_tokens);
  LMX_CHECK(a.generation_tokens >= 1, ValueError, "benchmark", "-g must be at least 1, got {}",
            a.generation_tokens);
  LMX_CHECK(a.num_trials >= 1, ValueError, "benchmark", "-n must be at least 1, got {}",
            a.num_trials);
  LMX_CHECK(a.batch_size == 1, ValueError, "benchmark",
            "batch sizes above 1 are not implemented yet (-b {})", a.batch_size);
  LoadedModel m = load(a.model.path(), a.model.load_options());
  std::mt19937_64 rng(a.seed);
  std::uniform_int_distribution<int32_t> dist(0, int32_t(m.model->vocab_size() - 1));
  auto random_prompt = [&](int n) {
    std::vector<int32_t> p(static_cast<size_t>(n));
    for (auto& t : p) t = dist(rng);
    return p;
  };
  if (!a.json) std::printf("Running warmup..\n");
  run_once(*m.model, random_prompt(std::min(a.prompt_tokens, 16)), 4);
  if (!a.json)
    std::printf("Timing with prompt_tokens=%d, generation_tokens=%d, batch_size=%d.\n",
                a.prompt_tokens, a.generation_tokens, a.batch_size);
  std::vector<Trial> trials;
  Trial avg;
  for (int i = 0; i < a.num_trials; ++i) {
    Trial t = run_once(*m.model, random_prompt(a.prompt_tokens), a.generation_tokens);
    trials.push_back(t);
    avg.prompt_tps += t.prompt_tps / a.num_trials;
    avg.generation_tps += t.generation_tps / a.num_trials;
    avg.peak_memory_gb += t.peak_memory_gb / a.num_trials;
    if (!a.json) {
      std::printf("Trial %d:  prompt_tps=%.3f, generation_tps=%.3f, peak_memory=%.3f\n", i + 1,
                  t.prompt_tps, t.generation_tps, t.peak_memory_gb);
      std::fflush(stdout);
    }
  }
  if (a.json) {
    nlohmann::json j = {{"model", m.path.string()},
                        {"prompt_tokens", a.prompt_tokens},
                        {"generation_tokens", a.generation_tokens},
                        {"batch_size", a.batch_size},
                        {"trials", nlohmann::json::array()},
                        {"prompt_tps", avg.prompt_tps},
                        {"generation_tps", avg.generation_tps},
                        {"peak_memory_gb", avg.peak_memory_gb}};
    for (const auto& t : trials)
      j["trials"].push_back({{"prompt_tps", t.prompt_tps},
                             {"generation_tps", t.generation_tps},
                             {"peak_memory_gb", t.peak_memory_gb}});
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  std::printf("Averages: prompt_tps=%.3f, generation_tps=%.3f, peak_memory=%.3f\n",
              avg.prompt_tps, avg.generation_tps, avg.peak_memory_gb);
  return 0;
}

}  // namespace
}  // namespace lmx::cli

LMX_COMMAND("benchmark", [](CLI::App& app) {
  app.description("Measure prompt and generation speed on random prompts (MLX-LM's benchmark)");
  auto a = std::make_shared<lmx::cli::BenchmarkArgs>();
  a->model.add(app);
  app.add_option("--prompt-tokens,-p", a->prompt_tokens, "Prompt length in tokens")
      ->capture_default_str();
  app.add_option("--generation-tokens,-g", a->generation_tokens, "Tokens to generate")
      ->capture_default_str();
  app.add_option("--batch-size,-b", a->batch_size, "Sequences in parallel (only 1 for now)")
      ->capture_default_str();
  app.add_option("--num-trials,-n", a->num_trials, "Timed trials")->capture_default_str();
  app.add_option("--seed", a->seed, "Seed of the random prompts")->capture_default_str();
  app.add_flag("--json", a->json, "Print one JSON object with the results");
  return [a] { return lmx::cli::run(*a); };
});
