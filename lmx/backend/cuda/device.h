// SPDX-License-Identifier: MIT
// The CUDA device registry: one context per GPU (its default stream and cuBLAS handle),
// created on first use. The only process-wide state of the backend.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

namespace lmx::cuda {

// Everything queued for one device goes to its one stream, so work is ordered and
// buffers from the caching allocator can be reused without further synchronization.
struct DeviceContext {
  int index = 0;
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  int sm_count = 0;
  static constexpr int kStagingBlocks = 64;
  static constexpr size_t kStagingBlockBytes = size_t(64) << 10;
  // Small host-to-device copies (scalars, masks, positions: many per decode step) go
  // through pinned staging blocks used round robin, so they queue on the stream without
  // waiting for it; a block is reused once the event recorded after its copy has passed.
  struct Staging {
    void* host = nullptr;  // kStagingBlocks x kStagingBlockBytes, pinned
    cudaEvent_t done[kStagingBlocks] = {};
    int next = 0;
  } staging;
};

// The context of `device`, made current on the calling thread. Thread-safe.
DeviceContext& context(int device);

// Throws DeviceError "[op] <what>: <CUDA's message>" when `err` is not cudaSuccess.
void check(cudaError_t err, const char* op, const char* what);
void check(cublasStatus_t st, const char* op, const char* what);
// Checks the last kernel launch (launch configuration errors surface here).
void check_launch(const char* op);

}  // namespace lmx::cuda
