// SPDX-License-Identifier: MIT
#include "lmx/generate/sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <set>
#include <unordered_map>

#include "lmx/core/error.h"

namespace lmx {

namespace {
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

int32_t argmax(const std::vector<float>& v) {
  return int32_t(std::max_element(v.begin(), v.end()) - v.begin());
}
}  // namespace

void apply_top_k(std::vector<float>& lp, int k) {
  if (k <= 0 || size_t(k) >= lp.size()) return;
  std::vector<float> tmp(lp);
  std::nth_element(tmp.begin(), tmp.begin() + (k - 1), tmp.end(), std::greater<float>());
  float kth = tmp[k - 1];
  // Keep exactly k: the ones above kth, then ties at kth by index order.
  int above = 0;
  for (float x : lp) above += x > kth;
  int ties_left = k - above;
  for (auto& x : lp) {
    if (x > kth) continue;
    if (x == kth && ties_left > 0) {
      --ties_left;
      continue;
    }
    x = kNegInf;
  }
}

void apply_top_p(std::vector<float>& lp, float top_p) {
  // Keep the smallest set of most likely tokens whose probability reaches top_p
  // (MLX-LM: sorted ascending, keep where the cumulative sum exceeds 1 - top_p).
  std::vector<int32_t> idx(lp.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int32_t a, int32_t b) { return lp[a] < lp[b]; });
  double cum = 0;
  std::vector<bool> keep(lp.size(), false);
  for (int32_t i : idx) {
    cum += std::exp(double(lp[i]));
    keep[i] = cum > 1.0 - double(top_p);
  }
  for (size_t i = 0; i < lp.size(); ++i)
    if (!keep[i]) lp[i] = kNegInf;
}

void apply_min_p(std::vector<float>& lp, float min_p, int min_tokens_to_keep) {
  float top = *std::max_element(lp.begin(), lp.end());
  float threshold = top + std::log(min_p);
  std::vector<int32_t> idx(lp.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int32_t a, int32_t b) { return lp[a] > lp[b]; });
  std::vector<bool> keep(lp.size(), false);
  for (size_t r = 0; r < idx.size(); ++r)
    keep[idx[r]] = lp[idx[r]] >= threshold || int(r) < min_tokens_to_keep;
  for (size_t i = 0; i < lp.size(); ++i)
    if (!keep[i]) lp[i] = kNegInf;
}

void apply_xtc(std::vector<float>& lp, float probability, float threshold,
               std::span<const int32_t> special, std::mt19937_64& rng) {
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  if (u(rng) > probability) return;
  // Remove every token above the threshold except the least likely of them.
  float logt = std::log(threshold);
  float min_above = std::numeric_limits<float>::infinity();
  int count = 0;
  for (float x : lp)
    if (x > logt) {
      ++count;
      min_above = std::min(min_above, x);
    }
  if (count < 2) return;
  std::set<int32_t> keep(special.begin(), special.end());
  for (size_t i = 0; i < lp.size(); ++i)
    if (lp[i] > logt && lp[i] > min_above && !keep.count(int32_t(i))) lp[i] = kNegInf;
}

Sampler make_sampler(const SamplerParams& p) {
  LMX_CHECK(p.temp >= 0, ValueError, "sampler", "temperature must be >= 0, got {}", p.temp);
  LMX_CHECK(p.top_p >= 0 && p.top_p <= 1, ValueError, "sampler", "top_p must be in [0, 1], got {}",
            p.top_p);
  LMX_CHECK(p.min_p >= 0 && p.min_p <= 1, ValueError, "sampler", "min_p must be in [0, 1], got {}",
            p.min_p);
  LMX_CHECK(p.top_k >= 0, ValueError, "sampler", "top_k must be >= 0, got {}", p.top_k);
  LMX_CHECK(p.xtc_probability >= 0 && p.xtc_probability <= 1, ValueError, "sampler",
            "xtc_probability must be in [0, 1], got {}", p.xtc_probability);
  LMX_CHECK(p.xtc_threshold >= 0 && p.xtc_threshold <= 0.5, ValueError, "sampler",
            "xtc_threshold must be in [0, 0.5], got {}", p.xtc_threshold);
  if (p.temp == 0) return [](std::vector<float>& lp) { return argmax(lp); };
  auto rng = std::make_shared<std::mt19937_64>(p.seed);
  return [p, rng](std::vector<float>& lp) {
    if (p.top_k > 0) apply_top_k(lp, p.top_k);
    if (p.top_p > 0 && p.top_p < 1) apply_top_p(lp, p.top_p);
    if (p.min_p != 0) apply_min_p(lp, p.min_p, p.min_tokens_to_keep);
    if (p.xtc_probability > 0) apply_xtc(lp, p.xtc_probability, p.xtc_threshold,
                                         p.xtc_special_tokens, *rng);
    // Categorical draw from softmax(lp / temp) via the Gumbel-max trick.
    std::uniform_real_distribution<double> u(std::numeric_limits<double>::min(), 1.0);
    double best = -std::numeric_limits<double>::infinity();
    int32_t pick = 0;
    for (size_t i = 0; i < lp.size(); ++i) {
      if (lp[i] == kNegInf) continue;
      double g = double(lp[i]) / p.temp - std::log(-std::log(u(*rng)));
      if (g > best) {
        best = g;
        pick = int32_t(i);
      }
    }
    return pick;
  };
}

std::vector<LogitsProcessor> make_logits_processors(const LogitsProcessorParams& p) {
  std::vector<LogitsProcessor> out;
  if (!p.logit_bias.empty()) {
    auto bias = p.logit_bias;
    out.push_back([bias](std::span<const int32_t>, std::vector<float>& logits) {
      for (auto& [id, b] : bias)
        if (id >= 0 && size_t(id) < logits.size()) logits[id] += b;
    });
  }
  auto context = [](std::span<const int32_t> tokens, int size) {
    size_t n = size > 0 ? std::min(tokens.size(), size_t(size)) : tokens.size();
    return tokens.subspan(tokens.size() - n);
  };
  if (p.repetition_penalty != 0 && p.repetition_penalty != 1) {
    LMX_CHECK(p.repetition_penalty > 0, ValueError, "logits processor",
              "repetition_penalty must be > 0, got {}", p.repetition_penalty);
    float pen = p.repetition_penalty;
    int size = p.repetition_context_size;
    out.push_back([pen, size, context](std::span<const int32_t> tokens, std::vector<float>& l) {
      std::set<int32_t> seen;
      for (int32_t t : context(tokens, size)) {
        if (t < 0 || size_t(t) >= l.size() || !seen.insert(t).second) continue;
        l[t] = l[t] < 0 ? l[t] * pen : l[t] / pen;
      }
    });
  }
  if (p.presence_penalty != 0) {
    float pen = p.presence_penalty;
    int size = p.presence_context_size;
    out.push_back([pen, size, context](std::span<const int32_t> tokens, std::vector<float>& l) {
      std::set<int32_t> seen;
      for (int32_t t : context(tokens, size))
        if (t >= 0 && size_t(t) < l.size() && seen.insert(t).second) l[t] -= pen;
    });
  }
  if (p.frequency_penalty != 0) {
    float pen = p.frequency_penalty;
    int size = p.frequency_context_size;
    out.push_back([pen, size, context](std::span<const int32_t> tokens, std::vector<float>& l) {
      for (int32_t t : context(tokens, size))
        if (t >= 0 && size_t(t) < l.size()) l[t] -= pen;
    });
  }
  return out;
}

}  // namespace lmx
