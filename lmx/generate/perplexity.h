// SPDX-License-Identifier: MIT
// Perplexity of a model on a text or dataset file, as MLX-LM's perplexity command computes
// it: rows of `sequence_length` tokens, the model fed row[:-1] and scored on row[1:], the
// mean negative log-likelihood over every scored token, and its standard error
// (std(ddof=1) / sqrt(count)) propagated to the perplexity (ppl * se).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include "lmx/models/model.h"
#include "lmx/tokenizer/tokenizer.h"

namespace lmx {

struct PerplexityData {
  // Each row has sequence_length tokens: the model reads row[:-1] and predicts row[1:].
  std::vector<std::vector<int32_t>> rows;
};

// Reads `file` into rows of `sequence_length` tokens; `num_samples` rows at most (-1: all).
//  * .txt: the whole text is tokenized once without special tokens and cut into windows of
//    sequence_length - 1 tokens, each preceded by BOS (or, without a BOS token, windows of
//    sequence_length tokens whose first token is context only). A short tail is dropped.
//  * .jsonl: one record per line in MLX-LM's dataset formats, {"text"}, {"prompt",
//    "completion"} or {"messages"[, "tools"]} (the latter two through the chat template
//    in `model_dir`); each record is tokenized with special tokens and ends with EOS, the
//    records are concatenated in file order and cut into rows of sequence_length tokens.
// Throws ValueError for an unreadable file, an unknown record format, or too little text
// for one row.
PerplexityData load_perplexity_data(const Tokenizer& tokenizer,
                                    const std::filesystem::path& model_dir,
                                    const std::filesystem::path& file, int sequence_length,
                                    int num_samples = -1);

struct PerplexityResult {
  double perplexity = 0;
  double standard_error = 0;  // of the perplexity
  double mean_nll = 0;
  int64_t tokens_scored = 0;
  int64_t num_samples = 0;
  double seconds = 0;
  double tokens_per_second = 0;  // tokens fed through the model per second
  double peak_memory_gb = 0;
};

// Evaluates the rows `batch_size` at a time. `on_batch(done_rows, total_rows)` is called
// after each batch (for progress output) when given.
PerplexityResult perplexity(models::Model& model, const PerplexityData& data, int batch_size = 8,
                            const std::function<void(int64_t, int64_t)>& on_batch = {});

}  // namespace lmx
