// SPDX-License-Identifier: MIT
// Quantization ops: argument checks, shapes and dtypes, and the vjps (written with ops).
#include "lmx/core/quantized.h"

#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives_quantized.h"

namespace lmx {

QuantizationMode quantization_mode(std::string_view mode, const char* op) {
  if (mode == "affine") return QuantizationMode::affine;
  if (mode == "mxfp4" || mode == "nvfp4" || mode == "mxfp8")
    raise<ValueError>(op, "quantization mode '{}' is not implemented yet (only 'affine' is)", mode);
  raise<ValueError>(op, "unknown quantization mode '{}' (expected affine, mxfp4, nvfp4 or mxfp8)",
                    mode);
}

namespace {

const char* mode_name(QuantizationMode m) {
  static const char* names[] = {"affine", "mxfp4", "nvfp4", "mxfp8"};
  return names[int(m)];
}

QuantParams make_params(int group_size, int bits, std::string_view mode, const char* op) {
  QuantParams p{group_size, bits, quantization_mode(mode, op)};
  LMX_CHECK(bits == 2 || bits == 3 || bits == 4 || bits == 5 || bits == 6 || bits == 8, ValueError,
            op, "bits must be 2, 3, 4, 5, 6 or 8, got {}", bits);
  LMX_CHECK(group_size == 32 || group_size == 64 || group_size == 128, ValueError, op,
            "group_size must be 32, 64 or 128, got {}", group_size);
  return p;
}

Shape batch_of(const Array& a) { return Shape(a.shape().begin(), a.shape().end() - 2); }

Shape with_last2(Shape batch, int64_t r, int64_t c) {
  batch.push_back(r);
  batch.push_back(c);
  return batch;
}

// Checks a packed matrix and its scales/biases; returns the dequantized (rows, cols).
std::pair<int64_t, int64_t> check_packed(const Array& wq, const Array& scales, const Array& biases,
                                         const QuantParams& p, const char* op) {
  LMX_CHECK(wq.dtype() == Dtype::uint32, DtypeError, op, "the packed weight must be uint32, got {}",
            dtype_name(wq.dtype()));
  LMX_CHECK(wq.ndim() >= 2, ShapeError, op, "the packed weight must be at least 2-D, got {}",
            shape_str(wq.shape()));
  LMX_CHECK(is_floating(scales.dtype()) && is_floating(biases.dtype()), DtypeError, op,
            "scales and biases must be float, got {} and {}", dtype_name(scales.dtype()),
            dtype_name(biases.dtype()));
  LMX_CHECK(scales.shape() == biases.shape(), ShapeError, op,
            "scales {} and biases {} differ in shape", shape_str(scales.shape()),
            shape_str(biases.shape()));
  int64_t rows = wq.shape(-2), cols = wq.shape(-1) * 32 / p.bits;
  Shape expect = wq.shape();
  expect.back() = cols / p.group_size;
  LMX_CHECK(scales.shape() == expect && cols % p.group_size == 0, ShapeError, op,
            "a packed weight {} holds {} x {} {}-bit values, which needs scales of shape {} with "
            "group_size {}, got {}",
            shape_str(wq.shape()), rows, cols, p.bits, shape_str(expect), p.group_size,
            shape_str(scales.shape()));
  return {rows, cols};
}

Array index_or_arange(const Array& idx, const Shape& batch, const char* what, const char* op) {
  if (!idx.valid()) return reshape(arange(shape_size(batch), Dtype::int32), batch);
  LMX_CHECK(is_integral(idx.dtype()), DtypeError, op, "{} must be integers, got {}", what,
            dtype_name(idx.dtype()));
  return idx;
}

// Broadcasts the two index arrays; returns them flattened (int32) and their shape I.
std::tuple<Array, Array, Shape> prepare_indices(const Array& lhs, const Array& rhs,
                                                const Shape& abatch, const Shape& bbatch,
                                                const char* op) {
  Array l = index_or_arange(lhs, abatch, "lhs_indices", op);
  Array r = index_or_arange(rhs, bbatch, "rhs_indices", op);
  auto lr = broadcast_arrays({l, r});
  Shape I = lr[0].shape();
  int64_t n = shape_size(I);
  return {astype(reshape(lr[0], {n}), Dtype::int32), astype(reshape(lr[1], {n}), Dtype::int32), I};
}

}  // namespace

std::tuple<Array, Array, Array> quantize(const Array& w, int group_size, int bits,
                                         std::string_view mode) {
  const char* op = "quantize";
  QuantParams p = make_params(group_size, bits, mode, op);
  LMX_CHECK(is_floating(w.dtype()), DtypeError, op, "needs a float matrix, got {}",
            dtype_name(w.dtype()));
  LMX_CHECK(w.ndim() >= 2, ShapeError, op, "needs a matrix of at least 2 dims, got {}",
            shape_str(w.shape()));
  int64_t K = w.shape(-1);
  LMX_CHECK(K % group_size == 0, ShapeError, op,
            "the last axis ({} in {}) must be divisible by group_size {}", K, shape_str(w.shape()),
            group_size);
  Shape qs = w.shape(), ss = w.shape();
  qs.back() = K * bits / 32;
  ss.back() = K / group_size;
  auto outs = apply(std::make_shared<AffineQuantize>(p), {contiguous(stop_gradient(w))},
                    {{qs, Dtype::uint32}, {ss, w.dtype()}, {ss, w.dtype()}});
  return {outs[0], outs[1], outs[2]};
}

Array dequantize(const Array& wq, const Array& scales, const Array& biases, int group_size,
                 int bits, std::string_view mode) {
  const char* op = "dequantize";
  QuantParams p = make_params(group_size, bits, mode, op);
  auto [rows, cols] = check_packed(wq, scales, biases, p, op);
  (void)rows;
  Shape out = wq.shape();
  out.back() = cols;
  Dtype dt = scales.dtype();
  return apply(std::make_shared<Dequantize>(p), {wq, scales, astype(biases, dt)}, out, dt);
}

Array quantized_matmul(const Array& x_in, const Array& wq, const Array& scales, const Array& biases,
                       bool transpose, int group_size, int bits, std::string_view mode) {
  const char* op = "quantized_matmul";
  QuantParams p = make_params(group_size, bits, mode, op);
  auto [rows, cols] = check_packed(wq, scales, biases, p, op);
  LMX_CHECK(x_in.ndim() >= 1, ShapeError, op, "x must have at least one dim");
  Dtype dt = promote_types(x_in.dtype(), scales.dtype());
  LMX_CHECK(is_floating(x_in.dtype()), DtypeError, op, "x must be float, got {}",
            dtype_name(x_in.dtype()));
  int64_t K = x_in.shape(-1), wk = transpose ? cols : rows, N = transpose ? rows : cols;
  LMX_CHECK(K == wk, ShapeError, op,
            "x {} has {} features but the {}weight {} ({} x {} after dequantization) takes {}",
            shape_str(x_in.shape()), K, transpose ? "transposed " : "", shape_str(wq.shape()), rows,
            cols, wk);
  Array x = x_in.ndim() == 1 ? reshape(x_in, {1, K}) : x_in;
  int64_t M = x.shape(-2);
  Shape batch = broadcast_shapes(batch_of(x), batch_of(wq));
  x = broadcast_to(astype(x, dt), with_last2(batch, M, K));
  Array w = broadcast_to(wq, with_last2(batch, rows, wq.shape(-1)));
  Array s = broadcast_to(astype(scales, dt), with_last2(batch, rows, scales.shape(-1)));
  Array b = broadcast_to(astype(biases, dt), with_last2(batch, rows, scales.shape(-1)));
  Array out = apply(std::make_shared<QuantizedMatmul>(p, transpose), {x, w, s, b},
                    with_last2(batch, M, N), dt);
  return x_in.ndim() == 1 ? squeeze(out, {-2}) : out;
}

Array gather_mm(const Array& a_in, const Array& b_in, const Array& lhs, const Array& rhs) {
  const char* op = "gather_mm";
  LMX_CHECK(a_in.ndim() >= 2 && b_in.ndim() >= 2, ShapeError, op,
            "operands must be at least 2-D, got {} and {}", shape_str(a_in.shape()),
            shape_str(b_in.shape()));
  Dtype dt = promote_types(a_in.dtype(), b_in.dtype());
  LMX_CHECK(is_floating(dt), DtypeError, op, "needs float arrays, got {} and {}",
            dtype_name(a_in.dtype()), dtype_name(b_in.dtype()));
  int64_t M = a_in.shape(-2), K = a_in.shape(-1), N = b_in.shape(-1);
  LMX_CHECK(b_in.shape(-2) == K, ShapeError, op, "inner dimensions differ: {} @ {}",
            shape_str(a_in.shape()), shape_str(b_in.shape()));
  Shape ab = batch_of(a_in), bb = batch_of(b_in);
  auto [l, r, I] = prepare_indices(lhs, rhs, ab, bb, op);
  Array a = reshape(astype(a_in, dt), {shape_size(ab), M, K});
  Array b = reshape(astype(b_in, dt), {shape_size(bb), K, N});
  Array out = apply(std::make_shared<GatherMM>(), {a, b, l, r}, {l.size(), M, N}, dt);
  return reshape(out, with_last2(I, M, N));
}

Array gather_qmm(const Array& x_in, const Array& wq, const Array& scales, const Array& biases,
                 const Array& lhs, const Array& rhs, bool transpose, int group_size, int bits,
                 std::string_view mode) {
  const char* op = "gather_qmm";
  QuantParams p = make_params(group_size, bits, mode, op);
  auto [rows, cols] = check_packed(wq, scales, biases, p, op);
  LMX_CHECK(x_in.ndim() >= 2, ShapeError, op, "x must be at least 2-D, got {}",
            shape_str(x_in.shape()));
  LMX_CHECK(is_floating(x_in.dtype()), DtypeError, op, "x must be float, got {}",
            dtype_name(x_in.dtype()));
  Dtype dt = promote_types(x_in.dtype(), scales.dtype());
  int64_t M = x_in.shape(-2), K = x_in.shape(-1);
  int64_t wk = transpose ? cols : rows, N = transpose ? rows : cols;
  LMX_CHECK(K == wk, ShapeError, op,
            "x {} has {} features but the {}weight {} ({} x {} after dequantization) takes {}",
            shape_str(x_in.shape()), K, transpose ? "transposed " : "", shape_str(wq.shape()), rows,
            cols, wk);
  Shape xb = batch_of(x_in), wb = batch_of(wq);
  auto [l, r, I] = prepare_indices(lhs, rhs, xb, wb, op);
  int64_t E = shape_size(wb);
  Array x = reshape(astype(x_in, dt), {shape_size(xb), M, K});
  Array w = reshape(wq, {E, rows, wq.shape(-1)});
  Array s = reshape(astype(scales, dt), {E, rows, scales.shape(-1)});
  Array b = reshape(astype(biases, dt), {E, rows, scales.shape(-1)});
  Array out =
      apply(std::make_shared<GatherQMM>(p, transpose), {x, w, s, b, l, r}, {l.size(), M, N}, dt);
  return reshape(out, with_last2(I, M, N));
}

// --- vjps ---

namespace {

// Sums (..., rows, cols) over groups of the last axis: (..., rows, cols / group_size).
Array group_sum(const Array& a, int group_size) {
  Shape s = a.shape();
  s.back() /= group_size;
  s.push_back(group_size);
  return sum(reshape(a, s), -1);
}

// The integer codes of a packed matrix as floats (dequantized with scale 1, bias 0).
Array codes_of(const Array& wq, const Array& scales, const QuantParams& p) {
  return dequantize(wq, ones(scales.shape(), Dtype::float32), zeros(scales.shape(), Dtype::float32),
                    p.group_size, p.bits, mode_name(p.mode));
}

[[noreturn]] void no_weight_grad(const char* op) {
  raise<ValueError>(op,
                    "the packed quantized weights have no gradient (differentiate with respect to "
                    "x, or the scales and biases)");
}

}  // namespace

std::vector<Array> Dequantize::vjp(const std::vector<Array>& primals,
                                   const std::vector<Array>& cots, const std::vector<int>& argnums,
                                   const std::vector<Array>&) {
  std::vector<Array> out;
  for (int arg : argnums) {
    if (arg == 0) no_weight_grad(name());
    Array g = astype(cots[0], Dtype::float32);
    if (arg == 1) g = multiply(g, codes_of(primals[0], primals[1], p_));
    out.push_back(astype(group_sum(g, p_.group_size), primals[arg].dtype()));
  }
  return out;
}

std::vector<Array> QuantizedMatmul::vjp(const std::vector<Array>& primals,
                                        const std::vector<Array>& cots,
                                        const std::vector<int>& argnums,
                                        const std::vector<Array>&) {
  const Array &x = primals[0], &wq = primals[1], &s = primals[2], &b = primals[3];
  std::vector<Array> out;
  for (int arg : argnums) {
    if (arg == 0) {
      out.push_back(quantized_matmul(cots[0], wq, s, b, !transpose_, p_.group_size, p_.bits,
                                     mode_name(p_.mode)));
      continue;
    }
    if (arg == 1) no_weight_grad(name());
    // d/dW of the dequantized matrix, in its (rows, cols) layout.
    Array xf = astype(x, Dtype::float32), cf = astype(cots[0], Dtype::float32);
    Array dw = transpose_ ? matmul(swapaxes(cf, -1, -2), xf) : matmul(swapaxes(xf, -1, -2), cf);
    if (arg == 2) dw = multiply(dw, codes_of(wq, s, p_));
    out.push_back(astype(group_sum(dw, p_.group_size), primals[arg].dtype()));
  }
  return out;
}

std::vector<Array> GatherMM::vjp(const std::vector<Array>& primals, const std::vector<Array>& cots,
                                 const std::vector<int>& argnums, const std::vector<Array>&) {
  const Array &a = primals[0], &b = primals[1], &l = primals[2], &r = primals[3];
  int64_t n = l.size();
  Array iota = arange(n, Dtype::int32);
  std::vector<Array> out;
  for (int arg : argnums) {
    if (arg == 0) {
      Array g = gather_mm(cots[0], swapaxes(b, -1, -2), iota, r);  // (n, M, K)
      out.push_back(
          scatter_add(zeros_like(a), {l}, reshape(g, {n, 1, a.shape(1), a.shape(2)}), {0}));
    } else if (arg == 1) {
      Array g = gather_mm(swapaxes(a, -1, -2), cots[0], l, iota);  // (n, K, N)
      out.push_back(
          scatter_add(zeros_like(b), {r}, reshape(g, {n, 1, b.shape(1), b.shape(2)}), {0}));
    } else {
      out.push_back(zeros_like(primals[arg]));
    }
  }
  return out;
}

std::vector<Array> GatherQMM::vjp(const std::vector<Array>& primals, const std::vector<Array>& cots,
                                  const std::vector<int>& argnums, const std::vector<Array>&) {
  const Array& x = primals[0];
  const Array &l = primals[4], &r = primals[5];
  int64_t n = l.size();
  std::vector<Array> out;
  for (int arg : argnums) {
    if (arg == 0) {
      Array g = gather_qmm(cots[0], primals[1], primals[2], primals[3], arange(n, Dtype::int32), r,
                           !transpose_, p_.group_size, p_.bits, mode_name(p_.mode));
      out.push_back(
          scatter_add(zeros_like(x), {l}, reshape(g, {n, 1, x.shape(1), x.shape(2)}), {0}));
    } else if (arg == 4 || arg == 5) {
      out.push_back(zeros_like(primals[arg]));
    } else {
      raise<ValueError>(name(), "is differentiable only with respect to x");
    }
  }
  return out;
}

}  // namespace lmx
