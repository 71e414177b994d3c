// SPDX-License-Identifier: MIT
// conv1d: argument checks, the composite reference and the vjp.
#include "lmx/core/conv.h"

#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives_fast.h"

namespace lmx {

namespace {

struct ConvShape {
  int64_t N, L, C_in, C_out, K, L_out;
  Dtype dtype;
};

ConvShape check_conv1d(const Array& x, const Array& w, int stride, int padding, int dilation,
                       int groups) {
  const char* op = "conv1d";
  LMX_CHECK(x.valid() && w.valid() && x.ndim() == 3 && w.ndim() == 3, ShapeError, op,
            "x must be (N, L, C_in) and w (C_out, K, C_in / groups), got {} and {}",
            x.valid() ? shape_str(x.shape()) : "null", w.valid() ? shape_str(w.shape()) : "null");
  LMX_CHECK(stride >= 1 && dilation >= 1 && padding >= 0 && groups >= 1, ValueError, op,
            "needs stride >= 1, dilation >= 1, padding >= 0 and groups >= 1, got {}, {}, {}, {}",
            stride, dilation, padding, groups);
  ConvShape s{x.shape(0), x.shape(1), x.shape(2), w.shape(0), w.shape(1), 0, Dtype::float32};
  LMX_CHECK(s.C_in % groups == 0 && s.C_out % groups == 0, ValueError, op,
            "{} input and {} output channels are not divisible by {} groups", s.C_in, s.C_out,
            groups);
  LMX_CHECK(w.shape(2) * groups == s.C_in, ShapeError, op,
            "weight {} expects {} input channels ({} per group x {} groups), input {} has {}",
            shape_str(w.shape()), w.shape(2) * groups, w.shape(2), groups, shape_str(x.shape()),
            s.C_in);
  int64_t span = int64_t(dilation) * (s.K - 1) + 1;
  LMX_CHECK(s.K >= 1 && s.L + 2 * padding >= span, ShapeError, op,
            "kernel of size {} (dilation {}) is longer than the padded input ({} + 2 x {})", s.K,
            dilation, s.L, padding);
  s.L_out = (s.L + 2 * padding - span) / stride + 1;
  s.dtype = promote_types(x.dtype(), w.dtype());
  LMX_CHECK(is_floating(s.dtype), DtypeError, op, "needs float arrays, got {} and {}",
            dtype_name(x.dtype()), dtype_name(w.dtype()));
  return s;
}

}  // namespace

Array conv1d(const Array& x, const Array& w, int stride, int padding, int dilation, int groups) {
  ConvShape s = check_conv1d(x, w, stride, padding, dilation, groups);
  return apply(std::make_shared<Conv1d>(stride, padding, dilation, groups),
               {contiguous(astype(x, s.dtype)), contiguous(astype(w, s.dtype))},
               {s.N, s.L_out, s.C_out}, s.dtype);
}

Array conv1d_reference(const Array& x_in, const Array& w_in, int stride, int padding, int dilation,
                       int groups) {
  ConvShape s = check_conv1d(x_in, w_in, stride, padding, dilation, groups);
  int64_t G = groups, cin = s.C_in / G, cout = s.C_out / G;
  Array x = astype(x_in, Dtype::float32);
  if (padding > 0) x = pad(x, {{0, 0}, {padding, padding}, {0, 0}});
  // w as (G, K, cin, cout) so tap k of group g is a (cin, cout) matrix.
  Array w = transpose(reshape(astype(w_in, Dtype::float32), {G, cout, s.K, cin}), {0, 2, 3, 1});
  Array out;
  for (int64_t k = 0; k < s.K; ++k) {
    int64_t start = k * dilation;
    Array xk = slice(x, 1, start, start + (s.L_out - 1) * stride + 1, stride);  // (N, Lo, C_in)
    xk = transpose(reshape(xk, {s.N * s.L_out, G, cin}), {1, 0, 2});            // (G, N Lo, cin)
    Array wk = reshape(slice(w, 1, k, k + 1), {G, cin, cout});
    Array yk = matmul(xk, wk);  // (G, N Lo, cout)
    out = out.valid() ? add(out, yk) : yk;
  }
  out = reshape(transpose(out, {1, 0, 2}), {s.N, s.L_out, s.C_out});
  return astype(out, s.dtype);
}

std::vector<Array> Conv1d::vjp(const std::vector<Array>& primals, const std::vector<Array>& cots,
                               const std::vector<int>& argnums, const std::vector<Array>&) {
  int st = stride_, pd = padding_, dl = dilation_, gr = groups_;
  auto fn = [=](const std::vector<Array>& in) {
    return std::vector<Array>{conv1d_reference(in[0], in[1], st, pd, dl, gr)};
  };
  return fast::detail::composite_vjp(fn, primals, cots, argnums);
}

}  // namespace lmx
