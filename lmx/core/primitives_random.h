// SPDX-License-Identifier: MIT
// The random-bits primitive behind lmx/core/random.h (eval_cpu in
// lmx/backend/cpu/random.cpp).
#pragma once

#include "lmx/core/primitive.h"

namespace lmx {

// Threefry-2x32 random bits. inputs = {keys} of shape (..., 2), uint32; the output's
// leading axes match the keys' leading axes and each key fills its block of the rest.
// The counter layout follows MLX, so a key gives the same bits as in MLX.
class RandomBits : public Primitive {
 public:
  explicit RandomBits(int width) : width_(width) {}
  const char* name() const override { return "random_bits"; }
  int width() const { return width_; }
  LMX_DEFINE_EVAL
 private:
  int width_;
};

}  // namespace lmx
