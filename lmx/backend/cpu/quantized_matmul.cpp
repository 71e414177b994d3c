// SPDX-License-Identifier: MIT
// Quantized matrix products on the CPU: the portable GEMV, the GEMM path (dequantized tiles
// through BLAS sgemm), and the primitives' bodies that split batches and experts into
// qmm() calls.
#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "lmx/backend/cpu/matmul_half.h"
#include "lmx/backend/cpu/quantized.h"
#include "lmx/backend/cpu/threading.h"
#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives_quantized.h"

namespace lmx {

namespace cpu::quant {

namespace {

std::atomic<bool> g_simd{true};

// Up to this many rows of x, the GEMV path (reads W once, dequantizing on the fly).
constexpr int64_t kGemvMaxRows = 8;

void store_float(void* y, int64_t i, float v, Dtype dtype) {
  switch (dtype) {
    case Dtype::bfloat16:
      static_cast<bfloat16*>(y)[i] = bfloat16(v);
      break;
    case Dtype::float16:
      static_cast<float16*>(y)[i] = float16(v);
      break;
    default:
      static_cast<float*>(y)[i] = v;
  }
}

// x (M, K) as float32: the input itself when it already is.
const float* x_as_f32(const QmmArgs& a, std::vector<float>& buf) {
  if (a.dtype == Dtype::float32) return static_cast<const float*>(a.x);
  buf.resize(size_t(a.M * a.K));
  for (int64_t i = 0; i < a.M * a.K; ++i) buf[i] = load_float(a.x, i, a.dtype);
  return buf.data();
}

template <int BITS>
void qmv_rows_portable(const QmmArgs& a, const float* xf, const float* xsum, int64_t n0,
                       int64_t n1) {
  const int gs = a.group_size;
  const int64_t G = a.K / gs, rb = row_bytes(a.K, BITS);
  uint8_t codes[128];
  float acc[kGemvMaxRows];
  for (int64_t n = n0; n < n1; ++n) {
    std::fill(acc, acc + a.M, 0.0f);
    for (int64_t g = 0; g < G; ++g) {
      unpack_codes<BITS>(a.w + n * rb, g * gs, gs, codes);
      float s = load_float(a.scales, n * G + g, a.dtype);
      float b = load_float(a.biases, n * G + g, a.dtype);
      for (int64_t m = 0; m < a.M; ++m) {
        const float* xg = xf + m * a.K + g * gs;
        float d = 0.0f;
        for (int j = 0; j < gs; ++j) d += float(codes[j]) * xg[j];
        acc[m] += s * d + b * xsum[m * G + g];
      }
    }
    for (int64_t m = 0; m < a.M; ++m) store_float(a.y, m * a.N + n, acc[m], a.dtype);
  }
}

// y = x @ W^T for M <= kGemvMaxRows without SIMD intrinsics:
// y[m, n] = sum_g scale[n, g] * (q[n, g] . x[m, g]) + bias[n, g] * sum(x[m, g]).
void qmv_portable(const QmmArgs& a) {
  std::vector<float> xbuf;
  const float* xf = x_as_f32(a, xbuf);
  const int64_t G = a.K / a.group_size;
  std::vector<float> xsum(size_t(a.M * G), 0.0f);
  for (int64_t m = 0; m < a.M; ++m)
    for (int64_t k = 0; k < a.K; ++k) xsum[m * G + k / a.group_size] += xf[m * a.K + k];
  dispatch_bits(a.bits, [&](auto b) {
    parallel_for(a.N, a.K * a.M, [&](int64_t n0, int64_t n1) {
      qmv_rows_portable<decltype(b)::value>(a, xf, xsum.data(), n0, n1);
    });
  });
}

// Dequantizes W a tile at a time to float32 (in parallel) and multiplies with sgemm.
void qmm_blas(const QmmArgs& a) {
  std::vector<float> xbuf, ybuf;
  const float* xf = x_as_f32(a, xbuf);
  float* yf = a.dtype == Dtype::float32 ? static_cast<float*>(a.y)
                                        : (ybuf.resize(size_t(a.M * a.N)), ybuf.data());
  // Rows of W (as packed) and their length; a tile of about 4 MiB of float32.
  const int64_t rows = a.transpose ? a.N : a.K, cols = a.transpose ? a.K : a.N;
  const int64_t tile_rows = std::clamp<int64_t>((int64_t(1) << 20) / std::max<int64_t>(cols, 1), 16,
                                                std::max<int64_t>(rows, 1));
  std::vector<float> tile(size_t(tile_rows * cols));
  for (int64_t r0 = 0; r0 < rows; r0 += tile_rows) {
    int64_t r1 = std::min(rows, r0 + tile_rows), nr = r1 - r0;
    parallel_for(nr, cols, [&](int64_t b, int64_t e) {
      dequantize_rows_f32(a.w, a.scales, a.biases, a.dtype, r0 + b, r0 + e, cols, a.group_size,
                          a.bits, tile.data() + b * cols);
    });
    if (a.transpose)  // y[:, r0:r1] = x (M, K) @ tile (nr, K)^T
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(a.M), int(nr), int(a.K), 1.0f, xf,
                  int(a.K), tile.data(), int(a.K), 0.0f, yf + r0, int(a.N));
    else  // y += x[:, r0:r1] (M, nr) @ tile (nr, N)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(a.M), int(a.N), int(nr), 1.0f,
                  xf + r0, int(a.K), tile.data(), int(a.N), r0 == 0 ? 0.0f : 1.0f, yf, int(a.N));
  }
  if (yf != a.y)
    for (int64_t i = 0; i < a.M * a.N; ++i) store_float(a.y, i, yf[i], a.dtype);
}

// Prefill with AMX: W's rows dequantized to bf16 a panel at a time on the thread that
// multiplies them. Only for bf16 x: float32 and float16 keep the sgemm path, whose
// precision they expect (this CPU has no AMX-FP16).
bool qmm_amx(const QmmArgs& a) {
  HalfMatmulArgs h{.x = a.x,
                   .xdtype = a.dtype,
                   .ldx = a.K,
                   .wdtype = Dtype::bfloat16,
                   .ldw = a.K,
                   .y = a.y,
                   .ydtype = a.dtype,
                   .ldy = a.N,
                   .M = a.M,
                   .N = a.N,
                   .K = a.K};
  return amx_matmul_rows(h, [&](int64_t n0, int64_t count, uint16_t* out) {
    dequantize_rows_bf16(a.w, a.scales, a.biases, a.dtype, n0, n0 + count, a.K, a.group_size,
                         a.bits, out);
  });
}

}  // namespace

