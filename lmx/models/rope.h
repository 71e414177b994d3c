// SPDX-License-Identifier: MIT
// Rotary position embeddings with every scaling checkpoints use (default, linear,
// dynamic NTK, llama3, yarn, longrope), computed as Hugging Face's rope utilities do.
#pragma once

#include <vector>

#include "lmx/core/array.h"
#include "lmx/io/config.h"

namespace lmx::models {

class RoPE {
 public:
  // head_dim: the per-head size; the rotated part is head_dim * partial_rotary_factor.
  RoPE(const io::RopeConfig& cfg, int64_t head_dim, int64_t max_position_embeddings,
       bool traditional = false);
  // x (B, H, L, D): rotates positions offset .. offset + L - 1.
  Array operator()(const Array& x, int64_t offset) const;
  int64_t dims() const { return dims_; }
  // Inverse frequencies (dims/2) in use for a sequence of `seq_len` tokens.
  std::vector<double> inv_freq(int64_t seq_len) const;

 private:
  io::RopeConfig cfg_;
  int64_t dims_;
  int64_t max_pos_;
  bool traditional_;
  double attention_factor_ = 1.0;
  std::vector<double> base_inv_freq_;  // for every type but dynamic/longrope
  Array freqs_;                          // 1 / inv_freq, float32
};

}  // namespace lmx::models
