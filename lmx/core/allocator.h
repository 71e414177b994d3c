// SPDX-License-Identifier: MIT
// Device memory: buffers that are owned (returned to a per-device cache on release, so
// steady-state decoding allocates nothing) or borrowed (e.g. memory-mapped weights).
// Memory statistics use MLX's names.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "lmx/core/device.h"

namespace lmx {

// A block of memory on one device. Thread-safe to share; released when the last
// reference goes.
class Buffer {
 public:
  using Release = std::function<void(void*, size_t)>;
  Buffer(void* ptr, size_t bytes, Device device, Release release)
      : ptr_(ptr), bytes_(bytes), device_(device), release_(std::move(release)) {}
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() {
    if (release_) release_(ptr_, bytes_);
  }
  void* data() const { return ptr_; }
  size_t size() const { return bytes_; }
  Device device() const { return device_; }

 private:
  void* ptr_;
  size_t bytes_;
  Device device_;
  Release release_;
};

// Allocates `bytes` on `device` (64-byte aligned on the cpu), reusing a cached block
// when one fits. Throws OutOfMemoryError when the device cannot satisfy it.
std::shared_ptr<Buffer> allocate(size_t bytes, Device device);

// Wraps memory lmx does not own; `owner` is kept alive as long as the buffer.
std::shared_ptr<Buffer> borrow(const void* ptr, size_t bytes, Device device,
                               std::shared_ptr<const void> owner);

// Bytes in live buffers owned by lmx on `device`, the most ever live since the last
// reset, and the bytes held in the reuse cache.
size_t get_active_memory(Device device = kCpu);
size_t get_peak_memory(Device device = kCpu);
void reset_peak_memory(Device device = kCpu);
size_t get_cache_memory(Device device = kCpu);
// Returns cached blocks to the system.
void clear_cache(Device device = kCpu);
// Caps the reuse cache (bytes); returns the previous limit.
size_t set_cache_limit(size_t bytes, Device device = kCpu);

}  // namespace lmx
