// SPDX-License-Identifier: MIT
// Per-layer caches that models read and extend during generation. Models see only this
// interface; which kind a layer gets is the model's make_cache() choice and the
// generation options (bounded size, quantized KV).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lmx/core/array.h"

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
  // The cache's arrays and metadata, for saving prompt caches (MLX-LM's layout).
  virtual std::vector<Array> state() const = 0;
  virtual std::map<std::string, std::string> meta_state() const { return {}; }
  virtual void set_state(std::vector<Array> state, const std::map<std::string, std::string>& meta) = 0;
  // MLX-LM's class name ("KVCache", "RotatingKVCache", ...), stored in prompt caches.
  virtual std::string class_name() const = 0;
  // Bytes held.
  virtual size_t nbytes() const;
};

// A key/value cache for attention layers.
class KVCacheBase : public Cache {
 public:
  // Appends keys/values (B, H, L, D) and returns everything cached, (B, H, T, D) each.
  virtual std::pair<Array, Array> update_and_fetch(const Array& keys, const Array& values) = 0;
  // For a rotating cache: the attention mask for `n` new queries (none when plain causal).
  virtual bool is_rotating() const { return false; }
};

// The standard cache: grows in steps of `step` tokens, preallocated and written in place.
class KVCache : public KVCacheBase {
 public:
  explicit KVCache(int64_t step = 256) : step_(step) {}
  std::pair<Array, Array> update_and_fetch(const Array& keys, const Array& values) override;
  int64_t offset() const override { return offset_; }
  bool is_trimmable() const override { return true; }
  int64_t trim(int64_t n) override;
  std::vector<Array> state() const override;
  void set_state(std::vector<Array> state, const std::map<std::string, std::string>& meta) override;
  std::string class_name() const override { return "KVCache"; }

 private:
  int64_t step_;
  int64_t offset_ = 0;
  Array keys_, values_;  // (B, H, capacity, D)
};

using CacheList = std::vector<std::shared_ptr<Cache>>;

}  // namespace lmx::nn
