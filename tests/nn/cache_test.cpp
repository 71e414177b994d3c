// SPDX-License-Identifier: MIT
// The rotating cache keeps exactly the first `keep` tokens and the newest ones, in both
// its prefill (concatenating) and decode (in-place ring) paths, and attention over it
// equals attention over those tokens.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "lmx/core/fast.h"
#include "lmx/core/ops.h"
#include "lmx/nn/cache.h"

using namespace lmx;

namespace {
// Keys/values whose every element is the token's position, (1, 1, n, 4).
Array positions(int64_t start, int64_t n) {
  std::vector<float> v;
  for (int64_t i = 0; i < n; ++i)
    for (int d = 0; d < 4; ++d) v.push_back(float(start + i));
  return Array(v, Shape{1, 1, n, 4});
}
std::set<int> held(const Array& keys) {
  auto v = keys.to_vector<float>();
  std::set<int> s;
  for (size_t i = 0; i < v.size(); i += 4) s.insert(int(v[i]));
  return s;
}
}  // namespace

TEST(RotatingKVCache, KeepsTheFirstAndTheNewest) {
  const int64_t W = 8, keep = 2;
  for (int64_t prefill : {1, 3, 8, 11}) {
    nn::RotatingKVCache c(W, keep);
    int64_t pos = 0;
    auto [k, v] = c.update_and_fetch(positions(0, prefill), positions(0, prefill));
    pos = prefill;
    for (int step = 0; step < 13; ++step) {
      std::tie(k, v) = c.update_and_fetch(positions(pos, 1), positions(pos, 1));
      ++pos;
      std::set<int> want;
      for (int i = 0; i < keep && i < pos; ++i) want.insert(i);
      for (int64_t i = std::max<int64_t>(keep, pos - (W - keep)); i < pos; ++i) want.insert(int(i));
      EXPECT_EQ(held(k), want) << "prefill " << prefill << " step " << step;
      EXPECT_EQ(c.offset(), pos);
    }
  }
}

TEST(RotatingKVCache, AttentionMatchesTheHeldTokens) {
  // One query over a full ring equals attention over the same keys in temporal order.
  const int64_t W = 6;
  nn::RotatingKVCache c(W, 0);
  std::vector<float> kv;
  int64_t pos = 0;
  for (; pos < 9; ++pos) c.update_and_fetch(positions(pos, 1), positions(pos, 1));
  Array q = full({1, 1, 1, 4}, 0.1);
  Array k = positions(pos, 1);
  Array got = c.attend(q, k, k, {.scale = 1.0f});
  Array keys = positions(pos - W + 1, W);  // the last W tokens in order
  Array want = fast::scaled_dot_product_attention(q, keys, keys, 1.0f);
  auto g = got.to_vector<float>(), w = want.to_vector<float>();
  for (size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], w[i], 1e-5);
}
