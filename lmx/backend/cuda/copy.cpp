// SPDX-License-Identifier: MIT
// astype/copy, arange, device transfers, slice updates and concatenation on the GPU.
#include "lmx/backend/cuda/eval.h"
#include "lmx/core/backend_api.h"
#include "lmx/core/primitives.h"

namespace lmx {

namespace cuda {

void strided_copy(const Array& src, const Array& dst, const char* op) {
  if (src.size() == 0) return;
  auto s = plan<2>(src.shape(), {&src, &dst}, op);
  launch_astype(src.dtype(), dst.dtype(), src.raw_data(), dst.raw_data(), s, stream_of(dst));
  check_launch(op);
}

}  // namespace cuda

void AsType::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  if (!out.buffer()) out.allocate();  // else assign(): write into the existing view
  cuda::strided_copy(inputs[0], out, name());
}

void Arange::eval_cuda(const std::vector<Array>&, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  out.allocate();
  cuda::launch_arange(out.dtype(), out.raw_data(), out.size(), start_, step_, cuda::stream_of(out));
  cuda::check_launch(name());
}

void ToDevice::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  const Array& in = inputs[0];  // contiguous (to_device makes it so)
  Array& out = outputs[0];
  out.allocate();
  size_t bytes = in.nbytes();
  if (bytes == 0) return;
  Device from = in.device(), to = out.device();
  if (from.type == DeviceType::cpu) {
    cuda::copy_to_device(out.raw_data(), in.raw_data(), bytes, to.index);
  } else if (to.type == DeviceType::cpu) {
    cuda::copy_to_host(out.raw_data(), in.raw_data(), bytes, from.index);
  } else {
    // GPU to GPU: wait for the source, then copy on the destination's stream.
    cuda::synchronize(from.index);
    cuda::check(cudaMemcpyPeerAsync(out.raw_data(), to.index, in.raw_data(), from.index, bytes,
                                    cuda::stream_of(out)),
                name(), "device to device copy failed");
  }
}

void SliceUpdate::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  out.allocate();
  cuda::strided_copy(inputs[0], out, name());
  const Array& upd = inputs[1];
  if (upd.size() == 0) return;
  Strides strides(out.ndim());
  int64_t offset = 0;
  for (int i = 0; i < out.ndim(); ++i) {
    strides[i] = out.strides()[i] * steps_[i];
    offset += start_[i] * out.strides()[i];
  }
  cuda::strided_copy(upd, out.view(upd.shape(), strides, offset), name());
}

void Concatenate::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  out.allocate();
  int64_t pos = 0;
  for (const auto& in : inputs) {
    if (in.size() > 0)
      cuda::strided_copy(in, out.view(in.shape(), out.strides(), pos * out.strides()[axis_]),
                         name());
    pos += in.shape()[axis_];
  }
}

}  // namespace lmx
