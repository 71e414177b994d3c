// SPDX-License-Identifier: MIT
// Convolutions in MLX's channels-last layout.
#pragma once

#include "lmx/core/array.h"

namespace lmx {

// 1-D convolution (cross-correlation, as MLX/PyTorch): x (N, L, C_in), w (C_out, K,
// C_in / groups) -> (N, L_out, C_out) with L_out = (L + 2 padding - dilation (K - 1) - 1)
// / stride + 1. Grouped when groups > 1; depthwise when groups == C_in (the short
// convolutions of Mamba and LFM2). Float dtypes; float32 accumulation.
Array conv1d(const Array& x, const Array& w, int stride = 1, int padding = 0, int dilation = 1,
             int groups = 1);
// The same from slices and matmuls (defines the semantics; its vjp is conv1d's).
Array conv1d_reference(const Array& x, const Array& w, int stride = 1, int padding = 0,
                       int dilation = 1, int groups = 1);

}  // namespace lmx
