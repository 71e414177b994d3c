// SPDX-License-Identifier: MIT
#include "lmx/models/rope.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "lmx/core/error.h"
#include "lmx/core/fast.h"
#include "lmx/core/ops.h"

namespace lmx::models {

namespace {

std::vector<double> default_inv_freq(double base, int64_t dims) {
  std::vector<double> f(dims / 2);
  for (int64_t i = 0; i < dims / 2; ++i) f[i] = 1.0 / std::pow(base, double(2 * i) / double(dims));
  return f;
}

double yarn_mscale(double scale, double mscale) {
  return scale <= 1.0 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0;
}

}  // namespace

RoPE::RoPE(const io::RopeConfig& cfg, int64_t head_dim, int64_t max_pos, bool traditional)
    : cfg_(cfg),
      dims_(int64_t(double(head_dim) * cfg.partial_rotary_factor)),
      max_pos_(max_pos),
      traditional_(traditional) {
  const std::string& t = cfg.type;
  double base = cfg.theta;
  base_inv_freq_ = default_inv_freq(base, dims_);
  if (t == "default" || t == "dynamic") {
  } else if (t == "linear") {
    for (auto& f : base_inv_freq_) f /= cfg.factor;
  } else if (t == "llama3") {
    double old_ctx = double(cfg.original_max_position_embeddings.value_or(8192));
    double low_wavelen = old_ctx / cfg.low_freq_factor;
    double high_wavelen = old_ctx / cfg.high_freq_factor;
    for (auto& f : base_inv_freq_) {
      double wavelen = 2 * M_PI / f;
      if (wavelen < high_wavelen) continue;
      if (wavelen > low_wavelen) {
        f /= cfg.factor;
      } else {
        double smooth = (old_ctx / wavelen - cfg.low_freq_factor) /
                        (cfg.high_freq_factor - cfg.low_freq_factor);
        f = (1 - smooth) * f / cfg.factor + smooth * f;
      }
    }
  } else if (t == "yarn") {
    double factor = cfg.factor;
    double orig = double(cfg.original_max_position_embeddings.value_or(max_pos));
    if (cfg.attention_factor) {
      attention_factor_ = *cfg.attention_factor;
    } else if (cfg.mscale && cfg.mscale_all_dim) {
      attention_factor_ =
          yarn_mscale(factor, *cfg.mscale) / yarn_mscale(factor, *cfg.mscale_all_dim);
    } else {
      attention_factor_ = yarn_mscale(factor, 1.0);
    }
    auto correction_dim = [&](double rot) {
      return (double(dims_) * std::log(orig / (rot * 2 * M_PI))) / (2 * std::log(base));
    };
    double low = correction_dim(cfg.beta_fast), high = correction_dim(cfg.beta_slow);
    if (cfg.truncate) {
      low = std::floor(low);
      high = std::ceil(high);
    }
    low = std::max(low, 0.0);
    high = std::min(high, double(dims_ - 1));
    if (low == high) high += 0.001;
    for (int64_t i = 0; i < dims_ / 2; ++i) {
      double pos_freq = std::pow(base, double(2 * i) / double(dims_));
      double extrap = 1.0 / pos_freq, interp = 1.0 / (factor * pos_freq);
      double ramp = std::clamp((double(i) - low) / (high - low), 0.0, 1.0);
      double extrap_factor = 1.0 - ramp;
      base_inv_freq_[i] = interp * (1 - extrap_factor) + extrap * extrap_factor;
    }
  } else if (t == "longrope" || t == "su") {
    double orig = double(cfg.original_max_position_embeddings.value_or(max_pos));
    double factor = double(max_pos) / orig;
    if (cfg.attention_factor)
      attention_factor_ = *cfg.attention_factor;
    else
      attention_factor_ =
          factor <= 1.0 ? 1.0 : std::sqrt(1.0 + std::log(factor) / std::log(orig));
    LMX_CHECK(int64_t(cfg.short_factor.size()) == dims_ / 2 &&
                  int64_t(cfg.long_factor.size()) == dims_ / 2,
              ValueError, "rope", "longrope needs {} short and long factors, got {} and {}",
              dims_ / 2, cfg.short_factor.size(), cfg.long_factor.size());
  } else {
    raise<ValueError>("rope", "unsupported rope type '{}'", t);
  }
  std::vector<float> fr(base_inv_freq_.size());
  for (size_t i = 0; i < fr.size(); ++i) fr[i] = float(1.0 / base_inv_freq_[i]);
  freqs_ = Array(fr, Shape{int64_t(fr.size())});
}

std::vector<double> RoPE::inv_freq(int64_t seq_len) const {
  const std::string& t = cfg_.type;
  if (t == "dynamic" && seq_len > max_pos_) {
    double base = cfg_.theta * std::pow(cfg_.factor * double(seq_len) / double(max_pos_) -
                                            (cfg_.factor - 1),
                                        double(dims_) / double(dims_ - 2));
    return default_inv_freq(base, dims_);
  }
  if (t == "longrope" || t == "su") {
    double orig = double(cfg_.original_max_position_embeddings.value_or(max_pos_));
    const auto& ext = double(seq_len) > orig ? cfg_.long_factor : cfg_.short_factor;
    auto f = default_inv_freq(cfg_.theta, dims_);
    for (size_t i = 0; i < f.size(); ++i) f[i] /= ext[i];
    return f;
  }
  return base_inv_freq_;
}

Array RoPE::operator()(const Array& x, int64_t offset) const {
  int64_t seq_len = offset + x.shape(-2);
  Array freqs = freqs_;
  const std::string& t = cfg_.type;
  if ((t == "dynamic" && seq_len > max_pos_) || t == "longrope" || t == "su") {
    auto inv = inv_freq(seq_len);
    std::vector<float> fr(inv.size());
    for (size_t i = 0; i < fr.size(); ++i) fr[i] = float(1.0 / inv[i]);
    freqs = Array(fr, Shape{int64_t(fr.size())});
  }
  Array in = x;
  if (attention_factor_ != 1.0) {
    // cos and sin are scaled by the attention factor: scale the rotated part.
    Array af{float(attention_factor_)};
    if (dims_ == x.shape(-1)) {
      in = multiply(x, af);
    } else {
      in = concatenate({multiply(slice(x, -1, 0, dims_), af), slice(x, -1, dims_, x.shape(-1))},
                       -1);
    }
  }
  return fast::rope(in, int(dims_), traditional_, std::nullopt, 1.0f, int(offset), freqs);
}

}  // namespace lmx::models
