// SPDX-License-Identifier: MIT
// Fused operations (MLX's mlx.core.fast): normalization, rotary embeddings and attention,
// each one primitive with its own kernel. Every op has a `*_reference` twin built from
// ordinary ops that defines its semantics; the fused vjps differentiate that composite.
#pragma once

#include <optional>
#include <string_view>

#include "lmx/core/array.h"

namespace lmx::fast {

// x / sqrt(mean(x^2, -1) + eps) * weight over the last axis. `weight` (shape (D,)) may be
// a null Array (no scaling). Accumulates in float32; the output has the promoted dtype
// of x and weight.
Array rms_norm(const Array& x, const Array& weight, float eps);
Array rms_norm_reference(const Array& x, const Array& weight, float eps);

// (x - mean) / sqrt(var + eps) * weight + bias over the last axis; weight and bias (D,)
// are optional (null Arrays). Float32 accumulation.
Array layer_norm(const Array& x, const Array& weight, const Array& bias, float eps);
Array layer_norm_reference(const Array& x, const Array& weight, const Array& bias, float eps);

// Rotary position embedding of x (B, H, L, D) (or (B, L, D), or more leading axes folded
// into H), as MLX: rotates the first `dims` features and passes the rest through.
// traditional: pairs (x[2i], x[2i+1]); else split halves (x[i], x[i + dims/2]) as Hugging
// Face/Llama. The angle of pair i at sequence index l is
//   (offset + l) * scale * inv_freq[i],  inv_freq[i] = base^(-2i/dims)  or  1 / freqs[i].
// Exactly one of `base` and `freqs` (shape (dims/2,)) is given. `offset` is an int or an
// integer Array of shape () or (B,) (one offset per batch row).
Array rope(const Array& x, int dims, bool traditional, std::optional<float> base, float scale,
           int offset, const Array& freqs = {});
Array rope(const Array& x, int dims, bool traditional, std::optional<float> base, float scale,
           const Array& offset, const Array& freqs = {});
Array rope_reference(const Array& x, int dims, bool traditional, std::optional<float> base,
                     float scale, const Array& offset, const Array& freqs = {});

// Which scores attention masks: none (default), "causal", or an explicit mask array
// broadcastable to (B, Hq, Lq, Lk): bool (true = keep) or additive float.
struct AttentionMask {
  AttentionMask() = default;
  AttentionMask(const char* mode) : AttentionMask(std::string_view(mode)) {}  // NOLINT
  AttentionMask(std::string_view mode);                                       // NOLINT
  AttentionMask(Array mask) : array(std::move(mask)) {}                       // NOLINT
  bool causal = false;
  Array array;
};

// Options of scaled_dot_product_attention beyond the mask, e.g. {.sliding_window = 4096}.
struct AttentionOptions {
  // > 0: query at absolute position p sees only keys j with p - window < j (itself and
  // the window - 1 before it); combined with the mask (use it with "causal").
  int sliding_window = 0;
  // > 0: scores become softcap * tanh(scores / softcap) before masking (Gemma 2).
  float softcap = 0.0f;
  // (Hq,): a learned logit per query head that joins the softmax denominator with no
  // value (gpt-oss attention sinks). Null for none.
  Array sinks{};
};

// softmax(scale * q @ k^T + mask) @ v with q (B, Hq, Lq, Dk), k (B, Hkv, Lk, Dk) and
// v (B, Hkv, Lk, Dv); Hq a multiple of Hkv (GQA/MQA: query head h reads kv head
// h / (Hq / Hkv)). Queries are aligned to the end of the keys: query i is at absolute
// position i + Lk - Lq. Causal keeps keys j <= that position. Returns (B, Hq, Lq, Dv) in
// the promoted dtype of q, k, v; accumulates in float32. Inputs may be strided views.
Array scaled_dot_product_attention(const Array& q, const Array& k, const Array& v, float scale,
                                   const AttentionMask& mask = {},
                                   const AttentionOptions& options = {});
Array scaled_dot_product_attention_reference(const Array& q, const Array& k, const Array& v,
                                             float scale, const AttentionMask& mask = {},
                                             const AttentionOptions& options = {});

}  // namespace lmx::fast
