// SPDX-License-Identifier: MIT
// Scans (cumsum, cumprod, cummax, cummin) and sorting (sort, argsort, partition,
// argpartition, topk), with their vjps.
#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives.h"
#include "lmx/core/primitives_sort.h"

namespace lmx {

namespace {

Array scan(ScanOp op, const Array& a, int axis, bool reverse, bool inclusive, const char* name) {
  int ax = normalize_axis(axis, a.ndim(), name);
  Dtype dt = a.dtype();
  if (dt == Dtype::bool_ && (op == ScanOp::sum || op == ScanOp::prod)) dt = Dtype::int32;
  return apply(std::make_shared<Scan>(op, ax, reverse, inclusive), {a}, a.shape(), dt);
}

}  // namespace

const char* Scan::name() const {
  static const char* names[] = {"cumsum", "cumprod", "cummax", "cummin"};
  return names[int(op_)];
}

Array cumsum(const Array& a, int axis, bool reverse, bool inclusive) {
  return scan(ScanOp::sum, a, axis, reverse, inclusive, "cumsum");
}
Array cumprod(const Array& a, int axis, bool reverse, bool inclusive) {
  return scan(ScanOp::prod, a, axis, reverse, inclusive, "cumprod");
}
Array cummax(const Array& a, int axis, bool reverse, bool inclusive) {
  return scan(ScanOp::max, a, axis, reverse, inclusive, "cummax");
}
Array cummin(const Array& a, int axis, bool reverse, bool inclusive) {
  return scan(ScanOp::min, a, axis, reverse, inclusive, "cummin");
}

Array sort(const Array& a, int axis) {
  int ax = normalize_axis(axis, a.ndim(), "sort");
  return apply(std::make_shared<Sort>(ax, false), {a}, a.shape(), a.dtype());
}

Array argsort(const Array& a, int axis) {
  int ax = normalize_axis(axis, a.ndim(), "argsort");
  return apply(std::make_shared<Sort>(ax, true), {a}, a.shape(), Dtype::uint32);
}

namespace {
Array partition_impl(const Array& a, int kth, int axis, bool indices, const char* name) {
  int ax = normalize_axis(axis, a.ndim(), name);
  int64_t n = a.shape()[ax];
  int64_t k = kth < 0 ? kth + n : kth;
  LMX_CHECK(k >= 0 && k < n, ValueError, name, "kth {} is out of range for axis {} of size {}",
            kth, axis, n);
  return apply(std::make_shared<Partition>(int(k), ax, indices), {a}, a.shape(),
               indices ? Dtype::uint32 : a.dtype());
}
}  // namespace

Array partition(const Array& a, int kth, int axis) {
  return partition_impl(a, kth, axis, false, "partition");
}
Array argpartition(const Array& a, int kth, int axis) {
  return partition_impl(a, kth, axis, true, "argpartition");
}

Array topk(const Array& a, int k, int axis) {
  int ax = normalize_axis(axis, a.ndim(), "topk");
  int64_t n = a.shape()[ax];
  LMX_CHECK(k >= 0 && k <= n, ValueError, "topk", "k = {} is out of range for axis {} of size {}",
            k, axis, n);
  if (k == 0) return slice(a, ax, 0, 0);
  return slice(partition(a, -k, ax), ax, n - k, n);
}

// --- vjps ---

std::vector<Array> Scan::vjp(const std::vector<Array>& primals, const std::vector<Array>& cots,
                             const std::vector<int>&, const std::vector<Array>& outputs) {
  const Array& x = primals[0];
  const Array& g = cots[0];
  switch (op_) {
    // d/dx_j of sum_{i ~ j} x_i: the same scan of g run the other way.
    case ScanOp::sum:
      return {cumsum(g, axis_, !reverse_, inclusive_)};
    // y_i = prod_{j ~ i} x_j, so dy_i/dx_j = y_i / x_j (inputs with zeros are not special).
    case ScanOp::prod:
      return {divide(cumsum(multiply(g, outputs[0]), axis_, !reverse_, inclusive_), x)};
    default:
      raise<ValueError>(name(), "has no vector-Jacobian product");
  }
}

std::vector<Array> Sort::vjp(const std::vector<Array>& primals, const std::vector<Array>& cots,
                             const std::vector<int>&, const std::vector<Array>&) {
  const Array& x = primals[0];
  if (indices_) return {zeros_like(x)};
  // Each output position came from input position argsort(x)[i]: send its cotangent back.
  Array idx = argsort(stop_gradient(x), axis_);
  return {put_along_axis(zeros_like(x), idx, cots[0], axis_)};
}

std::vector<Array> Partition::vjp(const std::vector<Array>& primals,
                                  const std::vector<Array>& cots, const std::vector<int>&,
                                  const std::vector<Array>&) {
  const Array& x = primals[0];
  if (indices_) return {zeros_like(x)};
  // argpartition with the same kth gives the same permutation as the forward pass.
  Array idx = argpartition(stop_gradient(x), kth_, axis_);
  return {put_along_axis(zeros_like(x), idx, cots[0], axis_)};
}

}  // namespace lmx
