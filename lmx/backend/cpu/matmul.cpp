// SPDX-License-Identifier: MIT
// Float matrix products through BLAS (OpenBLAS sgemm). 16-bit inputs are widened to
// float32 first; the result is rounded back.
#include <cblas.h>

#include "lmx/backend/cpu/strided.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives.h"

namespace lmx {

namespace {

// How BLAS can read a (rows, cols) matrix view: row-major with leading dim, or transposed.
struct MatLayout {
  bool ok = false;
  bool trans = false;
  int64_t ld = 0;
};

MatLayout layout_of(const Array& a) {
  int64_t r = a.shape(-2), c = a.shape(-1);
  int64_t sr = a.strides()[a.ndim() - 2], sc = a.strides()[a.ndim() - 1];
  if ((sc == 1 || c == 1) && (sr >= std::max<int64_t>(c, 1) || r == 1))
    return {true, false, r == 1 ? std::max<int64_t>(c, 1) : sr};
  if ((sr == 1 || r == 1) && (sc >= std::max<int64_t>(r, 1) || c == 1))
    return {true, true, c == 1 ? std::max<int64_t>(r, 1) : sc};
  return {};
}

}  // namespace

void Matmul::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  Array a = inputs[0], b = inputs[1];
  if (a.dtype() != Dtype::float32) {
    a = astype(a, Dtype::float32);
    b = astype(b, Dtype::float32);
  }
  MatLayout la = layout_of(a), lb = layout_of(b);
  if (!la.ok) {
    a = contiguous(a);
    la = layout_of(a);
  }
  if (!lb.ok) {
    b = contiguous(b);
    lb = layout_of(b);
  }
  Array res = out.dtype() == Dtype::float32 ? out : Array::placeholder(out.shape(), Dtype::float32, out.device());
  res.allocate();
  int64_t M = a.shape(-2), K = a.shape(-1), N = b.shape(-1);
  int nd = out.ndim();
  Shape batch(out.shape().begin(), out.shape().end() - 2);
  Strides sa(a.strides().begin(), a.strides().end() - 2);
  Strides sb(b.strides().begin(), b.strides().end() - 2);
  Strides so(res.strides().begin(), res.strides().end() - 2);
  int64_t nbatch = shape_size(batch);
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* pc = res.data<float>();
  for (int64_t i = 0; i < nbatch; ++i) {
    int64_t oa = 0, ob = 0, oc = 0, r = i;
    for (int d = nd - 3; d >= 0; --d) {
      int64_t idx = r % batch[d];
      r /= batch[d];
      oa += idx * sa[d];
      ob += idx * sb[d];
      oc += idx * so[d];
    }
    if (K == 0) {
      std::fill(pc + oc, pc + oc + M * N, 0.0f);
      continue;
    }
    if (M == 1) {
      // GEMV: y(N) = x(K) @ B(K, N)
      if (!lb.trans)
        cblas_sgemv(CblasRowMajor, CblasTrans, K, N, 1.0f, pb + ob, lb.ld,
                    pa + oa, la.trans ? la.ld : 1, 0.0f, pc + oc, 1);
      else
        cblas_sgemv(CblasRowMajor, CblasNoTrans, N, K, 1.0f, pb + ob, lb.ld,
                    pa + oa, la.trans ? la.ld : 1, 0.0f, pc + oc, 1);
      continue;
    }
    cblas_sgemm(CblasRowMajor, la.trans ? CblasTrans : CblasNoTrans,
                lb.trans ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, pa + oa, la.ld, pb + ob,
                lb.ld, 0.0f, pc + oc, N);
  }
  if (res.dtype() != out.dtype()) {
    out = astype(res, out.dtype());
  }
}

}  // namespace lmx
