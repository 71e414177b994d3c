// SPDX-License-Identifier: MIT
// Primitive: one operation with a body per backend and a vector-Jacobian product.
// Ops (free functions) check arguments, work out output shapes and dtypes, then call
// apply(), which runs the primitive on the inputs' device and records it for autograd.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lmx/core/array.h"

namespace lmx {

class Primitive {
 public:
  virtual ~Primitive() = default;
  // The op's name, as in error messages.
  virtual const char* name() const = 0;
  // Fill `outputs` (placeholders with shape and dtype set; the body allocates them).
  virtual void eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) = 0;
  virtual void eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) = 0;
  // Cotangents of the inputs listed in `argnums`, given the outputs' cotangents.
  // Written with ops, so it can itself be differentiated.
  virtual std::vector<Array> vjp(const std::vector<Array>& primals,
                                 const std::vector<Array>& cotangents,
                                 const std::vector<int>& argnums,
                                 const std::vector<Array>& outputs);
};

// A primitive that only rearranges metadata (views); it runs the same on every device.
class ViewPrimitive : public Primitive {
 public:
  void eval_cpu(const std::vector<Array>& in, std::vector<Array>& out) override { eval(in, out); }
  void eval_cuda(const std::vector<Array>& in, std::vector<Array>& out) override { eval(in, out); }
  virtual void eval(const std::vector<Array>& inputs, std::vector<Array>& outputs) = 0;
};

// A node of the autograd graph: the primitive that produced some arrays, and its inputs.
struct Node {
  std::shared_ptr<Primitive> primitive;
  std::vector<Array> inputs;
  std::vector<std::weak_ptr<Array::Impl>> outputs;
};

struct OutputSpec {
  Shape shape;
  Dtype dtype;
};

// Runs `p` on `inputs` (which must share a device) and returns its outputs.
std::vector<Array> apply(std::shared_ptr<Primitive> p, std::vector<Array> inputs,
                         std::vector<OutputSpec> outputs);
// The single-output case.
Array apply(std::shared_ptr<Primitive> p, std::vector<Array> inputs, Shape shape, Dtype dtype);

// Declares eval_cpu/eval_cuda for a primitive class body.
#define LMX_DEFINE_EVAL                                                                      \
  void eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) override;  \
  void eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) override;

#define LMX_DEFINE_VJP                                                                   \
  std::vector<Array> vjp(const std::vector<Array>& primals,                            \
                         const std::vector<Array>& cotangents, const std::vector<int>& argnums, \
                         const std::vector<Array>& outputs) override;

}  // namespace lmx
