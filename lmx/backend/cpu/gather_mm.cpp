// SPDX-License-Identifier: MIT
// gather_mm: one sgemm per gathered pair of matrices (16-bit inputs widened to float32).
#include <cblas.h>

#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives_quantized.h"

namespace lmx {

void GatherMM::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  Array a = contiguous(astype(inputs[0], Dtype::float32));
  Array b = contiguous(astype(inputs[1], Dtype::float32));
  auto lhs = contiguous(inputs[2]).to_vector<int32_t>();
  auto rhs = contiguous(inputs[3]).to_vector<int32_t>();
  int64_t A = a.shape(0), M = a.shape(1), K = a.shape(2), B = b.shape(0), N = b.shape(2);
  for (size_t i = 0; i < lhs.size(); ++i) {
    LMX_CHECK(lhs[i] >= 0 && lhs[i] < A, ValueError, name(),
              "lhs_indices value {} is out of range for {} matrices", lhs[i], A);
    LMX_CHECK(rhs[i] >= 0 && rhs[i] < B, ValueError, name(),
              "rhs_indices value {} is out of range for {} matrices", rhs[i], B);
  }
  Array res = out.dtype() == Dtype::float32
                  ? out
                  : Array::placeholder(out.shape(), Dtype::float32, out.device());
  res.allocate();
  const float *pa = a.data<float>(), *pb = b.data<float>();
  float* pc = res.data<float>();
  for (size_t i = 0; i < lhs.size(); ++i) {
    float* c = pc + int64_t(i) * M * N;
    if (K == 0) {
      std::fill(c, c + M * N, 0.0f);
      continue;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(M), int(N), int(K), 1.0f,
                pa + lhs[i] * M * K, int(K), pb + rhs[i] * K * N, int(N), 0.0f, c, int(N));
  }
  if (res.dtype() != out.dtype()) out = astype(res, out.dtype());
}

}  // namespace lmx
