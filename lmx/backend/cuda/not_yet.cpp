// SPDX-License-Identifier: MIT
// Primitives without a CUDA kernel yet: each eval_cuda throws a DeviceError that names the
// op, so a model that needs one fails clearly (run it with --device cpu meanwhile).
#include "lmx/core/error.h"
#include "lmx/core/primitives.h"
#include "lmx/core/primitives_fast.h"
#include "lmx/core/primitives_random.h"

#define LMX_CUDA_NOT_YET(Class)                                                     \
  void Class::eval_cuda(const std::vector<Array>&, std::vector<Array>&) {          \
    ::lmx::raise<::lmx::DeviceError>(name(), "not implemented on CUDA yet");        \
  }

namespace lmx {

LMX_CUDA_NOT_YET(RandomBits)
LMX_CUDA_NOT_YET(Conv1d)

}  // namespace lmx
