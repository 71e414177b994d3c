// SPDX-License-Identifier: MIT
// take, gather and scatter (MLX semantics) and their vjps.
#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives.h"

namespace lmx {

namespace {

std::vector<Array> check_indices(const std::vector<Array>& indices, const char* op) {
  for (const auto& i : indices)
    LMX_CHECK(is_integral(i.dtype()), DtypeError, op, "indices must be integers, got {}",
              dtype_name(i.dtype()));
  return broadcast_arrays(indices);
}

}  // namespace

Array gather(const Array& a, const std::vector<Array>& indices_in, const std::vector<int>& axes_in,
             const Shape& slice_sizes) {
  LMX_CHECK(indices_in.size() == axes_in.size(), ValueError, "gather",
            "{} index arrays for {} axes", indices_in.size(), axes_in.size());
  LMX_CHECK(int(slice_sizes.size()) == a.ndim(), ValueError, "gather",
            "slice_sizes has {} entries for an array of {} dims", slice_sizes.size(), a.ndim());
  std::vector<int> axes;
  for (int ax : axes_in) axes.push_back(normalize_axis(ax, a.ndim(), "gather"));
  for (int i = 0; i < a.ndim(); ++i)
    LMX_CHECK(slice_sizes[i] >= 0 && slice_sizes[i] <= a.shape()[i], ValueError, "gather",
              "slice size {} on axis {} of size {}", slice_sizes[i], i, a.shape()[i]);
  auto idx = check_indices(indices_in, "gather");
  Shape shape = idx.empty() ? Shape{} : idx[0].shape();
  shape.insert(shape.end(), slice_sizes.begin(), slice_sizes.end());
  std::vector<Array> inputs{a};
  inputs.insert(inputs.end(), idx.begin(), idx.end());
  return apply(std::make_shared<Gather>(axes, slice_sizes), inputs, shape, a.dtype());
}

Array take(const Array& a, const Array& indices, int axis) {
  int ax = normalize_axis(axis, a.ndim(), "take");
  LMX_CHECK(a.shape()[ax] > 0 || indices.size() == 0, ValueError, "take",
            "cannot take from an empty axis");
  Shape sizes = a.shape();
  sizes[ax] = 1;
  Array g = gather(a, {indices}, {ax}, sizes);  // I + a.shape with 1 at ax
  int ni = indices.ndim();
  // Drop the size-1 axis, then move the index dims to where `axis` was.
  g = squeeze(g, {ni + ax});
  if (ax == 0) return g;
  std::vector<int> perm;
  for (int i = 0; i < ax; ++i) perm.push_back(ni + i);
  for (int i = 0; i < ni; ++i) perm.push_back(i);
  for (int i = ni + ax; i < g.ndim(); ++i) perm.push_back(i);
  return transpose(g, perm);
}

Array take(const Array& a, const Array& indices) { return take(flatten(a), indices, 0); }

Array take_along_axis(const Array& a, const Array& indices, int axis) {
  int ax = normalize_axis(axis, a.ndim(), "take_along_axis");
  LMX_CHECK(indices.ndim() == a.ndim(), ShapeError, "take_along_axis",
            "indices have {} dims, the array {}", indices.ndim(), a.ndim());
  // Index every axis: arange for the others, `indices` for `axis`.
  Shape base = a.shape();
  base[ax] = 1;
  Shape shape = broadcast_shapes(base, indices.shape());
  shape[ax] = indices.shape()[ax];
  std::vector<Array> idx;
  std::vector<int> axes;
  for (int i = 0; i < a.ndim(); ++i) {
    if (i == ax) {
      idx.push_back(broadcast_to(indices, shape));
    } else {
      Shape s(a.ndim(), 1);
      s[i] = shape[i];
      idx.push_back(broadcast_to(reshape(arange(shape[i], Dtype::int32), s), shape));
    }
    axes.push_back(i);
  }
  Shape ones(a.ndim(), 1);
  Array g = gather(a, idx, axes, ones);
  return reshape(g, shape);
}

namespace {
Array scatter_impl(const Array& a, const std::vector<Array>& indices_in, const Array& updates,
                   const std::vector<int>& axes_in, bool add) {
  const char* op = add ? "scatter_add" : "scatter";
  LMX_CHECK(indices_in.size() == axes_in.size(), ValueError, op, "{} index arrays for {} axes",
            indices_in.size(), axes_in.size());
  std::vector<int> axes;
  for (int ax : axes_in) axes.push_back(normalize_axis(ax, a.ndim(), op));
  auto idx = check_indices(indices_in, op);
  int ni = idx.empty() ? 0 : idx[0].ndim();
  LMX_CHECK(updates.ndim() == ni + a.ndim(), ShapeError, op,
            "updates of shape {} need {} index dims + {} slice dims", shape_str(updates.shape()),
            ni, a.ndim());
  for (int i = 0; i < a.ndim(); ++i)
    LMX_CHECK(updates.shape()[ni + i] <= a.shape()[i], ShapeError, op,
              "update slice {} larger than the array {}", shape_str(updates.shape()),
              shape_str(a.shape()));
  std::vector<Array> inputs{a};
  inputs.insert(inputs.end(), idx.begin(), idx.end());
  Shape ushape = idx.empty() ? Shape{} : idx[0].shape();
  ushape.insert(ushape.end(), updates.shape().begin() + ni, updates.shape().end());
  inputs.push_back(broadcast_to(astype(updates, a.dtype()), ushape));
  return apply(std::make_shared<Scatter>(axes, add), inputs, a.shape(), a.dtype());
}
}  // namespace

Array scatter(const Array& a, const std::vector<Array>& indices, const Array& updates,
              const std::vector<int>& axes) {
  return scatter_impl(a, indices, updates, axes, false);
}
Array scatter_add(const Array& a, const std::vector<Array>& indices, const Array& updates,
                  const std::vector<int>& axes) {
  return scatter_impl(a, indices, updates, axes, true);
}

Array put_along_axis(const Array& a, const Array& indices, const Array& values, int axis) {
  int ax = normalize_axis(axis, a.ndim(), "put_along_axis");
  LMX_CHECK(indices.ndim() == a.ndim(), ShapeError, "put_along_axis",
            "indices have {} dims, the array {}", indices.ndim(), a.ndim());
  // As take_along_axis: indices broadcast against `a` on every axis but `axis`.
  Shape base = a.shape();
  base[ax] = 1;
  Shape shape = broadcast_shapes(base, indices.shape());
  shape[ax] = indices.shape()[ax];
  std::vector<Array> idx;
  std::vector<int> axes;
  for (int i = 0; i < a.ndim(); ++i) {
    if (i == ax) {
      idx.push_back(broadcast_to(indices, shape));
    } else {
      Shape s(a.ndim(), 1);
      s[i] = shape[i];
      idx.push_back(broadcast_to(reshape(arange(shape[i], Dtype::int32), s), shape));
    }
    axes.push_back(i);
  }
  Shape ushape = shape;
  for (int i = 0; i < a.ndim(); ++i) ushape.push_back(1);
  Array v = reshape(broadcast_to(values, shape), ushape);
  return scatter(a, idx, v, axes);
}

std::vector<Array> Gather::vjp(const std::vector<Array>& primals, const std::vector<Array>& cots,
                               const std::vector<int>& argnums, const std::vector<Array>&) {
  std::vector<Array> out;
  for (int arg : argnums) {
    if (arg != 0) {
      out.push_back(zeros_like(primals[arg]));
      continue;
    }
    std::vector<Array> idx(primals.begin() + 1, primals.end());
    out.push_back(scatter_add(zeros_like(primals[0]), idx, cots[0], axes_));
  }
  return out;
}

std::vector<Array> Scatter::vjp(const std::vector<Array>& primals, const std::vector<Array>& cots,
                                const std::vector<int>& argnums, const std::vector<Array>&) {
  std::vector<Array> idx(primals.begin() + 1, primals.end() - 1);
  const Array& upd = primals.back();
  int ni = idx.empty() ? 0 : idx[0].ndim();
  Shape slice_sizes(upd.shape().begin() + ni, upd.shape().end());
  std::vector<Array> out;
  for (int arg : argnums) {
    if (arg == 0) {
      // Positions overwritten by a set-scatter get no gradient.
      out.push_back(add_ ? cots[0] : scatter(cots[0], idx, zeros_like(upd), axes_));
    } else if (arg == int(primals.size()) - 1) {
      out.push_back(gather(cots[0], idx, axes_, slice_sizes));
    } else {
      out.push_back(zeros_like(primals[arg]));
    }
  }
  return out;
}

}  // namespace lmx
