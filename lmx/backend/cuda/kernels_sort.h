// SPDX-License-Identifier: MIT
// Launcher of the sort kernel (sort.cu); see kernels.h for the conventions.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "lmx/core/dtype.h"

namespace lmx::cuda {

// Longest row the in-block sort takes.
inline constexpr int64_t kMaxSortRow = 2048;

// Sorts each of `rows` dense rows of n values ascending (NaN last, equal values in index
// order, so the result is the stable sort); writes the values (dtype dt) or, with
// `indices`, their uint32 positions.
void launch_sort_rows(Dtype dt, const void* src, void* dst, int64_t rows, int64_t n, bool indices,
                      cudaStream_t stream);

}  // namespace lmx::cuda
