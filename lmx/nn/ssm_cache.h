// SPDX-License-Identifier: MIT
// The cache of recurrent layers (MLX-LM's ArraysCache, formerly MambaCache): a fixed
// number of arrays that a layer replaces wholesale each step, such as the last K-1 inputs
// of a short convolution and an SSM's hidden state. A recurrent state cannot be rewound,
// so these caches are not trimmable.
#pragma once

#include <string>
#include <vector>

#include "lmx/core/array.h"
#include "lmx/nn/cache.h"

namespace lmx::nn {

class ArraysCache : public Cache {
 public:
  // `size` slots, all null until the layer first writes them.
  explicit ArraysCache(int size);
  // Slot i (null before the first write; writing past the end adds slots). The layer owns
  // the meaning and shape of each.
  Array& operator[](int i);
  const Array& operator[](int i) const;
  int size() const { return int(cache_.size()); }
  // Counts n more tokens; the layer calls it once per forward pass.
  void advance(int64_t n) { offset_ += n; }

  // Tokens seen since the cache was made. MLX-LM's prompt-cache layout does not store it:
  // a loaded cache starts at 0, and the loader sets it to its attention layers' count
  // when the model has some.
  int64_t offset() const override { return offset_; }
  // The slots, or nothing while any is still null.
  std::vector<Array> state() const override;
  void set_state(std::vector<Array> state, const std::vector<std::string>& meta) override;
  std::string class_name() const override { return "ArraysCache"; }

 private:
  std::vector<Array> cache_;
  int64_t offset_ = 0;
};

}  // namespace lmx::nn
