// SPDX-License-Identifier: MIT
// Loading a checkpoint with its tokenizer, and MLX-LM's generate / stream_generate.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lmx/generate/sampling.h"
#include "lmx/models/load.h"
#include "lmx/models/model.h"
#include "lmx/nn/cache.h"
#include "lmx/tokenizer/tokenizer.h"

namespace lmx {

struct LoadedModel {
  std::shared_ptr<models::Model> model;
  Tokenizer tokenizer;
  io::ModelConfig config;
  std::filesystem::path path;
};

// Loads model, tokenizer and config from a local checkpoint folder or a Hugging Face repo
// id ("org/name[@revision]": the local HF cache first, else a download into it; with
// HF_HUB_OFFLINE=1 never the network).
LoadedModel load(const std::string& path_or_repo, const models::LoadOptions& opts = {});

struct GenerateOptions {
  int max_tokens = 256;
  SamplerParams sampler;
  LogitsProcessorParams processors;
  int prefill_step_size = 2048;
  std::optional<std::set<int32_t>> eos_ids;  // stop tokens (default: the tokenizer's)
  std::vector<std::string> stop_strings;  // stop when the text ends with one of these
  int top_logprobs = 0;                    // report the K best log-probabilities per token
  nn::CacheList* prompt_cache = nullptr;  // reused and extended when given
  nn::CacheOptions cache;                  // bounded / quantized KV caches
};

struct TokenLogprob {
  int32_t id;
  float logprob;
};

// One step of stream_generate, as MLX-LM's GenerationResponse.
struct GenerationResponse {
  std::string text;  // new text since the last response (final once emitted)
  int32_t token = -1;
  float logprob = 0.0f;                    // of the chosen token
  std::vector<TokenLogprob> top_logprobs;  // best first
  int prompt_tokens = 0;
  double prompt_tps = 0;
  int generation_tokens = 0;
  double generation_tps = 0;
  double peak_memory_gb = 0;
  std::optional<std::string> finish_reason;  // "stop" or "length" on the last response
};

// Generates from `prompt` (token ids), calling `on_response` for every token; it returns
// false to stop early.
void stream_generate(models::Model& model, const Tokenizer& tokenizer,
                     const std::vector<int32_t>& prompt, const GenerateOptions& opts,
                     const std::function<bool(const GenerationResponse&)>& on_response);

// Runs stream_generate and returns all the text.
std::string generate(models::Model& model, const Tokenizer& tokenizer,
                     const std::vector<int32_t>& prompt, const GenerateOptions& opts);

// Peak resident memory of this process, in bytes (what MLX-LM's "Peak memory" reports
// for weights that live in mapped files too).
size_t peak_process_memory();
// The peak memory generation reports, in GB: on a GPU the device allocator's peak (what
// MLX-LM reports is the accelerator's); on the CPU the larger of the allocator's peak and
// the process's peak resident set.
double peak_memory_gb(Device device = default_device());

}  // namespace lmx
