// SPDX-License-Identifier: MIT
// The primitive classes of the core op families. Their eval_cpu bodies live in
// lmx/backend/cpu, their eval_cuda bodies in lmx/backend/cuda (or the no_cuda stubs);
// their vjps in lmx/core next to the ops.
#pragma once

#include <vector>

#include "lmx/core/ops_elementwise.h"
#include "lmx/core/primitive.h"

namespace lmx {

class Unary : public Primitive {
 public:
  explicit Unary(UnaryOp op) : op_(op) {}
  const char* name() const override { return op_name(op_); }
  UnaryOp op() const { return op_; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
 private:
  UnaryOp op_;
};

// Both inputs have the output's shape (broadcast views) and a common dtype.
class Binary : public Primitive {
 public:
  explicit Binary(BinaryOp op) : op_(op) {}
  const char* name() const override { return op_name(op_); }
  BinaryOp op() const { return op_; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
 private:
  BinaryOp op_;
};

// where(cond, a, b); inputs broadcast to the output's shape, a and b of its dtype.
class Select : public Primitive {
 public:
  const char* name() const override { return "where"; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
};

// Dtype conversion (also a plain strided copy when the dtype is unchanged). When the
// output already has data (assign), writes into it.
class AsType : public Primitive {
 public:
  const char* name() const override { return "astype"; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
};

// arange(start, step) filling the output.
class Arange : public Primitive {
 public:
  Arange(double start, double step) : start_(start), step_(step) {}
  const char* name() const override { return "arange"; }
  double start() const { return start_; }
  double step() const { return step_; }
  LMX_DEFINE_EVAL
 private:
  double start_, step_;
};

// Copies data between devices.
class ToDevice : public Primitive {
 public:
  const char* name() const override { return "to_device"; }
  void eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) override;
  void eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) override;
  LMX_DEFINE_VJP
};

// Identity in the forward pass, zero gradient.
class StopGradient : public ViewPrimitive {
 public:
  const char* name() const override { return "stop_gradient"; }
  void eval(const std::vector<Array>& inputs, std::vector<Array>& outputs) override;
  LMX_DEFINE_VJP
};

// A view of the input with new shape/strides/offset: reshape of contiguous data,
// transpose, slicing, broadcasting, expand/squeeze, as_strided. The vjp depends on the
// kind, so each is its own class.
class View : public ViewPrimitive {
 public:
  View(Strides strides, int64_t offset) : strides_(std::move(strides)), offset_(offset) {}
  void eval(const std::vector<Array>& inputs, std::vector<Array>& outputs) override;
 protected:
  Strides strides_;
  int64_t offset_;
};

class Reshape : public View {
 public:
  using View::View;
  const char* name() const override { return "reshape"; }
  LMX_DEFINE_VJP
};

class Transpose : public View {
 public:
  Transpose(std::vector<int> axes, Strides strides, int64_t offset)
      : View(std::move(strides), offset), axes_(std::move(axes)) {}
  const char* name() const override { return "transpose"; }
  LMX_DEFINE_VJP
 private:
  std::vector<int> axes_;
};

class BroadcastTo : public View {
 public:
  using View::View;
  const char* name() const override { return "broadcast_to"; }
  LMX_DEFINE_VJP
};

// A strided window: element i of axis d is input element start[d] + i * steps[d]
// (start already normalized to be in range).
class Slice : public View {
 public:
  Slice(Shape start, Shape steps, Strides strides, int64_t offset)
      : View(std::move(strides), offset), start_(std::move(start)), steps_(std::move(steps)) {}
  const char* name() const override { return "slice"; }
  LMX_DEFINE_VJP
 private:
  Shape start_, steps_;
};

class AsStrided : public View {
 public:
  using View::View;
  const char* name() const override { return "as_strided"; }
  LMX_DEFINE_VJP
};

// Copies `update` (inputs[1]) into a copy of inputs[0] at the window of update's shape
// starting at `start` (normalized) with `steps`.
class SliceUpdate : public Primitive {
 public:
  SliceUpdate(Shape start, Shape steps) : start_(std::move(start)), steps_(std::move(steps)) {}
  const char* name() const override { return "slice_update"; }
  const Shape& start() const { return start_; }
  const Shape& steps() const { return steps_; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
 private:
  Shape start_, steps_;
};

// Concatenation along an axis.
class Concatenate : public Primitive {
 public:
  explicit Concatenate(int axis) : axis_(axis) {}
  const char* name() const override { return "concatenate"; }
  int axis() const { return axis_; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
 private:
  int axis_;
};

enum class ReduceOp : uint8_t { sum, prod, max, min, all, any };

// Reduction over sorted, non-empty `axes`; the output keeps reduced axes as size 1.
class Reduce : public Primitive {
 public:
  Reduce(ReduceOp op, std::vector<int> axes) : op_(op), axes_(std::move(axes)) {}
  const char* name() const override;
  ReduceOp op() const { return op_; }
  const std::vector<int>& axes() const { return axes_; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
 private:
  ReduceOp op_;
  std::vector<int> axes_;
};

// argmax/argmin along one axis, output keeps the axis as size 1 (uint32).
class ArgReduce : public Primitive {
 public:
  ArgReduce(bool is_max, int axis) : is_max_(is_max), axis_(axis) {}
  const char* name() const override { return is_max_ ? "argmax" : "argmin"; }
  bool is_max() const { return is_max_; }
  int axis() const { return axis_; }
  LMX_DEFINE_EVAL
 private:
  bool is_max_;
  int axis_;
};

// Softmax over the last axis (float32 accumulation).
class Softmax : public Primitive {
 public:
  explicit Softmax(bool precise) : precise_(precise) {}
  const char* name() const override { return "softmax"; }
  bool precise() const { return precise_; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
 private:
  bool precise_;
};

// logsumexp over the last axis; output keeps it as size 1.
class LogSumExp : public Primitive {
 public:
  const char* name() const override { return "logsumexp"; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
};

// Batched matrix product of (..., M, K) and (..., K, N), batch axes already broadcast.
class Matmul : public Primitive {
 public:
  const char* name() const override { return "matmul"; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
};

// MLX's gather: inputs = {a, indices...} (indices broadcast to one shape I, int types);
// output shape I + slice_sizes.
class Gather : public Primitive {
 public:
  Gather(std::vector<int> axes, Shape slice_sizes)
      : axes_(std::move(axes)), slice_sizes_(std::move(slice_sizes)) {}
  const char* name() const override { return "gather"; }
  const std::vector<int>& axes() const { return axes_; }
  const Shape& slice_sizes() const { return slice_sizes_; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
 private:
  std::vector<int> axes_;
  Shape slice_sizes_;
};

// MLX's scatter: inputs = {a, indices..., updates}; output a's shape.
class Scatter : public Primitive {
 public:
  Scatter(std::vector<int> axes, bool add) : axes_(std::move(axes)), add_(add) {}
  const char* name() const override { return add_ ? "scatter_add" : "scatter"; }
  const std::vector<int>& axes() const { return axes_; }
  bool is_add() const { return add_; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
 private:
  std::vector<int> axes_;
  bool add_;
};

}  // namespace lmx
