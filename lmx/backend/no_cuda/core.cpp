// SPDX-License-Identifier: MIT
#include "lmx/backend/no_cuda/no_cuda.h"
#include "lmx/core/backend_api.h"
#include "lmx/core/primitives.h"

namespace lmx {

LMX_NO_CUDA(Unary)
LMX_NO_CUDA(Binary)
LMX_NO_CUDA(Select)
LMX_NO_CUDA(AsType)
LMX_NO_CUDA(Arange)
LMX_NO_CUDA(ToDevice)
LMX_NO_CUDA(SliceUpdate)
LMX_NO_CUDA(Concatenate)
LMX_NO_CUDA(Reduce)
LMX_NO_CUDA(ArgReduce)
LMX_NO_CUDA(Softmax)
LMX_NO_CUDA(LogSumExp)
LMX_NO_CUDA(Matmul)
LMX_NO_CUDA(Gather)
LMX_NO_CUDA(Scatter)

namespace cuda {

namespace {
[[noreturn]] void no_cuda(const char* what) {
  raise<DeviceError>(what, "this build of lmx has no CUDA backend (rebuild with -DLMX_CUDA=ON)");
}
}  // namespace

bool built() { return false; }
int device_count() { return 0; }
void* malloc_device(size_t, int) { no_cuda("cuda::malloc"); }
void free_device(void*, int) {}
void copy_to_device(void*, const void*, size_t, int) { no_cuda("cuda::copy"); }
void copy_to_host(void*, const void*, size_t, int) { no_cuda("cuda::copy"); }
void synchronize(int) {}

}  // namespace cuda
}  // namespace lmx
