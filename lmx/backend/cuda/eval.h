// SPDX-License-Identifier: MIT
// Helpers of the eval_cuda bodies (host code): the stream of an array's device and
// strided plans built from arrays.
#pragma once

#include "lmx/backend/cuda/device.h"
#include "lmx/backend/cuda/kernels.h"
#include "lmx/core/array.h"
#include "lmx/core/error.h"

namespace lmx::cuda {

// The stream that work on `a`'s device is queued on.
inline cudaStream_t stream_of(const Array& a) { return context(a.device().index).stream; }

// A plan over `shape` for the given operands' strides.
template <int K>
Strided<K> plan(const Shape& shape, std::initializer_list<const Array*> ops, const char* op) {
  std::vector<const Strides*> st;
  for (const Array* a : ops) st.push_back(&a->strides());
  return make_strided<K>(shape, st, op);
}

// Copies src into dst (same shape; dtypes may differ) on the device.
void strided_copy(const Array& src, const Array& dst, const char* op);

}  // namespace lmx::cuda
