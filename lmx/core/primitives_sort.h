// SPDX-License-Identifier: MIT
// Primitives of scans and sorting. Their eval_cpu bodies live in
// lmx/backend/cpu/{scan,sort}.cpp; their vjps in lmx/core/ops_sort.cpp.
#pragma once

#include <vector>

#include "lmx/core/primitive.h"

namespace lmx {

enum class ScanOp : uint8_t { sum, prod, max, min };

// Inclusive or exclusive scan along `axis` (normalized), forward or reversed. Output has
// the input's shape; sum/prod of bool give int32.
class Scan : public Primitive {
 public:
  Scan(ScanOp op, int axis, bool reverse, bool inclusive)
      : op_(op), axis_(axis), reverse_(reverse), inclusive_(inclusive) {}
  const char* name() const override;
  ScanOp op() const { return op_; }
  int axis() const { return axis_; }
  bool reverse() const { return reverse_; }
  bool inclusive() const { return inclusive_; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
 private:
  ScanOp op_;
  int axis_;
  bool reverse_, inclusive_;
};

// Stable ascending sort along `axis` (NaNs last). With `indices`, outputs the uint32
// positions (argsort) instead of the values.
class Sort : public Primitive {
 public:
  Sort(int axis, bool indices) : axis_(axis), indices_(indices) {}
  const char* name() const override { return indices_ ? "argsort" : "sort"; }
  int axis() const { return axis_; }
  bool indices() const { return indices_; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
 private:
  int axis_;
  bool indices_;
};

// Partial sort along `axis`: position kth (normalized) holds the element a full sort puts
// there, smaller-or-equal before, larger-or-equal after. Values or uint32 indices.
class Partition : public Primitive {
 public:
  Partition(int kth, int axis, bool indices) : kth_(kth), axis_(axis), indices_(indices) {}
  const char* name() const override { return indices_ ? "argpartition" : "partition"; }
  int kth() const { return kth_; }
  int axis() const { return axis_; }
  bool indices() const { return indices_; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
 private:
  int kth_, axis_;
  bool indices_;
};

}  // namespace lmx
