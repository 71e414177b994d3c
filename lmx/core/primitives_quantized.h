// SPDX-License-Identifier: MIT
// Primitives of the quantization ops (lmx/core/quantized.h). CPU bodies in
// lmx/backend/cpu/quantized*.cpp and gather_mm.cpp; vjps in lmx/core/quantized.cpp.
#pragma once

#include <vector>

#include "lmx/core/primitive.h"
#include "lmx/core/quantized.h"

namespace lmx {

// What every quantized primitive carries.
struct QuantParams {
  int group_size = 64;
  int bits = 4;
  QuantizationMode mode = QuantizationMode::affine;
};

// inputs {w (..., K) float, row-major}; outputs {wq, scales, biases}.
class AffineQuantize : public Primitive {
 public:
  explicit AffineQuantize(QuantParams p) : p_(p) {}
  const char* name() const override { return "quantize"; }
  const QuantParams& params() const { return p_; }
  LMX_DEFINE_EVAL
 private:
  QuantParams p_;
};

// inputs {wq, scales, biases} (same leading axes); output the float matrix.
class Dequantize : public Primitive {
 public:
  explicit Dequantize(QuantParams p) : p_(p) {}
  const char* name() const override { return "dequantize"; }
  const QuantParams& params() const { return p_; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
 private:
  QuantParams p_;
};

// inputs {x (B..., M, K), wq, scales, biases (B..., rows, cols)} with batch axes already
// broadcast to the output's; x, scales and biases share the output's dtype.
class QuantizedMatmul : public Primitive {
 public:
  QuantizedMatmul(QuantParams p, bool transpose) : p_(p), transpose_(transpose) {}
  const char* name() const override { return "quantized_matmul"; }
  const QuantParams& params() const { return p_; }
  bool transpose() const { return transpose_; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
 private:
  QuantParams p_;
  bool transpose_;
};

// inputs {a (A, M, K), b (E, K, N), lhs (I) int32, rhs (I) int32} with flat batch axes
// and indices already broadcast; output I + (M, N) (the op reshapes).
class GatherMM : public Primitive {
 public:
  const char* name() const override { return "gather_mm"; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
};

// inputs {x (A, M, K), wq, scales, biases (E, rows, cols), lhs (I), rhs (I) int32};
// output (I, M, N).
class GatherQMM : public Primitive {
 public:
  GatherQMM(QuantParams p, bool transpose) : p_(p), transpose_(transpose) {}
  const char* name() const override { return "gather_qmm"; }
  const QuantParams& params() const { return p_; }
  bool transpose() const { return transpose_; }
  LMX_DEFINE_EVAL
  LMX_DEFINE_VJP
 private:
  QuantParams p_;
  bool transpose_;
};

}  // namespace lmx
