// SPDX-License-Identifier: MIT
// Float matrix products through BLAS (OpenBLAS sgemm). A 16-bit float weight used
// transposed (x @ W.T, W (N, K) row-major: every Linear) goes through matmul_half, which
// reads W in place; other 16-bit inputs are widened to float32 first and the result is
// rounded back.
#include <cblas.h>

#include "lmx/backend/cpu/matmul_half.h"

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

// x (..., M, K) @ W.T with W a 16-bit (N, K) matrix read in place. False when b is not
// such a view.
bool half_weight_matmul(Array a, const Array& b, Array& out) {
  Dtype dt = b.dtype();
  if (dt != Dtype::bfloat16 && dt != Dtype::float16) return false;
  if (a.dtype() != Dtype::float32 && a.dtype() != Dtype::bfloat16 && a.dtype() != Dtype::float16)
    return false;
  int64_t M = a.shape(-2), K = a.shape(-1), N = b.shape(-1);
  if (M == 0 || N == 0) return false;
  int64_t sk = b.strides()[b.ndim() - 2], sn = b.strides()[b.ndim() - 1];
  // b (K, N) must be W.T: unit stride along K, rows of W at stride sn >= K.
  if (!((sk == 1 || K == 1) && (sn >= K || N == 1))) return false;
  int64_t ldw = N == 1 ? std::max<int64_t>(K, 1) : sn;
  MatLayout la = layout_of(a);
  if (!la.ok || la.trans) {
    a = contiguous(a);
    la = layout_of(a);
  }
  out.allocate();
  int nd = out.ndim();
  Shape batch(out.shape().begin(), out.shape().end() - 2);
  Strides sa(a.strides().begin(), a.strides().end() - 2);
  Strides sb(b.strides().begin(), b.strides().end() - 2);
  int64_t nbatch = shape_size(batch);
  cpu::HalfMatmulArgs args;
  args.xdtype = a.dtype();
  args.ldx = la.ld;
  args.wdtype = dt;
  args.ldw = ldw;
  args.ydtype = out.dtype();
  args.ldy = N;
  args.N = N;
  args.K = K;
  const char* pa = static_cast<const char*>(a.raw_data());
  const uint16_t* pb = b.data<uint16_t>();
  char* pc = static_cast<char*>(out.raw_data());
  size_t xs = a.itemsize(), ys = out.itemsize();
  // One weight for every batch entry and rows of x evenly spaced: fold the batch into M.
  bool shared_w = std::all_of(sb.begin(), sb.end(), [](int64_t s) { return s == 0; });
  bool x_rows = a.is_contiguous() && la.ld == K;
  if (nbatch > 1 && shared_w && x_rows) {
    args.x = pa;
    args.w = pb;
    args.y = pc;
    args.M = M * nbatch;
    cpu::half_matmul(args);
    return true;
  }
  args.M = M;
  for (int64_t i = 0; i < nbatch; ++i) {
    int64_t oa = 0, ob = 0, oc = 0, r = i;
    for (int d = nd - 3; d >= 0; --d) {
      int64_t idx = r % batch[d];
      r /= batch[d];
      oa += idx * sa[d];
      ob += idx * sb[d];
    }
    oc = i * M * N;
    args.x = pa + size_t(oa) * xs;
    args.w = pb + ob;
    args.y = pc + size_t(oc) * ys;
    cpu::half_matmul(args);
  }
  return true;
}

}  // namespace

void Matmul::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  Array a = inputs[0], b = inputs[1];
  if (half_weight_matmul(a, b, out)) return;
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
