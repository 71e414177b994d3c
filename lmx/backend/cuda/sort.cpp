// SPDX-License-Identifier: MIT
// Sort, argsort, partition and argpartition on the GPU: rows along the axis are made dense
// and sorted in one block each; partition is a full sort (a sorted row is a valid
// partition for every kth).
#include "lmx/backend/cuda/eval.h"
#include "lmx/backend/cuda/kernels_sort.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives_sort.h"

namespace lmx {

namespace {

void sort_along(const Array& in, int axis, bool indices, Array& out, const char* op) {
  out.allocate();
  if (out.size() == 0) return;
  int last = in.ndim() - 1;
  Array x = contiguous(axis == last ? in : swapaxes(in, axis, last));  // (..., n)
  int64_t n = x.shape(-1), rows = x.size() / n;
  LMX_CHECK(n <= cuda::kMaxSortRow, DeviceError, op,
            "the CUDA kernel sorts rows of up to {} elements, got {}", cuda::kMaxSortRow, n);
  Array r = Array::empty(x.shape(), out.dtype(), out.device());
  cuda::launch_sort_rows(x.dtype(), x.raw_data(), r.raw_data(), rows, n, indices,
                         cuda::stream_of(out));
  cuda::check_launch(op);
  cuda::strided_copy(axis == last ? r : swapaxes(r, axis, last), out, op);
}

}  // namespace

void Sort::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  sort_along(inputs[0], axis_, indices_, outputs[0], name());
}

void Partition::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  sort_along(inputs[0], axis_, indices_, outputs[0], name());
}

}  // namespace lmx
