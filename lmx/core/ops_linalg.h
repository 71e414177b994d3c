// SPDX-License-Identifier: MIT
// Matrix products.
#pragma once

#include "lmx/core/array.h"

namespace lmx {

// a @ b with NumPy semantics: 1-D operands are promoted, batch axes broadcast.
// Float dtypes; bf16/fp16 accumulate in float32.
Array matmul(const Array& a, const Array& b);
// alpha * (a @ b) + beta * c.
Array addmm(const Array& c, const Array& a, const Array& b, float alpha = 1.0f,
            float beta = 1.0f);
Array outer(const Array& a, const Array& b);
// Contraction of the last axes: (A..., K) x (B..., K) -> (A..., B...).
Array inner(const Array& a, const Array& b);

}  // namespace lmx
