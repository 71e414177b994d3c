// SPDX-License-Identifier: MIT
// Reductions, arg-reductions, softmax and logsumexp on the GPU.
#include "lmx/backend/cuda/eval.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives.h"

namespace lmx {

void Reduce::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  const Array& in = inputs[0];
  Array& out = outputs[0];
  out.allocate();
  if (out.size() == 0) return;
  int nd = in.ndim();
  std::vector<bool> red(nd, false);
  for (int a : axes_) red[a] = true;
  Shape kept_shape, red_shape;
  Strides kept_in, red_in;
  for (int d = 0; d < nd; ++d) {
    (red[d] ? red_shape : kept_shape).push_back(in.shape()[d]);
    (red[d] ? red_in : kept_in).push_back(in.strides()[d]);
  }
  Strides kept_out = row_major_strides(kept_shape);
  auto kept = cuda::make_strided<2>(kept_shape, {&kept_in, &kept_out}, name());
  auto rp = cuda::make_strided<1>(red_shape, {&red_in}, name());
  cuda::launch_reduce(op_, in.dtype(), out.dtype(), in.raw_data(), out.raw_data(), kept, rp,
                      cuda::stream_of(out));
  cuda::check_launch(name());
}

void ArgReduce::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  const Array& in = inputs[0];
  Array& out = outputs[0];
  out.allocate();
  if (out.size() == 0) return;
  Shape kept = in.shape();
  kept[axis_] = 1;
  Strides in_st = in.strides();
  in_st[axis_] = 0;
  auto s = cuda::make_strided<2>(kept, {&in_st, &out.strides()}, name());
  cuda::launch_argreduce(is_max_, in.dtype(), in.raw_data(), out.data<uint32_t>(), s,
                         in.shape()[axis_], in.strides()[axis_], cuda::stream_of(out));
  cuda::check_launch(name());
}

namespace {

void check_float(const Array& a, const char* op) {
  LMX_CHECK(is_floating(a.dtype()), DtypeError, op, "no CUDA kernel for {}", dtype_name(a.dtype()));
}

}  // namespace

void Softmax::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array in = contiguous(inputs[0]);
  check_float(in, name());
  Array& out = outputs[0];
  out.allocate();
  int64_t n = in.shape().empty() ? 1 : in.shape().back();
  int64_t rows = n ? in.size() / n : 0;
  cuda::launch_softmax(in.dtype(), in.raw_data(), out.raw_data(), rows, n, cuda::stream_of(out));
  cuda::check_launch(name());
}

void LogSumExp::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array in = contiguous(inputs[0]);
  check_float(in, name());
  Array& out = outputs[0];
  out.allocate();
  int64_t n = in.shape().empty() ? 1 : in.shape().back();
  int64_t rows = out.size();
  cuda::launch_logsumexp(in.dtype(), in.raw_data(), out.raw_data(), rows, n, cuda::stream_of(out));
  cuda::check_launch(name());
}

}  // namespace lmx
