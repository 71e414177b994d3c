// SPDX-License-Identifier: MIT
// Kernel launchers of the CUDA backend. The .cu files define them (nvcc); the primitives'
// eval_cuda bodies (.cpp, host compiler) check arguments, allocate outputs and call them.
// Every launcher only enqueues work on `stream`; none synchronizes.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "lmx/backend/cuda/strided.h"
#include "lmx/core/dtype.h"
#include "lmx/core/primitives.h"

namespace lmx::cuda {

// --- copies (copy.cu) ---
// dst[s.strides[1]] = cast<out>(src[s.strides[0]]) over s.shape.
void launch_astype(Dtype in, Dtype out, const void* src, void* dst, const Strided<2>& s,
                   cudaStream_t stream);
// dst[i] = start + i * step (computed in double) for i < n.
void launch_arange(Dtype dt, void* dst, int64_t n, double start, double step, cudaStream_t stream);

// --- elementwise (unary.cu, binary.cu) ---
// Operand 0 the input, 1 the output; `out` is `in` or bool (isnan, isinf, isfinite).
void launch_unary(UnaryOp op, Dtype in, Dtype out, const void* src, void* dst, const Strided<2>& s,
                  cudaStream_t stream);
// Operands a, b, out; out is `in` or bool (comparisons, logical ops).
void launch_binary(BinaryOp op, Dtype in, Dtype out, const void* a, const void* b, void* dst,
                   const Strided<3>& s, cudaStream_t stream);
// Operands cond (bool), a, b, out, all of dtype `dt` but cond.
void launch_select(Dtype dt, const void* cond, const void* a, const void* b, void* dst,
                   const Strided<4>& s, cudaStream_t stream);

// --- reductions (reduce.cu) ---
// kept: the kept axes (operand 0 the input, 1 the dense output); red: the reduced axes of
// the input. The output is the input's dtype, or bool (all/any).
void launch_reduce(ReduceOp op, Dtype in, Dtype out, const void* src, void* dst,
                   const Strided<2>& kept, const Strided<1>& red, cudaStream_t stream);
// Index (uint32) of the max/min along an axis of n elements at `stride`; NaN wins, the
// first of equal values wins.
void launch_argreduce(bool is_max, Dtype in, const void* src, uint32_t* dst, const Strided<2>& kept,
                      int64_t n, int64_t stride, cudaStream_t stream);
// Rows (rows, n) dense; softmax writes (rows, n), logsumexp (rows, 1).
void launch_softmax(Dtype dt, const void* src, void* dst, int64_t rows, int64_t n,
                    cudaStream_t stream);
void launch_logsumexp(Dtype dt, const void* src, void* dst, int64_t rows, int64_t n,
                      cudaStream_t stream);

// --- gather and scatter (gather.cu) ---
inline constexpr int kMaxIndexArrays = 8;
// Dense int64 index arrays of n positions each; index k selects along an axis of size
// dim[k] with element stride stride[k] (negative indices wrap; out of range clamps).
struct IndexArgs {
  int count = 0;
  int64_t n = 1;
  const int64_t* idx[kMaxIndexArrays] = {};
  int64_t dim[kMaxIndexArrays] = {};
  int64_t stride[kMaxIndexArrays] = {};
};
// dst (n, block) dense; slice: the block's shape with the source's strides.
void launch_gather(size_t itemsize, const void* src, void* dst, const IndexArgs& ix,
                   const Strided<1>& slice, int64_t block, cudaStream_t stream);
// dst[offs[p] + slice(q)] (=|+=) upd[outer(p) + slice(q)] for p in order; slice operand 0
// the update's strides, 1 the destination's; outer: the index shape with the update's
// strides.
void launch_scatter(Dtype dt, bool add, const void* upd, void* dst, const IndexArgs& ix,
                    const Strided<2>& slice, const Strided<1>& outer, cudaStream_t stream);

// --- fused ops (norm.cu, rope.cu, attention.cu) ---
// Rows (rows, n) dense; weight/bias (n,) or null.
void launch_rms_norm(Dtype dt, const void* x, const void* w, void* y, int64_t rows, int64_t n,
                     float eps, cudaStream_t stream);
void launch_layer_norm(Dtype dt, const void* x, const void* w, const void* b, void* y,
                       int64_t rows, int64_t n, float eps, cudaStream_t stream);

struct RopeArgs {
  int64_t B = 0, N = 0, L = 0, D = 0;
  int64_t sx[3] = {};               // x strides of (B, N, L); unit stride on D
  int dims = 0;
  bool traditional = false, forward = true;
  const int32_t* offsets = nullptr;  // (1,) or (B,)
  int64_t n_offsets = 1;
  const float* freqs = nullptr;      // (dims / 2,) or null (then base)
  float freq_exponent = 0.0f;       // log(base) / (dims / 2), rounded from double
  float scale = 1.0f;
};
// y (B, N, L, D) dense.
void launch_rope(Dtype dt, const void* x, void* y, const RopeArgs& a, cudaStream_t stream);

struct AttentionArgs {
  int64_t B = 0, Hq = 0, Hkv = 0, Lq = 0, Lk = 0, Dk = 0, Dv = 0;
  const void* q = nullptr;
  const void* k = nullptr;
  const void* v = nullptr;
  void* out = nullptr;  // (B, Hq, Lq, Dv) dense
  int64_t sq[3] = {}, sk[3] = {}, sv[3] = {};
  const void* mask = nullptr;  // (B, Hq, Lq, Lk) view, bool or float32
  bool mask_bool = false;
  int64_t sm[4] = {};
  const float* sinks = nullptr;  // (Hq,)
  float scale = 1.0f, softcap = 0.0f;
  bool causal = false;
  int window = 0;
  // Split-K (flash-decoding): with splits > 1, block (row, s) takes keys
  // [s * split_len, (s + 1) * split_len) and leaves (max, denominator, unnormalized
  // output) in `partial` ((rows, splits, Dv + 2) float32), which a second kernel merges.
  int splits = 1;
  int64_t split_len = 0;
  float* partial = nullptr;
};
// Largest head dim the attention kernel takes.
inline constexpr int64_t kMaxHeadDim = 512;
void launch_attention(Dtype dt, const AttentionArgs& a, cudaStream_t stream);

// --- quantized (quantized.cu) ---
struct QmvArgs {
  const void* x = nullptr;       // (M, K) dense
  const uint8_t* w = nullptr;    // (N, K * bits / 8) packed rows
  const void* scales = nullptr;  // (N, K / group_size)
  const void* biases = nullptr;
  void* y = nullptr;             // (M, N) dense
  int64_t M = 0, N = 0, K = 0;
  int group_size = 64, bits = 4;
  // Several products in one launch (gather_qmm): product z reads x matrix lhs[z] and
  // weight rhs[z] (z itself when null) at these element strides, writes y + z * M * N.
  int64_t products = 1;
  const int32_t* lhs = nullptr;
  const int32_t* rhs = nullptr;
  int64_t x_stride = 0, w_stride = 0, s_stride = 0;  // w_stride in bytes
};
// y = x @ dequantize(w)^T for few rows of x (GEMV), x/scales/biases/y of `dt`.
void launch_qmv(Dtype dt, const QmvArgs& a, cudaStream_t stream);
// Quantizes w (groups * group_size values, dense) as the CPU does, bit for bit: codes
// into `out` (packed rows), one scale and bias per group.
void launch_quantize(Dtype dt, const void* w, uint8_t* out, void* scales, void* biases,
                     int64_t groups, int group_size, int bits, cudaStream_t stream);
// out (rows, cols) = code * scale + bias (float32 arithmetic) from packed rows.
void launch_dequantize(Dtype dt, const uint8_t* w, const void* scales, const void* biases, void* out,
                       int64_t rows, int64_t cols, int group_size, int bits, cudaStream_t stream);

}  // namespace lmx::cuda
