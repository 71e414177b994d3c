// SPDX-License-Identifier: MIT
// `lmx perplexity`: MLX-LM's perplexity command on a local text or dataset file.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>

#include "apps/lmx/command.h"
#include "apps/lmx/model_args.h"
#include "lmx/generate/perplexity.h"

namespace lmx::cli {
namespace {

struct PerplexityArgs {
  ModelArgs model;
  std::string data;
  int sequence_length = 512;
  int batch_size = 8;
  int num_samples = 256;
  bool json = false;
};

int run(const PerplexityArgs& a) {
  LoadedModel m = load(a.model.path(), a.model.load_options());
  PerplexityData data =
      load_perplexity_data(m.tokenizer, m.path, a.data, a.sequence_length, a.num_samples);
  if (!a.json)
    std::printf("Evaluating %zu sequences of %d tokens (batch size %d)\n", data.rows.size(),
                a.sequence_length, a.batch_size);
  PerplexityResult r = perplexity(*m.model, data, a.batch_size);
  if (a.json) {
    nlohmann::json j = {{"perplexity", r.perplexity},
                        {"standard_error", r.standard_error},
                        {"mean_nll", r.mean_nll},
                        {"tokens_scored", r.tokens_scored},
                        {"num_samples", r.num_samples},
                        {"sequence_length", a.sequence_length},
                        {"batch_size", a.batch_size},
                        {"seconds", r.seconds},
                        {"tokens_per_second", r.tokens_per_second},
                        {"peak_memory_gb", r.peak_memory_gb}};
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  std::printf("Perplexity: %.3f \u00b1 %.3f\n", r.perplexity, r.standard_error);
  std::printf("Evaluation time: %.2f seconds\n", r.seconds);
  std::printf("Peak memory: %.3f GB\n", r.peak_memory_gb);
  std::printf("Tokens per second: %.0f\n", r.tokens_per_second);
  return 0;
}

}  // namespace
}  // namespace lmx::cli

LMX_COMMAND("perplexity", [](CLI::App& app) {
  app.description("Perplexity of a model on a text or dataset file (MLX-LM's perplexity)");
  auto a = std::make_shared<lmx::cli::PerplexityArgs>();
  a->model.add(app);
  app.add_option("--data,--data-path", a->data,
                 "A .txt file, or a .jsonl dataset ({\"text\"}, {\"prompt\",\"completion\"} or "
                 "{\"messages\"} records)")
      ->required();
  app.add_option("--sequence-length", a->sequence_length, "Tokens per sequence")
      ->capture_default_str();
  app.add_option("--batch-size", a->batch_size, "Sequences per forward pass")->capture_default_str();
  app.add_option("--num-samples", a->num_samples, "Sequences to evaluate (-1: all)")
      ->capture_default_str();
  app.add_flag("--json", a->json, "Print one JSON object with the results");
  return [a] { return lmx::cli::run(*a); };
});
