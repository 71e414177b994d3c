// SPDX-License-Identifier: MIT
// A caching allocator: released blocks go to a per-device free list keyed by size and are
// reused by the next allocation of a close size. Large blocks (mmaps) are used as is.
#include "lmx/core/allocator.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>

#include "lmx/core/backend_api.h"
#include "lmx/core/error.h"

namespace lmx {

namespace {

// Set once the host pool is destroyed at exit; later releases (arrays in other statics)
// free directly. Trivially destructible, so it outlives every object.
std::atomic<bool> g_host_pool_gone{false};

struct Pool {
  std::mutex mu;
  std::multimap<size_t, void*> free_blocks;  // size -> block
  size_t active = 0, peak = 0, cached = 0;
  size_t cache_limit = size_t(1) << 62;
  explicit Pool(bool is_host = false) : host(is_host) {}
  bool host;
  // Host blocks go back to the system at exit (so leak checkers see no leak); device
  // blocks are left to the driver, which may already be shut down.
  ~Pool() {
    if (!host) return;
    std::lock_guard lock(mu);
    for (auto& [n, p] : free_blocks) std::free(p);
    free_blocks.clear();
    g_host_pool_gone = true;
  }
};

Pool& pool(Device d) {
  static Pool cpu_pool(true);
  static Pool cuda_pools[16];
  if (d.type == DeviceType::cpu) return cpu_pool;
  return cuda_pools[d.index & 15];
}

// Rounds sizes so that blocks of nearby sizes can be reused for each other.
size_t round_size(size_t bytes) {
  if (bytes <= 64) return 64;
  if (bytes <= (size_t(1) << 20)) return (bytes + 255) & ~size_t(255);
  size_t page = size_t(1) << 16;
  return (bytes + page - 1) & ~(page - 1);
}

void* raw_alloc(size_t bytes, Device d) {
  if (d.type == DeviceType::cuda) return cuda::malloc_device(bytes, d.index);
  void* p = std::aligned_alloc(64, bytes);
  if (p && bytes >= (size_t(2) << 20)) madvise(p, bytes, MADV_HUGEPAGE);
  return p;
}

void raw_free(void* p, Device d) {
  if (d.type == DeviceType::cuda)
    cuda::free_device(p, d.index);
  else
    std::free(p);
}

void trim_locked(Pool& pl, Device d, size_t target) {
  while (pl.cached > target && !pl.free_blocks.empty()) {
    auto it = std::prev(pl.free_blocks.end());  // largest first
    pl.cached -= it->first;
    raw_free(it->second, d);
    pl.free_blocks.erase(it);
  }
}

}  // namespace

std::shared_ptr<Buffer> allocate(size_t bytes, Device device) {
  size_t size = round_size(bytes);
  Pool& pl = pool(device);
  void* ptr = nullptr;
  {
    std::lock_guard lock(pl.mu);
    // Reuse a block of the same size, or up to 1/8 larger.
    auto it = pl.free_blocks.lower_bound(size);
    if (it != pl.free_blocks.end() && it->first <= size + size / 8) {
      size = it->first;
      ptr = it->second;
      pl.cached -= size;
      pl.free_blocks.erase(it);
    }
  }
  if (!ptr) {
    ptr = raw_alloc(size, device);
    if (!ptr) {
      // Give the cache back and try once more.
      {
        std::lock_guard lock(pl.mu);
        trim_locked(pl, device, 0);
      }
      ptr = raw_alloc(size, device);
    }
    if (!ptr)
      raise<OutOfMemoryError>("allocate", "cannot allocate {} bytes on {}", bytes, device.str());
  }
  {
    std::lock_guard lock(pl.mu);
    pl.active += size;
    pl.peak = std::max(pl.peak, pl.active);
  }
  return std::make_shared<Buffer>(ptr, size, device, [device](void* p, size_t n) {
    if (device.type == DeviceType::cpu && g_host_pool_gone) {
      std::free(p);
      return;
    }
    Pool& pl = pool(device);
    std::lock_guard lock(pl.mu);
    pl.active -= n;
    pl.free_blocks.emplace(n, p);
    pl.cached += n;
    if (pl.cached > pl.cache_limit) trim_locked(pl, device, pl.cache_limit);
  });
}

std::shared_ptr<Buffer> borrow(const void* ptr, size_t bytes, Device device,
                               std::shared_ptr<const void> owner) {
  return std::make_shared<Buffer>(const_cast<void*>(ptr), bytes, device,
                                  [owner = std::move(owner)](void*, size_t) {});
}

size_t get_active_memory(Device d) {
  Pool& pl = pool(d);
  std::lock_guard lock(pl.mu);
  return pl.active;
}
size_t get_peak_memory(Device d) {
  Pool& pl = pool(d);
  std::lock_guard lock(pl.mu);
  return pl.peak;
}
void reset_peak_memory(Device d) {
  Pool& pl = pool(d);
  std::lock_guard lock(pl.mu);
  pl.peak = pl.active;
}
size_t get_cache_memory(Device d) {
  Pool& pl = pool(d);
  std::lock_guard lock(pl.mu);
  return pl.cached;
}
void clear_cache(Device d) {
  Pool& pl = pool(d);
  std::lock_guard lock(pl.mu);
  trim_locked(pl, d, 0);
}
size_t set_cache_limit(size_t bytes, Device d) {
  Pool& pl = pool(d);
  std::lock_guard lock(pl.mu);
  size_t old = pl.cache_limit;
  pl.cache_limit = bytes;
  trim_locked(pl, d, bytes);
  return old;
}

}  // namespace lmx
