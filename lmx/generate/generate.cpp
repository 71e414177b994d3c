// SPDX-License-Identifier: MIT
#include "lmx/generate/generate.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/io/hub.h"
#include <fmt/format.h>

namespace lmx {

LoadedModel load(const std::string& path_or_repo, const models::LoadOptions& opts) {
  // A local folder, or a Hugging Face repo id found in (or downloaded into) the HF cache.
  std::filesystem::path path = io::resolve_model_path(path_or_repo);
  LMX_CHECK(std::filesystem::is_directory(path), ValueError, "load",
            "'{}' is not a model folder", path.string());
  LoadedModel m{models::load_model(path, opts), Tokenizer::load(path), io::ModelConfig::load(path),
                path};
  return m;
}

size_t peak_process_memory() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return size_t(ru.ru_maxrss) * 1024;
}

double peak_memory_gb(Device device) {
  if (device.type != DeviceType::cpu) return double(get_peak_memory(device)) / 1e9;
  return double(std::max(peak_process_memory(), get_peak_memory(device))) / 1e9;
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Last row of logits (B=1, L, V) as host float32 log-probabilities after processors.
std::vector<float> last_logits(const Array& logits) {
  int64_t L = logits.shape(1);
  Array row = slice(logits, 1, L - 1, L);
  return astype(row, Dtype::float32).to_vector<float>();
}

void to_logprobs(std::vector<float>& v) {
  float m = *std::max_element(v.begin(), v.end());
  double s = 0;
  for (float x : v) s += std::exp(double(x - m));
  float lse = m + float(std::log(s));
  for (auto& x : v) x -= lse;
}

}  // namespace

void stream_generate(models::Model& model, const Tokenizer& tokenizer,
                     const std::vector<int32_t>& prompt, const GenerateOptions& opts,
                     const std::function<bool(const GenerationResponse&)>& on_response) {
  LMX_CHECK(!prompt.empty(), ValueError, "generate", "the prompt is empty");
  LMX_CHECK(opts.max_tokens >= 0, ValueError, "generate", "max_tokens must be >= 0, got {}",
            opts.max_tokens);
  LMX_CHECK(opts.prefill_step_size > 0, ValueError, "generate",
            "prefill_step_size must be > 0, got {}", opts.prefill_step_size);
  for (int32_t t : prompt)
    LMX_CHECK(t >= 0 && t < model.vocab_size(), ValueError, "generate",
              "prompt token {} is outside the vocabulary of {}", t, model.vocab_size());
  Sampler sampler = make_sampler(opts.sampler);
  auto processors = make_logits_processors(opts.processors);
  std::set<int32_t> eos = opts.eos_ids.value_or(tokenizer.eos_ids());

  nn::CacheList local_cache;
  nn::CacheList* cache = opts.prompt_cache;
  if (!cache) {
    local_cache = model.make_cache(opts.cache);
    cache = &local_cache;
  }
  int64_t start = cache->empty() ? 0 : (*cache)[0]->offset();
  int64_t context = model.config().get<int64_t>("max_position_embeddings", 0);
  bool bounded = opts.cache.max_kv_size > 0;
  LMX_CHECK(bounded || context <= 0 || start + int64_t(prompt.size()) <= context, ValueError,
            "generate",
            "the prompt ({} tokens{}) is longer than the model's context of {} tokens "
            "(max_position_embeddings); bound the cache with --max-kv-size to go on anyway",
            prompt.size(), start ? fmt::format(" after {} cached", start) : "", context);
  std::vector<int32_t> tokens = prompt;  // context for the logits processors
  auto t0 = Clock::now();
  // Prefill everything but the last token in chunks, then run the last one.
  size_t pos = 0;
  const size_t n = prompt.size();
  while (n - pos > 1) {
    size_t step = std::min<size_t>(opts.prefill_step_size, n - 1 - pos);
    Array ids(prompt.data() + pos, Shape{1, int64_t(step)}, Dtype::int32);
    model.prefill(ids, *cache);
    nn::maybe_quantize_kv_cache(*cache, opts.cache);
    pos += step;
  }
  Array logits = model(Array(prompt.data() + pos, Shape{1, 1}, Dtype::int32), cache);
  nn::maybe_quantize_kv_cache(*cache, opts.cache);

  StreamingDetokenizer detok(tokenizer);
  GenerationResponse r;
  r.prompt_tokens = int(n);
  double prompt_time = 0;
  auto tgen = Clock::now();
  std::string text_so_far;
  for (int i = 0; i < opts.max_tokens; ++i) {
    std::vector<float> lp = last_logits(logits);
    for (auto& p : processors) p(tokens, lp);
    to_logprobs(lp);
    std::vector<float> scores = lp;
    int32_t tok = sampler(lp);
    if (i == 0) {
      prompt_time = seconds_since(t0);
      tgen = Clock::now();
    }
    r.token = tok;
    r.logprob = scores[tok];
    r.top_logprobs.clear();
    if (opts.top_logprobs > 0) {
      std::vector<int32_t> idx(scores.size());
      for (size_t k = 0; k < idx.size(); ++k) idx[k] = int32_t(k);
      int k = std::min<int>(opts.top_logprobs, int(idx.size()));
      std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int32_t a, int32_t b) {
        return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
      });
      for (int j = 0; j < k; ++j) r.top_logprobs.push_back({idx[j], scores[idx[j]]});
    }
    r.generation_tokens = i + 1;
    r.prompt_tps = prompt_time > 0 ? double(n) / prompt_time : 0;
    bool is_eos = eos.count(tok) > 0;
    bool last = is_eos || i + 1 == opts.max_tokens;
    r.text = is_eos ? detok.finish() : detok.add(tok);
    if (!is_eos && last) r.text += detok.finish();
    text_so_far += r.text;
    bool stopped = false;
    size_t before = text_so_far.size() - r.text.size();
    for (const auto& s : opts.stop_strings) {
      if (s.empty()) continue;
      size_t from = before >= s.size() ? before - s.size() + 1 : 0;
      size_t at = text_so_far.find(s, from);
      if (at == std::string::npos) continue;
      r.text = at > before ? r.text.substr(0, at - before) : std::string();
      stopped = true;
      break;
    }
    double gen_time = seconds_since(tgen);
    r.generation_tps = gen_time > 0 && i > 0 ? double(i) / gen_time : 0;
    r.peak_memory_gb = peak_memory_gb();
    if (is_eos || stopped) r.finish_reason = "stop";
    else if (last) r.finish_reason = "length";
    bool keep_going = on_response(r);
    if (r.finish_reason || !keep_going) return;
    tokens.push_back(tok);
    logits = model(Array(&tok, Shape{1, 1}, Dtype::int32), cache);
    nn::maybe_quantize_kv_cache(*cache, opts.cache);
  }
}

std::string generate(models::Model& model, const Tokenizer& tokenizer,
                     const std::vector<int32_t>& prompt, const GenerateOptions& opts) {
  std::string text;
  stream_generate(model, tokenizer, prompt, opts, [&](const GenerationResponse& r) {
    text += r.text;
    return true;
  });
  return text;
}

}  // namespace lmx
