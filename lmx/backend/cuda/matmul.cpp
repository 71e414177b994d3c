// SPDX-License-Identifier: MIT
// Float matrix products through cuBLAS (cublasGemmStridedBatchedEx), float32 accumulation.
// Row-major C = A B is computed as column-major C^T = B^T A^T, so no operand is copied
// when it is row-major or transposed with a leading dimension; batch axes that collapse
// to one stride go in one batched call, others loop on the host.
#include <cublas_v2.h>

#include "lmx/backend/cuda/eval.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives.h"

namespace lmx {

namespace {

// How cuBLAS can read a (rows, cols) row-major matrix view: directly (ld) or transposed.
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

cudaDataType_t cuda_type(Dtype t) {
  switch (t) {
    case Dtype::float16: return CUDA_R_16F;
    case Dtype::bfloat16: return CUDA_R_16BF;
    default: return CUDA_R_32F;
  }
}

}  // namespace

void Matmul::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  Array a = inputs[0], b = inputs[1];
  if (!is_floating(a.dtype())) {  // integer products: in float32, rounded back
    Array r = matmul(astype(a, Dtype::float32), astype(b, Dtype::float32));
    std::vector<Array> o{out};
    AsType().eval_cuda({r}, o);
    out = o[0];
    return;
  }
  MatLayout la = layout_of(a), lb = layout_of(b);
  if (!la.ok) la = layout_of(a = contiguous(a));
  if (!lb.ok) lb = layout_of(b = contiguous(b));
  out.allocate();
  int64_t M = out.shape(-2), N = out.shape(-1), K = a.shape(-1);
  cudaStream_t stream = cuda::stream_of(out);
  if (out.size() == 0) return;
  if (K == 0) {
    cuda::check(cudaMemsetAsync(out.raw_data(), 0, out.nbytes(), stream), name(), "memset");
    return;
  }
  // Batch axes: collapse what shares one stride per operand; the last collapsed axis goes
  // to cuBLAS, the rest loop here.
  int nd = out.ndim();
  Shape batch(out.shape().begin(), out.shape().end() - 2);
  Strides sa(a.strides().begin(), a.strides().end() - 2);
  Strides sb(b.strides().begin(), b.strides().end() - 2);
  Strides so(out.strides().begin(), out.strides().end() - 2);
  auto bp = cuda::make_strided<3>(batch, {&sa, &sb, &so}, name());
  int last = bp.ndim - 1;
  int64_t inner = bp.shape[last], outer = bp.size / std::max<int64_t>(inner, 1);
  size_t es = out.itemsize();
  cudaDataType_t ty = cuda_type(out.dtype());
  cublasHandle_t h = cuda::context(out.device().index).cublas;
  const float alpha = 1.0f, beta = 0.0f;
  // Column-major: C^T (N, M) = op(B^T) (N, K) op(A^T) (K, M).
  cublasOperation_t opb = lb.trans ? CUBLAS_OP_T : CUBLAS_OP_N;
  cublasOperation_t opa = la.trans ? CUBLAS_OP_T : CUBLAS_OP_N;
  for (int64_t o = 0; o < outer; ++o) {
    int64_t oa = 0, ob = 0, oc = 0, r = o;
    for (int d = last - 1; d >= 0; --d) {
      int64_t idx = r % bp.shape[d];
      r /= bp.shape[d];
      oa += idx * bp.strides[0][d];
      ob += idx * bp.strides[1][d];
      oc += idx * bp.strides[2][d];
    }
    const char* pa = static_cast<const char*>(a.raw_data()) + oa * es;
    const char* pb = static_cast<const char*>(b.raw_data()) + ob * es;
    char* pc = static_cast<char*>(out.raw_data()) + oc * es;
    cuda::check(cublasGemmStridedBatchedEx(
                    h, opb, opa, int(N), int(M), int(K), &alpha, pb, ty, int(lb.ld),
                    bp.strides[1][last], pa, ty, int(la.ld), bp.strides[0][last], &beta, pc, ty,
                    int(N), bp.strides[2][last], int(inner), CUBLAS_COMPUTE_32F,
                    CUBLAS_GEMM_DEFAULT),
                name(), "cublasGemmStridedBatchedEx failed");
  }
  (void)nd;
}

}  // namespace lmx
