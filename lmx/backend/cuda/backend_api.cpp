// SPDX-License-Identifier: MIT
// The device registry (one context per GPU: stream, cuBLAS handle) and what core asks of
// a device backend: device count, raw memory, copies and synchronization.
#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

#include "lmx/backend/cuda/device.h"
#include "lmx/core/backend_api.h"
#include "lmx/core/error.h"

namespace lmx::cuda {

namespace {

constexpr int kMaxDevices = 16;

struct Registry {
  std::mutex mu;
  std::array<std::unique_ptr<DeviceContext>, kMaxDevices> contexts;
};

Registry& registry() {
  static Registry r;
  return r;
}

// LMX_CUDA_STATS=1: at exit, how often the host waited for the device, and why.
struct Stats {
  std::atomic<int64_t> staged{0}, sync_to_device{0}, to_host{0}, syncs{0};
  const bool on = [] {
    const char* e = std::getenv("LMX_CUDA_STATS");
    return e && *e && *e != '0';
  }();
  ~Stats() {
    if (on)
      std::fprintf(stderr,
                   "lmx cuda stats: %lld staged small copies to the device, %lld waiting copies "
                   "to the device, %lld copies to the host, %lld synchronizations\n",
                   (long long)staged, (long long)sync_to_device, (long long)to_host,
                   (long long)syncs);
  }
};
Stats& stats() {
  static Stats s;
  return s;
}

std::mutex& staging_mutex() {
  static std::mutex m;
  return m;
}

void make_current(int device) {
  int cur = -1;
  if (cudaGetDevice(&cur) != cudaSuccess || cur != device)
    check(cudaSetDevice(device), "cuda", "cannot select the device");
}

}  // namespace

void check(cudaError_t err, const char* op, const char* what) {
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear a sticky launch error so the next call reports its own
    raise<DeviceError>(op, "{}: {} ({})", what, cudaGetErrorString(err), cudaGetErrorName(err));
  }
}

void check(cublasStatus_t st, const char* op, const char* what) {
  if (st != CUBLAS_STATUS_SUCCESS)
    raise<DeviceError>(op, "{}: cuBLAS status {} ({})", what, int(st), cublasGetStatusString(st));
}

void check_launch(const char* op) { check(cudaGetLastError(), op, "kernel launch failed"); }

DeviceContext& context(int device) {
  LMX_CHECK(device >= 0 && device < kMaxDevices && device < device_count(), DeviceError, "cuda",
            "cuda:{} is not available ({} GPUs usable)", device, device_count());
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  make_current(device);
  auto& slot = r.contexts[device];
  if (!slot) {
    auto c = std::make_unique<DeviceContext>();
    c->index = device;
    check(cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking), "cuda",
          "cannot create a stream");
    check(cublasCreate(&c->cublas), "cuda", "cannot create the cuBLAS handle");
    check(cublasSetStream(c->cublas, c->stream), "cuda", "cannot set the cuBLAS stream");
    check(cudaDeviceGetAttribute(&c->sm_count, cudaDevAttrMultiProcessorCount, device), "cuda",
          "cannot read the multiprocessor count");
    slot = std::move(c);
  }
  return *slot;
}

bool built() { return true; }

int device_count() {
  static const int n = [] {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
      cudaGetLastError();
      return 0;
    }
    return count;
  }();
  return n;
}

void* malloc_device(size_t bytes, int device) {
  DeviceContext& c = context(device);
  (void)c;
  void* p = nullptr;
  if (cudaMalloc(&p, bytes) != cudaSuccess) {
    cudaGetLastError();
    return nullptr;  // the allocator frees its cache and retries, then reports
  }
  return p;
}

void free_device(void* ptr, int device) {
  if (!ptr) return;
  make_current(device);
  cudaFree(ptr);  // implicitly waits for work using it; errors at exit are ignored
}

void copy_to_device(void* dst, const void* src, size_t bytes, int device) {
  DeviceContext& c = context(device);
  auto& st = c.staging;
  if (bytes <= DeviceContext::kStagingBlockBytes) {
    std::lock_guard lock(staging_mutex());
    if (!st.host) {
      check(
          cudaHostAlloc(&st.host, DeviceContext::kStagingBlocks * DeviceContext::kStagingBlockBytes,
                        cudaHostAllocDefault),
          "to_device", "cannot allocate pinned staging memory");
      for (auto& e : st.done)
        check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "to_device",
              "cannot create an event");
    }
    const int b = st.next;
    st.next = (st.next + 1) % DeviceContext::kStagingBlocks;
    // The block's previous copy has long been queued 63 copies ago; wait only if it has
    // not run yet.
    check(cudaEventSynchronize(st.done[b]), "to_device", "host to device copy failed");
    char* block = static_cast<char*>(st.host) + size_t(b) * DeviceContext::kStagingBlockBytes;
    std::memcpy(block, src, bytes);
    check(cudaMemcpyAsync(dst, block, bytes, cudaMemcpyHostToDevice, c.stream), "to_device",
          "host to device copy failed");
    check(cudaEventRecord(st.done[b], c.stream), "to_device", "cannot record an event");
    ++stats().staged;
    return;
  }
  ++stats().sync_to_device;
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, c.stream), "to_device",
        "host to device copy failed");
  // The host buffer may be gone once we return.
  check(cudaStreamSynchronize(c.stream), "to_device", "host to device copy failed");
}

void copy_to_host(void* dst, const void* src, size_t bytes, int device) {
  DeviceContext& c = context(device);
  ++stats().to_host;
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, c.stream), "to_host",
        "device to host copy failed");
  check(cudaStreamSynchronize(c.stream), "to_host", "device to host copy failed");
}

void synchronize(int device) {
  DeviceContext& c = context(device);
  ++stats().syncs;
  check(cudaStreamSynchronize(c.stream), "synchronize", "device work failed");
}

}  // namespace lmx::cuda
