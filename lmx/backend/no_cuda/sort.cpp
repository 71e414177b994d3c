// SPDX-License-Identifier: MIT
#include "lmx/backend/no_cuda/no_cuda.h"
#include "lmx/core/primitives_random.h"
#include "lmx/core/primitives_sort.h"

namespace lmx {

LMX_NO_CUDA(Scan)
LMX_NO_CUDA(Sort)
LMX_NO_CUDA(Partition)
LMX_NO_CUDA(RandomBits)

}  // namespace lmx