void set_simd_enabled(bool on) { g_simd = on; }

void qmm(const QmmArgs& a) {
  if (a.M == 0 || a.N == 0) return;
  if (a.K == 0) {
    for (int64_t i = 0; i < a.M * a.N; ++i) store_float(a.y, i, 0.0f, a.dtype);
    return;
  }
  if (a.transpose && a.M <= kGemvMaxRows) {
    if (g_simd && (qmv_vnni(a) || qmv_avx512(a))) return;
    qmv_portable(a);
    return;
  }
  if (a.transpose && g_simd && a.dtype == Dtype::bfloat16 && qmm_amx(a)) return;
  qmm_blas(a);
}

}  // namespace cpu::quant

namespace {

// Whether the last two axes are row-major dense (batch axes may have any strides).
bool inner_dense(const Array& a) {
  int n = a.ndim();
  return (a.shape(-1) <= 1 || a.strides()[n - 1] == 1) &&
         (a.shape(-2) <= 1 || a.strides()[n - 2] == a.shape(-1));
}

Array inner_dense_or_copy(const Array& a) { return inner_dense(a) ? a : contiguous(a); }

// Element offset of batch index i (row-major over `batch`) in an array with those axes.
int64_t batch_offset(int64_t i, const Shape& batch, const Array& a) {
  int64_t off = 0;
  for (int d = int(batch.size()) - 1; d >= 0; --d) {
    off += (i % batch[d]) * a.strides()[d];
    i /= batch[d];
  }
  return off;
}

const char* byte_ptr(const Array& a, int64_t elem_offset) {
  return static_cast<const char*>(a.raw_data()) + elem_offset * int64_t(a.itemsize());
}

}  // namespace

