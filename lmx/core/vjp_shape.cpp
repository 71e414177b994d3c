// SPDX-License-Identifier: MIT
// Vector-Jacobian products of the view and joining primitives.
#include <numeric>

#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives.h"

namespace lmx {

std::vector<Array> Reshape::vjp(const std::vector<Array>& primals, const std::vector<Array>& cots,
                                const std::vector<int>&, const std::vector<Array>&) {
  return {reshape(cots[0], primals[0].shape())};
}

std::vector<Array> Transpose::vjp(const std::vector<Array>&, const std::vector<Array>& cots,
                                  const std::vector<int>&, const std::vector<Array>&) {
  std::vector<int> inv(axes_.size());
  for (size_t i = 0; i < axes_.size(); ++i) inv[axes_[i]] = int(i);
  return {transpose(cots[0], inv)};
}

std::vector<Array> BroadcastTo::vjp(const std::vector<Array>& primals,
                                    const std::vector<Array>& cots, const std::vector<int>&,
                                    const std::vector<Array>&) {
  const Shape& in = primals[0].shape();
  const Shape& out = cots[0].shape();
  size_t lead = out.size() - in.size();
  std::vector<int> axes;
  for (size_t i = 0; i < out.size(); ++i)
    if (i < lead || (in[i - lead] == 1 && out[i] != 1)) axes.push_back(int(i));
  Array g = axes.empty() ? cots[0] : sum(cots[0], axes, true);
  return {reshape(g, in)};
}

std::vector<Array> Slice::vjp(const std::vector<Array>& primals, const std::vector<Array>& cots,
                              const std::vector<int>&, const std::vector<Array>&) {
  return {detail::window_update(zeros_like(primals[0]), cots[0], start_, steps_)};
}

std::vector<Array> AsStrided::vjp(const std::vector<Array>& primals,
                                  const std::vector<Array>& cots, const std::vector<int>&,
                                  const std::vector<Array>& outputs) {
  // Scatter-add the cotangent back through the same strided index map.
  const Array& x = primals[0];
  Array idx = as_strided(arange(x.size(), Dtype::int64), outputs[0].shape(), strides_, offset_);
  Array flat = scatter_add(zeros({x.size()}, cots[0].dtype()), {flatten(idx)},
                           reshape(cots[0], {-1, 1}), {0});
  return {reshape(flat, x.shape())};
}

std::vector<Array> SliceUpdate::vjp(const std::vector<Array>& primals,
                                    const std::vector<Array>& cots,
                                    const std::vector<int>& argnums, const std::vector<Array>&) {
  std::vector<Array> out;
  for (int arg : argnums) {
    if (arg == 0)
      out.push_back(detail::window_update(cots[0], zeros_like(primals[1]), start_, steps_));
    else
      out.push_back(detail::window(cots[0], start_, steps_, primals[1].shape()));
  }
  return out;
}

std::vector<Array> Concatenate::vjp(const std::vector<Array>& primals,
                                    const std::vector<Array>& cots,
                                    const std::vector<int>& argnums, const std::vector<Array>&) {
  std::vector<int64_t> starts(primals.size() + 1, 0);
  for (size_t i = 0; i < primals.size(); ++i)
    starts[i + 1] = starts[i] + primals[i].shape()[axis_];
  std::vector<Array> out;
  for (int arg : argnums) out.push_back(slice(cots[0], axis_, starts[arg], starts[arg + 1]));
  return out;
}

}  // namespace lmx
