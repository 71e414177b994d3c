// SPDX-License-Identifier: MIT
// Per-layer caches that models read and extend during generation. A model hands its new
// keys and values to KVCacheBase::attend(), which stores them in the cache's format
// (growing, rotating, quantized) and runs attention over everything cached, so model
// files never see the format. make_cache() in each model picks the kinds.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lmx/core/array.h"
#include "lmx/core/fast.h"

namespace lmx::nn {

class Cache {
 public:
  virtual ~Cache() = default;
  // Tokens seen so far (the position of the next token).
  virtual int64_t offset() const = 0;
  // Whether trim() can drop tokens from the end.
  virtual bool is_trimmable() const { return false; }
  // Drops up to n tokens from the end; returns how many were dropped.
  virtual int64_t trim(int64_t n) { return 0; }
  // The cache's arrays and metadata, in MLX-LM's prompt-cache layout.
  virtual std::vector<Array> state() const = 0;
  virtual std::vector<std::string> meta_state() const { return {}; }
  virtual void set_state(std::vector<Array> state, const std::vector<std::string>& meta) = 0;
  // MLX-LM's class name ("KVCache", "RotatingKVCache", ...), stored in prompt caches.
  virtual std::string class_name() const = 0;
  // Bytes held.
  virtual size_t nbytes() const;
};

// What a layer asks of attention beyond q, k, v.
struct AttentionSpec {
  float scale = 1.0f;
  int64_t sliding_window = 0;  // the model's window (0: none)
  float softcap = 0.0f;
  Array sinks;
};

// A key/value cache for attention layers.
class KVCacheBase : public Cache {
 public:
  // Appends keys/values (B, H, L, D) and returns everything cached (B, H, T, D), in the
  // order attention should see it.
  virtual std::pair<Array, Array> update_and_fetch(const Array& keys, const Array& values) = 0;
  // Appends k, v and returns attention of q (B, Hq, L, D) over the whole cache, causal
  // for L > 1: (B, Hq, L, Dv).
  virtual Array attend(const Array& q, const Array& k, const Array& v, const AttentionSpec& spec);
};

// Attention without a cache (prefix-free forward passes).
Array attend_uncached(const Array& q, const Array& k, const Array& v, const AttentionSpec& spec);

// The standard cache: grows in steps of `step` tokens, preallocated and written in place.
class KVCache : public KVCacheBase {
 public:
  explicit KVCache(int64_t step = 256) : step_(step) {}
  std::pair<Array, Array> update_and_fetch(const Array& keys, const Array& values) override;
  int64_t offset() const override { return offset_; }
  bool is_trimmable() const override { return true; }
  int64_t trim(int64_t n) override;
  std::vector<Array> state() const override;
  void set_state(std::vector<Array> state, const std::vector<std::string>& meta) override;
  std::string class_name() const override { return "KVCache"; }

 private:
  int64_t step_;
  int64_t offset_ = 0;
  Array keys_, values_;  // (B, H, capacity, D)
};

// A bounded cache (MLX-LM's RotatingKVCache): keeps the first `keep` tokens and the last
// max_size - keep, overwriting the oldest in a ring once full.
class RotatingKVCache : public KVCacheBase {
 public:
  RotatingKVCache(int64_t max_size, int64_t keep = 0, int64_t step = 256);
  std::pair<Array, Array> update_and_fetch(const Array& keys, const Array& values) override;
  Array attend(const Array& q, const Array& k, const Array& v, const AttentionSpec& spec) override;
  int64_t offset() const override { return offset_; }
  bool is_trimmable() const override { return offset_ < max_size_; }
  int64_t trim(int64_t n) override;
  std::vector<Array> state() const override;
  std::vector<std::string> meta_state() const override;
  void set_state(std::vector<Array> state, const std::vector<std::string>& meta) override;
  std::string class_name() const override { return "RotatingKVCache"; }
  int64_t max_size() const { return max_size_; }

 private:
  Array temporal_order(const Array& v) const;
  Array trim_front(int64_t n, const Array& v) const;
  int64_t keep_, max_size_, step_;
  int64_t offset_ = 0, idx_ = 0;
  Array keys_, values_;
};

// Keys and values stored MLX-quantized along the head dimension (MLX-LM's
// QuantizedKVCache). Attention runs on the quantized kernels. With max_size > 0 it is
// bounded like RotatingKVCache (which MLX-LM cannot do).
class QuantizedKVCache : public KVCacheBase {
 public:
  QuantizedKVCache(int group_size = 64, int bits = 8, int64_t max_size = 0, int64_t keep = 0);
  // Dequantized keys and values (for callers that need plain arrays).
  std::pair<Array, Array> update_and_fetch(const Array& keys, const Array& values) override;
  Array attend(const Array& q, const Array& k, const Array& v, const AttentionSpec& spec) override;
  int64_t offset() const override { return offset_; }
  bool is_trimmable() const override { return max_size_ == 0 || offset_ < max_size_; }
  int64_t trim(int64_t n) override;
  std::vector<Array> state() const override;
  std::vector<std::string> meta_state() const override;
  void set_state(std::vector<Array> state, const std::vector<std::string>& meta) override;
  std::string class_name() const override { return "QuantizedKVCache"; }

  // Quantizes an existing cache's contents.
  static std::shared_ptr<QuantizedKVCache> from_cache(const KVCacheBase& c, int group_size, int bits);

 private:
  struct Q {
    Array w, scales, biases;  // (B, H, T, D*bits/32), (B, H, T, D/group) x2
  };
  void append(Q& dst, const Array& x);
  Q window(const Q& q, int64_t begin, int64_t end) const;
  int group_size_, bits_;
  int64_t max_size_, keep_;
  int64_t offset_ = 0;  // tokens seen
  int64_t size_ = 0;    // tokens held (== offset_ unless bounded)
  Q keys_, values_;
};

using CacheList = std::vector<std::shared_ptr<Cache>>;

// Options generation passes to make caches: bounded size and KV quantization.
struct CacheOptions {
  int64_t max_kv_size = 0;  // 0: unbounded
  int kv_bits = 0;          // 0: float keys/values
  int kv_group_size = 64;
  int64_t quantized_kv_start = 0;  // quantize once the cache holds more than this
};

// Converts float KV caches to QuantizedKVCache once they hold more than
// opts.quantized_kv_start tokens (MLX-LM's maybe_quantize_kv_cache).
void maybe_quantize_kv_cache(CacheList& cache, const CacheOptions& opts);

}  // namespace lmx::nn
