// SPDX-License-Identifier: MIT
// The memory read-bandwidth probe every benchmark reports beside its kernels: all threads
// of lmx's pool stream their share of a buffer far larger than the caches, with the widest
// loads the CPU has and software prefetch a few KiB ahead (the same technique the kernels
// use, so the probe is a ceiling for them, not a strawman).
#pragma once

#include <immintrin.h>
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*() and trip this warning.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <cstdint>
#include <vector>

#include "lmx/backend/cpu/threading.h"

namespace lmx::bench {

namespace detail {

__attribute__((target("avx512f"))) inline uint64_t sum_avx512(const uint64_t* p, int64_t n) {
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    _mm_prefetch(reinterpret_cast<const char*>(p + i) + 4096, _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(p + i) + 4096 + 64, _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(p + i) + 4096 + 128, _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(p + i) + 4096 + 192, _MM_HINT_T0);
    a0 = _mm512_add_epi64(a0, _mm512_loadu_si512(p + i));
    a1 = _mm512_add_epi64(a1, _mm512_loadu_si512(p + i + 8));
    a2 = _mm512_add_epi64(a2, _mm512_loadu_si512(p + i + 16));
    a3 = _mm512_add_epi64(a3, _mm512_loadu_si512(p + i + 24));
  }
  uint64_t s = uint64_t(_mm512_reduce_add_epi64(
      _mm512_add_epi64(_mm512_add_epi64(a0, a1), _mm512_add_epi64(a2, a3))));
  for (; i < n; ++i) s += p[i];
  return s;
}

inline uint64_t sum_portable(const uint64_t* p, int64_t n) {
  uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    a0 += p[i];
    a1 += p[i + 1];
    a2 += p[i + 2];
    a3 += p[i + 3];
  }
  for (; i < n; ++i) a0 += p[i];
  return a0 + a1 + a2 + a3;
}

}  // namespace detail

// A buffer of `bytes` to probe with read_pass().
class ReadProbe {
 public:
  explicit ReadProbe(int64_t bytes = int64_t(1) << 30) : buf_(size_t(bytes / 8), 1) {}
  int64_t bytes() const { return int64_t(buf_.size()) * 8; }

  // Reads the whole buffer once on all threads; returns the sum (to keep the loads).
  uint64_t read_pass() const {
    static const bool avx512 = __builtin_cpu_supports("avx512f");
    const int threads = cpu::num_threads();
    std::vector<uint64_t> part(size_t(threads), 0);
    const int64_t n = int64_t(buf_.size());
    cpu::parallel_for(threads, n, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        const uint64_t* p = buf_.data() + n * c / threads;
        int64_t len = n * (c + 1) / threads - n * c / threads;
        part[size_t(c)] = avx512 ? detail::sum_avx512(p, len) : detail::sum_portable(p, len);
      }
    });
    uint64_t s = 0;
    for (auto v : part) s += v;
    return s;
  }

 private:
  std::vector<uint64_t> buf_;
};

}  // namespace lmx::bench
