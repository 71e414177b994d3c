// SPDX-License-Identifier: MIT
// Unary, binary and select on the GPU.
#include "lmx/backend/cuda/eval.h"
#include "lmx/core/primitives.h"

namespace lmx {

void Unary::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  const Array& in = inputs[0];
  Array& out = outputs[0];
  out.allocate();
  auto s = cuda::plan<2>(in.shape(), {&in, &out}, name());
  cuda::launch_unary(op_, in.dtype(), out.dtype(), in.raw_data(), out.raw_data(), s,
                     cuda::stream_of(out));
  cuda::check_launch(name());
}

void Binary::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  const Array &a = inputs[0], &b = inputs[1];
  Array& out = outputs[0];
  out.allocate();
  auto s = cuda::plan<3>(out.shape(), {&a, &b, &out}, name());
  cuda::launch_binary(op_, a.dtype(), out.dtype(), a.raw_data(), b.raw_data(), out.raw_data(), s,
                      cuda::stream_of(out));
  cuda::check_launch(name());
}

void Select::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  const Array &c = inputs[0], &a = inputs[1], &b = inputs[2];
  Array& out = outputs[0];
  out.allocate();
  auto s = cuda::plan<4>(out.shape(), {&c, &a, &b, &out}, name());
  cuda::launch_select(out.dtype(), c.raw_data(), a.raw_data(), b.raw_data(), out.raw_data(), s,
                      cuda::stream_of(out));
  cuda::check_launch(name());
}

}  // namespace lmx
