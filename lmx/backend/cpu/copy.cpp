// SPDX-License-Identifier: MIT
// Kernels that move data: slice updates and concatenation (strided copies).
#include <cstring>

#include "lmx/backend/cpu/strided.h"
#include "lmx/core/primitives.h"

namespace lmx {

namespace {

// Copies src into dst (same shape and dtype, any strides).
void strided_copy(const Array& src, const Array& dst) {
  auto plan = cpu::collapse<2>(src.shape(), {&src.strides(), &dst.strides()});
  size_t w = src.itemsize();
  const char* s = static_cast<const char*>(src.raw_data());
  char* d = static_cast<char*>(dst.raw_data());
  cpu::for_each_row(plan, 1, [&](auto off, int64_t n, auto st) {
    if (st[0] == 1 && st[1] == 1) {
      std::memcpy(d + off[1] * w, s + off[0] * w, n * w);
      return;
    }
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(d + (off[1] + i * st[1]) * w, s + (off[0] + i * st[0]) * w, w);
  });
}

}  // namespace

void SliceUpdate::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  out.allocate();
  strided_copy(inputs[0], out);
  const Array& upd = inputs[1];
  if (upd.size() == 0) return;
  Strides strides(out.ndim());
  int64_t offset = 0;
  for (int i = 0; i < out.ndim(); ++i) {
    strides[i] = out.strides()[i] * steps_[i];
    offset += start_[i] * out.strides()[i];
  }
  strided_copy(upd, out.view(upd.shape(), strides, offset));
}

void Concatenate::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  out.allocate();
  int64_t pos = 0;
  for (const auto& in : inputs) {
    int64_t n = in.shape()[axis_];
    if (in.size() > 0)
      strided_copy(in, out.view(in.shape(), out.strides(), pos * out.strides()[axis_]));
    pos += n;
  }
}

}  // namespace lmx
