// SPDX-License-Identifier: MIT
// gather_mm: one sgemm per expert (matrix of b) that the indices select, over all the rows
// of a routed to it. Only the selected matrices of b are read: a float32 matrix in place
// (row-major or transposed view), a 16-bit one widened to float32 first (mixture-of-experts
// decoding must not touch the experts a token was not routed to).
#include <cblas.h>

#include <cstring>
#include <vector>

#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives_quantized.h"

namespace lmx {

void GatherMM::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  Array a = contiguous(astype(inputs[0], Dtype::float32));
  const Array& b = inputs[1];
  auto lhs = contiguous(inputs[2]).to_vector<int32_t>();
  auto rhs = contiguous(inputs[3]).to_vector<int32_t>();
  int64_t A = a.shape(0), M = a.shape(1), K = a.shape(2), B = b.shape(0), N = b.shape(2);
  std::vector<std::vector<int64_t>> by_expert(static_cast<size_t>(B));
  for (size_t i = 0; i < lhs.size(); ++i) {
    LMX_CHECK(lhs[i] >= 0 && lhs[i] < A, ValueError, name(),
              "lhs_indices value {} is out of range for {} matrices", lhs[i], A);
    LMX_CHECK(rhs[i] >= 0 && rhs[i] < B, ValueError, name(),
              "rhs_indices value {} is out of range for {} matrices", rhs[i], B);
    by_expert[rhs[i]].push_back(int64_t(i));
  }
  Array res = out.dtype() == Dtype::float32
                  ? out
                  : Array::placeholder(out.shape(), Dtype::float32, out.device());
  res.allocate();
  float* pc = res.data<float>();
  if (K == 0) {
    std::fill(pc, pc + res.size(), 0.0f);
    if (res.dtype() != out.dtype()) out = astype(res, out.dtype());
    return;
  }
  const float* pa = a.data<float>();
  std::vector<float> ag, cg;
  for (int64_t e = 0; e < B; ++e) {
    const auto& items = by_expert[e];
    if (items.empty()) continue;
    // Matrix e of b as float32 (K, N), read in place when b is float32 and row-major or
    // transposed along its last two axes.
    const Strides& st = b.strides();
    CBLAS_TRANSPOSE tb = CblasNoTrans;
    int ldb = int(N);
    Array be;  // a widened copy of matrix e when it cannot be read in place
    const float* pb = nullptr;
    if (b.dtype() == Dtype::float32 && st[2] == 1 && st[1] >= N) {
      ldb = int(st[1]);
    } else if (b.dtype() == Dtype::float32 && st[1] == 1 && st[2] >= K) {
      tb = CblasTrans;
      ldb = int(st[2]);
    } else {
      be = contiguous(astype(slice(b, 0, e, e + 1), Dtype::float32));
      pb = be.data<float>();
    }
    if (!pb) pb = b.data<float>() + e * st[0];
    int64_t cnt = int64_t(items.size());
    const float* x = pa + lhs[items[0]] * M * K;
    float* c = pc + items[0] * M * N;
    if (cnt > 1) {
      ag.resize(size_t(cnt * M * K));
      cg.resize(size_t(cnt * M * N));
      for (int64_t j = 0; j < cnt; ++j)
        std::memcpy(ag.data() + j * M * K, pa + lhs[items[j]] * M * K, size_t(M * K) * 4);
      x = ag.data();
      c = cg.data();
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, tb, int(M * cnt), int(N), int(K), 1.0f, x, int(K), pb,
                ldb, 0.0f, c, int(N));
    if (cnt > 1)
      for (int64_t j = 0; j < cnt; ++j)
        std::memcpy(pc + items[j] * M * N, cg.data() + j * M * N, size_t(M * N) * 4);
  }
  if (res.dtype() != out.dtype()) out = astype(res, out.dtype());
}

}  // namespace lmx
