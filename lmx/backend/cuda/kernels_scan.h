// SPDX-License-Identifier: MIT
// Launcher of the scan kernels (scan.cu); see kernels.h for the conventions.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "lmx/core/dtype.h"
#include "lmx/core/primitives_sort.h"

namespace lmx::cuda {

// Scans a dense (outer, n, inner) array along n. Output dtype: the input's, or int32 for
// sum/prod of bool (`out`).
void launch_scan(ScanOp op, Dtype in, Dtype out, const void* src, void* dst, int64_t outer,
                 int64_t n, int64_t inner, bool reverse, bool inclusive, cudaStream_t stream);

}  // namespace lmx::cuda