void QuantizedMatmul::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  out.allocate();
  Array x = inner_dense_or_copy(inputs[0]), w = inner_dense_or_copy(inputs[1]);
  Array s = inner_dense_or_copy(inputs[2]), b = inner_dense_or_copy(inputs[3]);
  Shape batch(out.shape().begin(), out.shape().end() - 2);
  int64_t nbatch = shape_size(batch), M = out.shape(-2), N = out.shape(-1), K = x.shape(-1);
  cpu::quant::QmmArgs qa{.dtype = out.dtype(),
                         .M = M,
                         .N = N,
                         .K = K,
                         .group_size = p_.group_size,
                         .bits = p_.bits,
                         .transpose = transpose_};
  // One weight for the whole batch and dense x: fold the batch into M.
  bool shared_w = true;
  for (size_t d = 0; d < batch.size(); ++d)
    shared_w = shared_w && w.strides()[d] == 0 && s.strides()[d] == 0 && b.strides()[d] == 0;
  if (shared_w && x.is_contiguous()) {
    qa.M = M * nbatch;
    nbatch = 1;
  }
  for (int64_t i = 0; i < nbatch; ++i) {
    qa.x = byte_ptr(x, batch_offset(i, batch, x));
    qa.w = reinterpret_cast<const uint8_t*>(byte_ptr(w, batch_offset(i, batch, w)));
    qa.scales = byte_ptr(s, batch_offset(i, batch, s));
    qa.biases = byte_ptr(b, batch_offset(i, batch, b));
    qa.y = static_cast<char*>(out.raw_data()) + i * M * N * int64_t(out.itemsize());
    cpu::quant::qmm(qa);
  }
}

void GatherQMM::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  out.allocate();
  Array x = contiguous(inputs[0]), w = contiguous(inputs[1]);
  Array s = contiguous(inputs[2]), b = contiguous(inputs[3]);
  auto lhs = contiguous(inputs[4]).to_vector<int32_t>();
  auto rhs = contiguous(inputs[5]).to_vector<int32_t>();
  int64_t A = x.shape(0), M = x.shape(1), K = x.shape(2), E = w.shape(0), N = out.shape(2);
  for (size_t i = 0; i < lhs.size(); ++i) {
    LMX_CHECK(lhs[i] >= 0 && lhs[i] < A, ValueError, name(),
              "lhs_indices value {} is out of range for {} matrices", lhs[i], A);
    LMX_CHECK(rhs[i] >= 0 && rhs[i] < E, ValueError, name(),
              "rhs_indices value {} is out of range for {} matrices", rhs[i], E);
  }
  // Group the products by expert so each expert's weights are read once.
  std::vector<std::vector<int64_t>> by_expert(static_cast<size_t>(E));
  for (size_t i = 0; i < rhs.size(); ++i) by_expert[rhs[i]].push_back(int64_t(i));
  size_t es = out.itemsize();
  int64_t w_stride = w.size() / E * 4, sg_stride = s.size() / E;
  std::vector<char> xg, yg;
  for (int64_t e = 0; e < E; ++e) {
    const auto& items = by_expert[e];
    if (items.empty()) continue;
    int64_t cnt = int64_t(items.size());
    cpu::quant::QmmArgs qa{.w = w.data<uint8_t>() + e * w_stride,
                           .scales = byte_ptr(s, e * sg_stride),
                           .biases = byte_ptr(b, e * sg_stride),
                           .dtype = out.dtype(),
                           .M = M * cnt,
                           .N = N,
                           .K = K,
                           .group_size = p_.group_size,
                           .bits = p_.bits,
                           .transpose = transpose_};
    char* y = static_cast<char*>(out.raw_data());
    if (cnt == 1) {
      qa.x = byte_ptr(x, lhs[items[0]] * M * K);
      qa.y = y + items[0] * M * N * es;
      cpu::quant::qmm(qa);
      continue;
    }
    xg.resize(size_t(cnt * M * K) * es);
    yg.resize(size_t(cnt * M * N) * es);
    for (int64_t j = 0; j < cnt; ++j)
      std::memcpy(xg.data() + j * M * K * es, byte_ptr(x, lhs[items[j]] * M * K), M * K * es);
    qa.x = xg.data();
    qa.y = yg.data();
    cpu::quant::qmm(qa);
    for (int64_t j = 0; j < cnt; ++j)
      std::memcpy(y + items[j] * M * N * es, yg.data() + j * M * N * es, M * N * es);
  }
}

}  // namespace lmx
