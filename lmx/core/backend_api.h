// SPDX-License-Identifier: MIT
// What core asks of a device backend beyond primitives: raw memory and copies. The CUDA
// backend defines these in lmx/backend/cuda; a build without CUDA links the stubs in
// lmx/backend/no_cuda, which throw DeviceError.
#pragma once

#include <cstddef>

namespace lmx::cuda {

// Whether this build has the CUDA backend (a GPU may still be missing).
bool built();
// Number of usable GPUs (0 without CUDA or without a GPU).
int device_count();
// Raw device allocation and release (no caching; the core allocator caches).
void* malloc_device(size_t bytes, int device);
void free_device(void* ptr, int device);
// Copies between host and device memory (synchronous with respect to the host).
void copy_to_device(void* dst, const void* src, size_t bytes, int device);
void copy_to_host(void* dst, const void* src, size_t bytes, int device);
// Waits for all work queued on the device.
void synchronize(int device);

}  // namespace lmx::cuda
