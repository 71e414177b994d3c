// SPDX-License-Identifier: MIT
// Scans on the GPU (cumsum, cumprod, cummax, cummin).
#include "lmx/backend/cuda/eval.h"
#include "lmx/backend/cuda/kernels_scan.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives_sort.h"

namespace lmx {

void Scan::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  out.allocate();
  if (out.size() == 0) return;
  Array in = contiguous(inputs[0]);
  const Shape& s = in.shape();
  int64_t outer = 1, inner = 1, n = s[axis_];
  for (int d = 0; d < axis_; ++d) outer *= s[d];
  for (int d = axis_ + 1; d < int(s.size()); ++d) inner *= s[d];
  cuda::launch_scan(op_, in.dtype(), out.dtype(), in.raw_data(), out.raw_data(), outer, n, inner,
                    reverse_, inclusive_, cuda::stream_of(out));
  cuda::check_launch(name());
}

}  // namespace lmx
