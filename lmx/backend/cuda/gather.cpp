// SPDX-License-Identifier: MIT
// Gather and scatter on the GPU. Index arrays (any integer dtype, broadcast views) are made
// dense int64 on the device first. Indices out of range clamp to the axis (the CPU backend
// reports them; checking here would cost a device round trip).
#include "lmx/backend/cuda/eval.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives.h"

namespace lmx {

namespace {

// Dense int64 copies of the index arrays (kept alive by `keep`) described for the kernel.
cuda::IndexArgs index_args(const Array& a, const std::vector<Array>& idx,
                           const std::vector<int>& axes, std::vector<Array>& keep,
                           const char* op) {
  LMX_CHECK(int(idx.size()) <= cuda::kMaxIndexArrays, DeviceError, op,
            "the CUDA backend takes up to {} index arrays, got {}", cuda::kMaxIndexArrays,
            idx.size());
  cuda::IndexArgs ix;
  ix.count = int(idx.size());
  ix.n = idx.empty() ? 1 : idx[0].size();
  for (size_t k = 0; k < idx.size(); ++k) {
    keep.push_back(contiguous(astype(idx[k], Dtype::int64)));
    ix.idx[k] = keep.back().data<int64_t>();
    ix.dim[k] = a.shape()[axes[k]];
    ix.stride[k] = a.strides()[axes[k]];
  }
  return ix;
}

}  // namespace

void Gather::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  out.allocate();
  const Array& a = inputs[0];
  std::vector<Array> idx(inputs.begin() + 1, inputs.end()), keep;
  auto ix = index_args(a, idx, axes_, keep, name());
  int64_t block = shape_size(slice_sizes_);
  if (block == 0 || ix.n == 0) return;
  auto slice = cuda::make_strided<1>(slice_sizes_, {&a.strides()}, name());
  cuda::launch_gather(a.itemsize(), a.raw_data(), out.raw_data(), ix, slice, block,
                      cuda::stream_of(out));
  cuda::check_launch(name());
}

void Scatter::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  out.allocate();
  const Array& a = inputs[0];
  const Array& upd = inputs.back();
  cuda::strided_copy(a, out, name());
  std::vector<Array> idx(inputs.begin() + 1, inputs.end() - 1), keep;
  auto ix = index_args(out, idx, axes_, keep, name());
  int ni = idx.empty() ? 0 : idx[0].ndim();
  Shape slice_shape(upd.shape().begin() + ni, upd.shape().end());
  Strides ust(upd.strides().begin() + ni, upd.strides().end());
  Strides ost = out.strides();
  Shape ishape(upd.shape().begin(), upd.shape().begin() + ni);
  Strides uouter(upd.strides().begin(), upd.strides().begin() + ni);
  if (shape_size(slice_shape) == 0) return;
  auto slice = cuda::make_strided<2>(slice_shape, {&ust, &ost}, name());
  auto outer = cuda::make_strided<1>(ishape, {&uouter}, name());
  cuda::launch_scatter(out.dtype(), add_, upd.raw_data(), out.raw_data(), ix, slice, outer,
                       cuda::stream_of(out));
  cuda::check_launch(name());
}

}  // namespace lmx
