// SPDX-License-Identifier: MIT
#include "lmx/backend/no_cuda/no_cuda.h"
#include "lmx/core/primitives_fast.h"

namespace lmx {

LMX_NO_CUDA(fast::RMSNorm)
LMX_NO_CUDA(fast::LayerNorm)
LMX_NO_CUDA(fast::RoPE)
LMX_NO_CUDA(fast::ScaledDotProductAttention)
LMX_NO_CUDA(Conv1d)

}  // namespace lmx
