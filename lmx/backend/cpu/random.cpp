// SPDX-License-Identifier: MIT
// Threefry-2x32 (20 rounds) random bits. For a key filling W 32-bit words, word pairs
// (j, j + ceil(W/2)) come from hashing the counter pair (j, j + ceil(W/2)); with W odd the
// middle word is the first half of hash(W/2, 0). This is MLX's layout, and JAX's for even
// W, so keys give the same bits as there. Words are independent, so rows run in parallel.
#include <cstring>

#include "lmx/backend/cpu/threading.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives_random.h"

namespace lmx {

namespace {

inline uint32_t rotl(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

inline void threefry2x32(uint32_t k0, uint32_t k1, uint32_t& x0, uint32_t& x1) {
  static constexpr int kRot[2][4] = {{13, 15, 26, 6}, {17, 29, 16, 24}};
  const uint32_t ks[3] = {k0, k1, k0 ^ k1 ^ 0x1BD11BDAu};
  x0 += ks[0];
  x1 += ks[1];
  for (int i = 0; i < 5; ++i) {
    for (int r : kRot[i % 2]) {
      x0 += x1;
      x1 = rotl(x1, r) ^ x0;
    }
    x0 += ks[(i + 1) % 3];
    x1 += ks[(i + 2) % 3] + uint32_t(i + 1);
  }
}

// Writes word w (little-endian, truncated at the end of the block) of `bytes`.
inline void put_word(char* dst, size_t bytes, size_t w, uint32_t v) {
  size_t at = 4 * w;
  std::memcpy(dst + at, &v, std::min<size_t>(4, bytes - at));
}

}  // namespace

void RandomBits::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  out.allocate();
  Array keys = contiguous(inputs[0]);
  int64_t num_keys = keys.size() / 2;
  if (out.size() == 0 || num_keys == 0) return;
  const uint32_t* k = keys.data<uint32_t>();
  size_t bytes = out.nbytes() / size_t(num_keys);
  size_t words = (bytes + 3) / 4, half = words / 2, odd = words % 2;
  char* base = static_cast<char*>(out.raw_data());
  // One task per (key, pair of words).
  int64_t tasks = num_keys * int64_t(half + odd);
  cpu::parallel_for(tasks, 64, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t i = t / int64_t(half + odd);
      size_t j = size_t(t % int64_t(half + odd));
      char* dst = base + size_t(i) * bytes;
      uint32_t k0 = k[2 * i], k1 = k[2 * i + 1];
      if (j < half) {
        uint32_t x0 = uint32_t(j), x1 = uint32_t(j + half + odd);
        threefry2x32(k0, k1, x0, x1);
        put_word(dst, bytes, j, x0);
        put_word(dst, bytes, j + half + odd, x1);
      } else {
        uint32_t x0 = uint32_t(half), x1 = 0;
        threefry2x32(k0, k1, x0, x1);
        put_word(dst, bytes, half, x0);
      }
    }
  });
}

}  // namespace lmx
