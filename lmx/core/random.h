// SPDX-License-Identifier: MIT
// Random numbers as in MLX: counter-based (Threefry-2x32) and splittable, so a key (a
// uint32 array of shape (2,)) always gives the same numbers, in any order and on any
// thread. Functions take an optional key; without one they draw the next key from a
// global sequence (mutex-protected) that random::seed resets. Bits match MLX's for the
// same key.
#pragma once

#include <cstdint>
#include <utility>

#include "lmx/core/array.h"

namespace lmx::random {

// Resets the global key sequence (it starts from a time-based seed, as in MLX).
void seed(uint64_t seed);
// The key of a seed: {seed >> 32, seed & 0xffffffff} as uint32.
Array key(uint64_t seed);
// `num` new keys from `key`, shape (num, 2).
Array split(const Array& key, int num);
// Two new keys.
std::pair<Array, Array> split(const Array& key);

// Raw random bits: uint32, uint16 or uint8 for width 4, 2 or 1.
Array bits(const Shape& shape, int width = 4, const Array& key = {});

// Uniform in [low, high) (low/high broadcast to `shape`); float dtypes only.
Array uniform(const Array& low, const Array& high, const Shape& shape,
              Dtype dtype = Dtype::float32, const Array& key = {});
Array uniform(const Shape& shape, Dtype dtype = Dtype::float32, const Array& key = {});
// Normal with mean `loc` and standard deviation `scale` (null = 0 and 1).
Array normal(const Shape& shape, Dtype dtype = Dtype::float32, const Array& loc = {},
             const Array& scale = {}, const Array& key = {});
// Normal truncated to [lower, upper] (broadcast to `shape`).
Array truncated_normal(const Array& lower, const Array& upper, const Shape& shape,
                       Dtype dtype = Dtype::float32, const Array& key = {});
// Integers uniform in [low, high); low >= high gives low.
Array randint(const Array& low, const Array& high, const Shape& shape,
              Dtype dtype = Dtype::int32, const Array& key = {});
// True with probability p (a float array broadcast to `shape`).
Array bernoulli(const Array& p, const Shape& shape, const Array& key = {});
Array bernoulli(const Array& p, const Array& key = {});
// Standard Gumbel samples.
Array gumbel(const Shape& shape, Dtype dtype = Dtype::float32, const Array& key = {});
// Samples indices (uint32) from the unnormalized log-probabilities `logits` along `axis`:
// one per distribution, `num_samples` per distribution (appended as the last axis), or a
// `shape` that the other axes of logits broadcast to.
Array categorical(const Array& logits, int axis = -1, const Array& key = {});
Array categorical(const Array& logits, int axis, int num_samples, const Array& key = {});
Array categorical(const Array& logits, int axis, const Shape& shape, const Array& key = {});

}  // namespace lmx::random
