// SPDX-License-Identifier: MIT
#include "lmx/generate/perplexity.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>

#include "lmx/core/allocator.h"
#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/generate/generate.h"
#include "lmx/tokenizer/chat_template.h"

namespace lmx {

namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  LMX_CHECK(in.good(), ValueError, "perplexity", "cannot read '{}'", file.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool has_suffix(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// One record of an MLX-LM dataset as token ids.
std::vector<int32_t> record_tokens(const Tokenizer& tok, const fs::path& model_dir,
                                   std::optional<ChatTemplate>& tpl, const nlohmann::ordered_json& r,
                                   const fs::path& file, size_t line) {
  LMX_CHECK(r.is_object(), ValueError, "perplexity", "{}:{}: a record must be a JSON object",
            file.string(), line);
  auto chat = [&](nlohmann::ordered_json messages, const nlohmann::ordered_json& tools) {
    if (!tpl) {
      LMX_CHECK(tok.chat_template().has_value(), ValueError, "perplexity",
                "{}:{}: chat records need a chat template, and the model has none", file.string(),
                line);
      tpl = ChatTemplate::load(model_dir);
    }
    ChatTemplateInputs in;
    in.messages = std::move(messages);
    if (!tools.is_null()) in.tools = tools;
    return tok.encode(tpl->apply(in), false);
  };
  nlohmann::ordered_json tools = r.contains("tools") ? r["tools"] : nlohmann::ordered_json();
  if (r.contains("messages")) return chat(r["messages"], tools);
  if (r.contains("prompt") && r.contains("completion")) {
    nlohmann::ordered_json m = nlohmann::ordered_json::array();
    m.push_back({{"role", "user"}, {"content", r["prompt"]}});
    m.push_back({{"role", "assistant"}, {"content", r["completion"]}});
    return chat(std::move(m), tools);
  }
  if (r.contains("text")) {
    LMX_CHECK(r["text"].is_string(), ValueError, "perplexity", "{}:{}: \"text\" must be a string",
              file.string(), line);
    auto ids = tok.encode(r["text"].get<std::string>(), true);
    auto eos = tok.eos_id();
    if (eos && (ids.empty() || ids.back() != *eos)) ids.push_back(*eos);
    return ids;
  }
  raise<ValueError>("perplexity",
                    "{}:{}: unknown record format (expected \"text\", \"prompt\"/\"completion\" "
                    "or \"messages\")",
                    file.string(), line);
}

}  // namespace

PerplexityData load_perplexity_data(const Tokenizer& tokenizer, const fs::path& model_dir,
                                    const fs::path& file, int sequence_length, int num_samples) {
  LMX_CHECK(sequence_length >= 2, ValueError, "perplexity",
            "sequence_length must be at least 2, got {}", sequence_length);
  LMX_CHECK(num_samples == -1 || num_samples > 0, ValueError, "perplexity",
            "num_samples must be positive or -1 (all), got {}", num_samples);
  LMX_CHECK(fs::is_regular_file(file), ValueError, "perplexity", "'{}' is not a file",
            file.string());
  const size_t L = size_t(sequence_length);
  const size_t limit = num_samples < 0 ? SIZE_MAX : size_t(num_samples);
  PerplexityData data;
  std::string name = file.filename().string();
  if (has_suffix(name, ".jsonl")) {
    std::ifstream in(file);
    LMX_CHECK(in.good(), ValueError, "perplexity", "cannot read '{}'", file.string());
    std::optional<ChatTemplate> tpl;
    std::vector<int32_t> pending;
    std::string line;
    size_t lineno = 0;
    while (data.rows.size() < limit && std::getline(in, line)) {
      ++lineno;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      nlohmann::ordered_json r;
      try {
        r = nlohmann::ordered_json::parse(line);
      } catch (const nlohmann::json::exception& e) {
        raise<ValueError>("perplexity", "{}:{}: invalid JSON: {}", file.string(), lineno, e.what());
      }
      auto ids = record_tokens(tokenizer, model_dir, tpl, r, file, lineno);
      pending.insert(pending.end(), ids.begin(), ids.end());
      size_t at = 0;
      while (pending.size() - at >= L && data.rows.size() < limit) {
        data.rows.emplace_back(pending.begin() + at, pending.begin() + at + L);
        at += L;
      }
      pending.erase(pending.begin(), pending.begin() + at);
    }
  } else {
    std::vector<int32_t> ids = tokenizer.encode(read_file(file), false);
    auto bos = tokenizer.bos_id();
    size_t w = bos ? L - 1 : L;
    for (size_t at = 0; at + w <= ids.size() && data.rows.size() < limit; at += w) {
      std::vector<int32_t> row;
      row.reserve(L);
      if (bos) row.push_back(*bos);
      row.insert(row.end(), ids.begin() + at, ids.begin() + at + w);
      data.rows.push_back(std::move(row));
    }
  }
  LMX_CHECK(!data.rows.empty(), ValueError, "perplexity",
            "'{}' holds fewer than {} tokens, too few for one sequence", file.string(), L);
  return data;
}

PerplexityResult perplexity(models::Model& model, const PerplexityData& data, int batch_size,
                            const std::function<void(int64_t, int64_t)>& on_batch) {
  LMX_CHECK(batch_size > 0, ValueError, "perplexity", "batch_size must be positive, got {}",
            batch_size);
  LMX_CHECK(!data.rows.empty(), ValueError, "perplexity", "no data");
  const int64_t L = int64_t(data.rows[0].size());
  const int64_t V = model.vocab_size();
  for (const auto& row : data.rows) {
    LMX_CHECK(int64_t(row.size()) == L, ValueError, "perplexity", "rows differ in length");
    for (int32_t t : row)
      LMX_CHECK(t >= 0 && t < V, ValueError, "perplexity",
                "token {} is outside the vocabulary of {}", t, V);
  }
  std::vector<double> losses;
  losses.reserve(size_t(data.rows.size() * (L - 1)));
  auto t0 = std::chrono::steady_clock::now();
  const int64_t n = int64_t(data.rows.size());
  for (int64_t b0 = 0; b0 < n; b0 += batch_size) {
    int64_t B = std::min<int64_t>(batch_size, n - b0);
    std::vector<int32_t> inputs;
    inputs.reserve(size_t(B * (L - 1)));
    for (int64_t b = 0; b < B; ++b) {
      const auto& row = data.rows[size_t(b0 + b)];
      inputs.insert(inputs.end(), row.begin(), row.end() - 1);
    }
    Array logits = model(Array(inputs.data(), Shape{B, L - 1}, Dtype::int32), nullptr);
    for (int64_t b = 0; b < B; ++b) {
      const auto& row = data.rows[size_t(b0 + b)];
      std::vector<float> lg = astype(slice(logits, 0, b, b + 1), Dtype::float32).to_vector<float>();
      for (int64_t p = 0; p < L - 1; ++p) {
        const float* x = lg.data() + p * V;
        float m = x[0];
        for (int64_t v = 1; v < V; ++v) m = std::max(m, x[v]);
        double s = 0;
        for (int64_t v = 0; v < V; ++v) s += std::exp(double(x[v] - m));
        losses.push_back(double(m) + std::log(s) - double(x[row[size_t(p + 1)]]));
      }
    }
    if (on_batch) on_batch(b0 + B, n);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  PerplexityResult r;
  r.tokens_scored = int64_t(losses.size());
  r.num_samples = n;
  double mean = 0;
  for (double l : losses) mean += l;
  mean /= double(losses.size());
  double var = 0;
  for (double l : losses) var += (l - mean) * (l - mean);
  var = losses.size() > 1 ? var / double(losses.size() - 1) : 0.0;
  double se_loss = std::sqrt(var) / std::sqrt(double(losses.size()));
  r.mean_nll = mean;
  r.perplexity = std::exp(mean);
  r.standard_error = r.perplexity * se_loss;
  r.seconds = secs;
  r.tokens_per_second = secs > 0 ? double(n * L) / secs : 0;
  r.peak_memory_gb = peak_memory_gb();
  return r;
}

}  // namespace lmx
