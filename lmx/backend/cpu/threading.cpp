// SPDX-License-Identifier: MIT
#include "lmx/backend/cpu/threading.h"

#include <immintrin.h>
#include <sched.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace lmx::cpu {

int num_threads() {
  static int n = [] {
    for (const char* var : {"LMX_NUM_THREADS", "OMP_NUM_THREADS"}) {
      if (const char* env = std::getenv(var)) {
        int v = std::atoi(env);
        if (v > 0) return v;
      }
    }
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
    return std::max(1, int(std::thread::hardware_concurrency()));
  }();
  return n;
}

namespace detail {

namespace {

thread_local bool in_task = false;

// Pause-loop iterations before a waiting thread sleeps (~30-50 us on current x86).
constexpr int kSpin = 2000;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// Spins while `a` holds `old`, then sleeps on it; returns the new value.
template <typename T>
T wait_change(std::atomic<T>& a, T old) {
  for (int i = 0; i < kSpin; ++i) {
    T v = a.load(std::memory_order_acquire);
    if (v != old) return v;
    cpu_relax();
  }
  for (;;) {
    a.wait(old, std::memory_order_acquire);
    T v = a.load(std::memory_order_acquire);
    if (v != old) return v;
  }
}

class Pool {
 public:
  explicit Pool(int threads) : slots_(size_t(std::max(threads - 1, 0))) {
    for (size_t i = 0; i < slots_.size(); ++i)
      threads_.emplace_back([this, i] { worker(int(i) + 1, slots_[i]); });
  }
  ~Pool() {
    for (auto& s : slots_) {
      s.task = nullptr;
      s.seq.fetch_add(1, std::memory_order_release);
      s.seq.notify_one();
    }
    for (auto& t : threads_) t.join();
  }

  void run(int n, void (*task)(void*, int), void* ctx) {
    n = std::min<int>(n, int(slots_.size()) + 1);
    std::unique_lock<std::mutex> lock(busy_, std::try_to_lock);
    if (in_task || !lock.owns_lock() || n <= 1) {
      for (int i = 0; i < n; ++i) task(ctx, i);
      return;
    }
    pending_.store(n - 1, std::memory_order_relaxed);
    for (int i = 1; i < n; ++i) {
      Slot& s = slots_[size_t(i - 1)];
      s.task = task;
      s.ctx = ctx;
      s.seq.fetch_add(1, std::memory_order_release);
      s.seq.notify_one();
    }
    in_task = true;
    task(ctx, 0);
    in_task = false;
    for (int left = pending_.load(std::memory_order_acquire); left != 0;)
      left = wait_change(pending_, left);
  }

 private:
  struct alignas(64) Slot {
    std::atomic<uint32_t> seq{0};
    void (*task)(void*, int) = nullptr;
    void* ctx = nullptr;
  };

  void worker(int id, Slot& s) {
    in_task = true;
    uint32_t seen = 0;
    for (;;) {
      seen = wait_change(s.seq, seen);
      if (!s.task) return;
      s.task(s.ctx, id);
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
    }
  }

  std::vector<Slot> slots_;
  std::vector<std::thread> threads_;
  std::mutex busy_;
  std::atomic<int> pending_{0};
};

Pool& pool() {
  static Pool p(num_threads());
  return p;
}

}  // namespace

void run_tasks(int n, void (*task)(void*, int), void* ctx) { pool().run(n, task, ctx); }

}  // namespace detail

}  // namespace lmx::cpu
