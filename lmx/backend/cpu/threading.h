// SPDX-License-Identifier: MIT
// Parallel loops for CPU kernels: a small fork-join pool of its own (the caller works
// too). Idle workers spin briefly for the next loop (decode runs hundreds of small loops
// per token, microseconds apart), then sleep on a futex, so a machine shared with other
// processes is not burnt by spinning threads the way OpenMP's default policy does.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <type_traits>

namespace lmx::cpu {

// Number of threads kernels use (LMX_NUM_THREADS, else OMP_NUM_THREADS, else the CPUs this
// process may run on).
int num_threads();

// Loops whose work (items * cost per item) is below this stay on the calling thread:
// handing a chunk to another core costs a few microseconds.
constexpr int64_t kSerialWork = 32768;

namespace detail {
// Runs task(ctx, i) for every i in [0, n), i = 0 on the calling thread, and returns when
// all are done. Runs them all on the caller when called from inside a task or while
// another thread's loop holds the pool.
void run_tasks(int n, void (*task)(void*, int), void* ctx);
}  // namespace detail

// Calls f(begin, end) over [0, n) split into contiguous chunks, in parallel when the work
// (n * cost_per_item) is large enough to pay for waking threads.
template <typename F>
void parallel_for(int64_t n, int64_t cost_per_item, F&& f) {
  if (n <= 0) return;
  int threads = num_threads();
  if (threads <= 1 || n == 1 || n * cost_per_item < kSerialWork) {
    f(int64_t(0), n);
    return;
  }
  int64_t chunks = std::min<int64_t>(threads, n);
  struct Ctx {
    std::remove_reference_t<F>* f;
    int64_t n, chunks;
  } ctx{&f, n, chunks};
  detail::run_tasks(
      int(chunks),
      [](void* p, int c) {
        auto* x = static_cast<Ctx*>(p);
        int64_t b = x->n * c / x->chunks, e = x->n * (c + 1) / x->chunks;
        if (b < e) (*x->f)(b, e);
      },
      &ctx);
}

// Calls f(i) for every i in [0, n), the threads taking the next unclaimed item as they
// finish: for items of unequal cost (causal attention tiles).
template <typename F>
void parallel_for_dynamic(int64_t n, int64_t cost_per_item, F&& f) {
  if (n <= 0) return;
  int threads = num_threads();
  if (threads <= 1 || n == 1 || n * cost_per_item < kSerialWork) {
    for (int64_t i = 0; i < n; ++i) f(i);
    return;
  }
  struct Ctx {
    std::remove_reference_t<F>* f;
    int64_t n;
    std::atomic<int64_t> next{0};
  } ctx{&f, n};
  detail::run_tasks(
      int(std::min<int64_t>(threads, n)),
      [](void* p, int) {
        auto* x = static_cast<Ctx*>(p);
        for (int64_t i; (i = x->next.fetch_add(1, std::memory_order_relaxed)) < x->n;) (*x->f)(i);
      },
      &ctx);
}

}  // namespace lmx::cpu
