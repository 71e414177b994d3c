// SPDX-License-Identifier: MIT
// Parallel loops for CPU kernels (OpenMP underneath: one pool, spin-then-sleep workers).
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace lmx::cpu {

// Number of threads kernels use (LMX_NUM_THREADS, else OMP's default, i.e. the cores).
int num_threads();

// Calls f(begin, end) over [0, n) split into contiguous chunks, in parallel when the work
// (n * cost_per_item) is large enough to pay for waking threads.
template <typename F>
void parallel_for(int64_t n, int64_t cost_per_item, F&& f) {
  if (n <= 0) return;
  int threads = num_threads();
  if (threads <= 1 || n == 1 || n * cost_per_item < 32768) {
    f(int64_t(0), n);
    return;
  }
  int64_t chunks = std::min<int64_t>(threads, n);
#pragma omp parallel for num_threads(chunks) schedule(static, 1)
  for (int64_t c = 0; c < chunks; ++c) {
    int64_t b = n * c / chunks, e = n * (c + 1) / chunks;
    if (b < e) f(b, e);
  }
}

}  // namespace lmx::cpu
