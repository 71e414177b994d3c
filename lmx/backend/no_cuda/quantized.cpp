// SPDX-License-Identifier: MIT
#include "lmx/backend/no_cuda/no_cuda.h"
#include "lmx/core/primitives_quantized.h"

namespace lmx {

LMX_NO_CUDA(AffineQuantize)
LMX_NO_CUDA(Dequantize)
LMX_NO_CUDA(QuantizedMatmul)
LMX_NO_CUDA(GatherMM)
LMX_NO_CUDA(GatherQMM)

}  // namespace lmx
