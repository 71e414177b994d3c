// SPDX-License-Identifier: MIT
#include "lmx/nn/ssm_cache.h"

#include "lmx/core/error.h"

namespace lmx::nn {

ArraysCache::ArraysCache(int size) : cache_(size_t(size)) {
  LMX_CHECK(size > 0, ValueError, "ArraysCache", "size must be positive, got {}", size);
}

Array& ArraysCache::operator[](int i) {
  LMX_CHECK(i >= 0, ValueError, "ArraysCache", "slot {} is negative", i);
  if (i >= size()) cache_.resize(size_t(i) + 1);  // a loaded cache saved before its first step
  return cache_[size_t(i)];
}

const Array& ArraysCache::operator[](int i) const {
  LMX_CHECK(i >= 0 && i < size(), ValueError, "ArraysCache", "slot {} of {}", i, size());
  return cache_[size_t(i)];
}

std::vector<Array> ArraysCache::state() const {
  for (const auto& a : cache_)
    if (!a.valid()) return {};
  return cache_;
}

void ArraysCache::set_state(std::vector<Array> state, const std::vector<std::string>&) {
  // An empty state is a cache saved before its first step.
  if (!state.empty()) cache_ = std::move(state);
  offset_ = 0;
}

}  // namespace lmx::nn
