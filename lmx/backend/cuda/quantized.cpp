// SPDX-License-Identifier: MIT
// Quantization on the GPU: quantize/dequantize, and quantized matrix products: the GEMV
// kernel for decode (x @ W^T with few rows of x, also for gathered experts), otherwise the
// weight is dequantized to x's dtype and multiplied with cuBLAS.
#include "lmx/backend/cuda/eval.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives_quantized.h"

namespace lmx {

namespace {

// Up to this many rows of x the GEMV reads W once per 8 rows; above it, dequantize + GEMM.
constexpr int64_t kGemvMaxRows = 8;

bool inner_dense(const Array& a) {
  int n = a.ndim();
  return (a.shape(-1) <= 1 || a.strides()[n - 1] == 1) &&
         (a.shape(-2) <= 1 || a.strides()[n - 2] == a.shape(-1));
}

Array inner_dense_or_copy(const Array& a) { return inner_dense(a) ? a : contiguous(a); }

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

void check_affine(const QuantParams& p, const char* op) {
  LMX_CHECK(p.mode == QuantizationMode::affine, DeviceError, op,
            "only the affine mode has a CUDA kernel");
}

}  // namespace

void Dequantize::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  check_affine(p_, name());
  Array w = contiguous(inputs[0]), s = contiguous(inputs[1]), b = contiguous(inputs[2]);
  Array& out = outputs[0];
  out.allocate();
  int64_t cols = out.shape(-1), rows = cols ? out.size() / cols : 0;
  cuda::launch_dequantize(out.dtype(), w.data<uint8_t>(), s.raw_data(), b.raw_data(),
                          out.raw_data(), rows, cols, p_.group_size, p_.bits,
                          cuda::stream_of(out));
  cuda::check_launch(name());
}

void AffineQuantize::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  check_affine(p_, name());
  Array w = contiguous(inputs[0]);
  LMX_CHECK(is_floating(w.dtype()), DtypeError, name(), "needs a float matrix, got {}",
            dtype_name(w.dtype()));
  for (auto& o : outputs) o.allocate();
  cuda::launch_quantize(w.dtype(), w.raw_data(), outputs[0].data<uint8_t>(),
                        outputs[1].raw_data(), outputs[2].raw_data(), w.size() / p_.group_size,
                        p_.group_size, p_.bits, cuda::stream_of(w));
  cuda::check_launch(name());
}

void QuantizedMatmul::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  check_affine(p_, name());
  Array& out = outputs[0];
  int64_t M = out.shape(-2), N = out.shape(-1);
  if (!transpose_ || M > kGemvMaxRows) {
    // Dequantize (batch axes and all) and multiply; matmul broadcasts the batch axes.
    Array w = dequantize(inputs[1], inputs[2], inputs[3], p_.group_size, p_.bits);
    Array y = matmul(inputs[0], transpose_ ? swapaxes(w, -1, -2) : w);
    std::vector<Array> o{out};
    AsType().eval_cuda({y}, o);
    out = o[0];
    return;
  }
  out.allocate();
  Array x = inner_dense_or_copy(inputs[0]), w = inner_dense_or_copy(inputs[1]);
  Array s = inner_dense_or_copy(inputs[2]), b = inner_dense_or_copy(inputs[3]);
  Shape batch(out.shape().begin(), out.shape().end() - 2);
  int64_t nbatch = shape_size(batch), K = x.shape(-1);
  if (out.size() == 0) return;
  cuda::QmvArgs qa{.M = M, .N = N, .K = K, .group_size = p_.group_size, .bits = p_.bits};
  bool shared_w = true;
  for (size_t d = 0; d < batch.size(); ++d)
    shared_w = shared_w && w.strides()[d] == 0 && s.strides()[d] == 0 && b.strides()[d] == 0;
  if (shared_w && x.is_contiguous()) {  // one weight: fold the batch into M
    qa.M = M * nbatch;
    nbatch = 1;
  }
  cudaStream_t stream = cuda::stream_of(out);
  for (int64_t i = 0; i < nbatch; ++i) {
    qa.x = byte_ptr(x, batch_offset(i, batch, x));
    qa.w = reinterpret_cast<const uint8_t*>(byte_ptr(w, batch_offset(i, batch, w)));
    qa.scales = byte_ptr(s, batch_offset(i, batch, s));
    qa.biases = byte_ptr(b, batch_offset(i, batch, b));
    qa.y = static_cast<char*>(out.raw_data()) + i * M * N * int64_t(out.itemsize());
    cuda::launch_qmv(out.dtype(), qa, stream);
    cuda::check_launch(name());
  }
}

}  // namespace lmx

namespace lmx {

// Indices stay on the device: the GEMV reads x and the expert through them. Other shapes
// gather the operands (take) and run the batched product.
void GatherQMM::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  check_affine(p_, name());
  Array& out = outputs[0];
  Array x = contiguous(inputs[0]), w = contiguous(inputs[1]);
  Array s = contiguous(inputs[2]), b = contiguous(inputs[3]);
  Array lhs = contiguous(astype(inputs[4], Dtype::int32));
  Array rhs = contiguous(astype(inputs[5], Dtype::int32));
  int64_t M = x.shape(1), K = x.shape(2), N = out.shape(2), I = lhs.size();
  if (!transpose_ || M > kGemvMaxRows) {
    Array y = quantized_matmul(take(x, lhs, 0), take(w, rhs, 0), take(s, rhs, 0),
                               take(b, rhs, 0), transpose_, p_.group_size, p_.bits);
    std::vector<Array> o{out};
    AsType().eval_cuda({y}, o);
    out = o[0];
    return;
  }
  out.allocate();
  if (out.size() == 0) return;
  cudaStream_t stream = cuda::stream_of(out);
  constexpr int64_t kMaxProducts = 65535;  // grid.z
  for (int64_t z0 = 0; z0 < I; z0 += kMaxProducts) {
    cuda::QmvArgs qa{.x = x.raw_data(),
                     .w = w.data<uint8_t>(),
                     .scales = s.raw_data(),
                     .biases = b.raw_data(),
                     .y = static_cast<char*>(out.raw_data()) + z0 * M * N * int64_t(out.itemsize()),
                     .M = M,
                     .N = N,
                     .K = K,
                     .group_size = p_.group_size,
                     .bits = p_.bits,
                     .products = std::min(kMaxProducts, I - z0),
                     .lhs = lhs.data<int32_t>() + z0,
                     .rhs = rhs.data<int32_t>() + z0,
                     .x_stride = M * K,
                     .w_stride = w.size() / w.shape(0) * 4,
                     .s_stride = s.size() / s.shape(0)};
    cuda::launch_qmv(out.dtype(), qa, stream);
    cuda::check_launch(name());
  }
}

void GatherMM::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  Array y = matmul(take(inputs[0], inputs[2], 0), take(inputs[1], inputs[3], 0));
  std::vector<Array> o{out};
  AsType().eval_cuda({y}, o);
  out = o[0];
}

}  // namespace lmx
