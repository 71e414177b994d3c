// SPDX-License-Identifier: MIT
#include "lmx/core/ops_linalg.h"

#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives.h"

namespace lmx {

Array matmul(const Array& a_in, const Array& b_in) {
  LMX_CHECK(a_in.ndim() >= 1 && b_in.ndim() >= 1, ShapeError, "matmul",
            "operands must have at least one dim, got {} and {}", shape_str(a_in.shape()),
            shape_str(b_in.shape()));
  Dtype dt = result_dtype(a_in, b_in);
  LMX_CHECK(is_floating(dt), DtypeError, "matmul", "needs float arrays, got {} and {}",
            dtype_name(a_in.dtype()), dtype_name(b_in.dtype()));
  Array a = a_in.ndim() == 1 ? reshape(a_in, {1, a_in.shape(0)}) : a_in;
  Array b = b_in.ndim() == 1 ? reshape(b_in, {b_in.shape(0), 1}) : b_in;
  int64_t M = a.shape(-2), K = a.shape(-1), N = b.shape(-1);
  LMX_CHECK(b.shape(-2) == K, ShapeError, "matmul",
            "inner dimensions differ: {} @ {} (last axis of the first must equal the "
            "second-to-last of the second)",
            shape_str(a_in.shape()), shape_str(b_in.shape()));
  Shape batch = broadcast_shapes(Shape(a.shape().begin(), a.shape().end() - 2),
                                 Shape(b.shape().begin(), b.shape().end() - 2));
  Shape sa = batch, sb = batch, so = batch;
  sa.insert(sa.end(), {M, K});
  sb.insert(sb.end(), {K, N});
  so.insert(so.end(), {M, N});
  a = broadcast_to(astype(a, dt), sa);
  b = broadcast_to(astype(b, dt), sb);
  Array out = apply(std::make_shared<Matmul>(), {a, b}, so, dt);
  if (a_in.ndim() == 1) out = squeeze(out, {-2});
  if (b_in.ndim() == 1) out = squeeze(out, {-1});
  return out;
}

Array addmm(const Array& c, const Array& a, const Array& b, float alpha, float beta) {
  Array ab = matmul(a, b);
  if (alpha != 1.0f) ab = multiply(ab, Array(alpha));
  if (beta == 0.0f) return ab;
  return add(ab, beta == 1.0f ? c : multiply(c, Array(beta)));
}

Array outer(const Array& a, const Array& b) {
  return multiply(reshape(a, {-1, 1}), reshape(b, {1, -1}));
}

Array inner(const Array& a, const Array& b) {
  LMX_CHECK(a.shape(-1) == b.shape(-1), ShapeError, "inner", "last axes differ: {} and {}",
            shape_str(a.shape()), shape_str(b.shape()));
  // Contract the last axes: (A..., K) x (B..., K) -> (A..., B...).
  int64_t k = a.shape(-1);
  Shape out(a.shape().begin(), a.shape().end() - 1);
  out.insert(out.end(), b.shape().begin(), b.shape().end() - 1);
  Array r = matmul(reshape(a, {-1, k}), transpose(reshape(b, {-1, k})));
  return reshape(r, out);
}

std::vector<Array> Matmul::vjp(const std::vector<Array>& primals, const std::vector<Array>& cots,
                               const std::vector<int>& argnums, const std::vector<Array>&) {
  std::vector<Array> out;
  for (int arg : argnums) {
    if (arg == 0)
      out.push_back(matmul(cots[0], swapaxes(primals[1], -1, -2)));
    else
      out.push_back(matmul(swapaxes(primals[0], -1, -2), cots[0]));
  }
  return out;
}

}  // namespace lmx
