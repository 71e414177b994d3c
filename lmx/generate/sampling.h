// SPDX-License-Identifier: MIT
// Samplers and logits processors with MLX-LM's semantics and order. They work on one row
// of log-probabilities (vocab,) in host memory.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <span>
#include <vector>

namespace lmx {

struct SamplerParams {
  float temp = 0.0f;  // 0: greedy
  float top_p = 0.0f;
  float min_p = 0.0f;
  int min_tokens_to_keep = 1;
  int top_k = 0;
  float xtc_probability = 0.0f;
  float xtc_threshold = 0.0f;
  std::vector<int32_t> xtc_special_tokens;  // never removed by XTC
  uint64_t seed = 0;
};

// Picks the next token from log-probabilities (modified in place by the filters).
using Sampler = std::function<int32_t(std::vector<float>& logprobs)>;

// MLX-LM's make_sampler: top-k, top-p, min-p, XTC (in that order), then a categorical
// draw at temperature `temp`; greedy argmax when temp is 0. Throws ValueError for values
// out of range. Reproducible for a given seed.
Sampler make_sampler(const SamplerParams& p);

// Adjusts logits (vocab,) given the tokens so far (prompt and generated).
using LogitsProcessor =
    std::function<void(std::span<const int32_t> tokens, std::vector<float>& logits)>;

struct LogitsProcessorParams {
  std::map<int32_t, float> logit_bias;
  float repetition_penalty = 0.0f;  // 0 or 1: off
  int repetition_context_size = 20;
  float presence_penalty = 0.0f;
  int presence_context_size = 20;
  float frequency_penalty = 0.0f;
  int frequency_context_size = 20;
};

// MLX-LM's make_logits_processors: logit bias, repetition, presence, frequency.
std::vector<LogitsProcessor> make_logits_processors(const LogitsProcessorParams& p);

// Filters, exposed for tests: each sets removed entries to -inf.
void apply_top_k(std::vector<float>& logprobs, int k);
void apply_top_p(std::vector<float>& logprobs, float top_p);
void apply_min_p(std::vector<float>& logprobs, float min_p, int min_tokens_to_keep);
void apply_xtc(std::vector<float>& logprobs, float probability, float threshold,
               std::span<const int32_t> special_tokens, std::mt19937_64& rng);

}  // namespace lmx
