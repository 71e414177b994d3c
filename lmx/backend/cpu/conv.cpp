// SPDX-License-Identifier: MIT
// conv1d on the CPU: direct convolution, output positions in parallel, float32 sums.
// The shapes it serves are short (K <= 4) grouped/depthwise convolutions of SSMs, where
// a direct loop beats im2col + GEMM.
#include <vector>

#include "lmx/backend/cpu/fast_common.h"
#include "lmx/backend/cpu/threading.h"
#include "lmx/core/primitives_fast.h"

namespace lmx {

namespace {

struct ConvDims {
  int64_t N, L, C_in, C_out, K, L_out, cin, cout;  // cin/cout: channels per group
  int stride, padding, dilation;
};

// Output rows [a, e) of (N * L_out); xs is a float32 scratch of C_in.
template <typename T>
[[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]] void conv_rows(
    const T* x, const float* w, T* y, const ConvDims& c, int64_t a, int64_t e, float* acc) {
  for (int64_t row = a; row < e; ++row) {
    int64_t n = row / c.L_out, lo = row % c.L_out;
    std::fill(acc, acc + c.C_out, 0.0f);
    for (int64_t k = 0; k < c.K; ++k) {
      int64_t li = lo * c.stride - c.padding + k * c.dilation;
      if (li < 0 || li >= c.L) continue;
      const T* xr = x + (n * c.L + li) * c.C_in;
      if (c.cin == 1) {
        // Depthwise-like: output channel o reads input channel o / cout.
        const float* wk = w + k * c.C_out;  // w transposed to (K, C_out)
#pragma omp simd
        for (int64_t o = 0; o < c.C_out; ++o) acc[o] += cpu::load_f32(xr[o / c.cout]) * wk[o];
      } else {
        for (int64_t o = 0; o < c.C_out; ++o) {
          const T* xg = xr + (o / c.cout) * c.cin;
          const float* wo = w + (o * c.K + k) * c.cin;
          float s = 0.0f;
#pragma omp simd reduction(+ : s)
          for (int64_t i = 0; i < c.cin; ++i) s += cpu::load_f32(xg[i]) * wo[i];
          acc[o] += s;
        }
      }
    }
    T* yr = y + row * c.C_out;
    for (int64_t o = 0; o < c.C_out; ++o) yr[o] = cpu::store_f32<T>(acc[o]);
  }
}

}  // namespace

void Conv1d::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  const Array &x = inputs[0], &w = inputs[1];
  Array& out = outputs[0];
  out.allocate();
  if (out.size() == 0) return;
  ConvDims c{x.shape(0), x.shape(1),           x.shape(2), w.shape(0), w.shape(1), out.shape(1),
             w.shape(2), w.shape(0) / groups_, stride_,    padding_,   dilation_};
  cpu::dispatch_float(x.dtype(), name(), [&](auto t) {
    using T = decltype(t);
    // Weights in float32; (K, C_out) for one input channel per group, else as given.
    const T* ws = w.data<T>();
    std::vector<float> wf(w.size());
    if (c.cin == 1) {
      for (int64_t o = 0; o < c.C_out; ++o)
        for (int64_t k = 0; k < c.K; ++k) wf[k * c.C_out + o] = cpu::load_f32(ws[o * c.K + k]);
    } else {
      for (int64_t i = 0; i < w.size(); ++i) wf[i] = cpu::load_f32(ws[i]);
    }
    int64_t rows = c.N * c.L_out;
    cpu::parallel_for(rows, c.C_out * c.K * c.cin, [&](int64_t a, int64_t e) {
      std::vector<float> acc(c.C_out);
      conv_rows<T>(x.data<T>(), wf.data(), out.data<T>(), c, a, e, acc.data());
    });
  });
}

}  // namespace lmx
