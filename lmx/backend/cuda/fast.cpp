// SPDX-License-Identifier: MIT
// The fused ops on the GPU: rms_norm, layer_norm, rope, scaled_dot_product_attention.
#include <cmath>

#include "lmx/backend/cuda/eval.h"
#include "lmx/core/primitives_fast.h"

namespace lmx::fast {

namespace {

void check_float(const Array& a, const char* op) {
  LMX_CHECK(is_floating(a.dtype()), DtypeError, op, "no CUDA kernel for {}", dtype_name(a.dtype()));
}

}  // namespace

void RMSNorm::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  const Array& x = inputs[0];  // contiguous
  check_float(x, name());
  Array& out = outputs[0];
  out.allocate();
  int64_t n = x.shape(-1), rows = n ? x.size() / n : 0;
  const void* w = inputs.size() > 1 ? inputs[1].raw_data() : nullptr;
  cuda::launch_rms_norm(x.dtype(), x.raw_data(), w, out.raw_data(), rows, n, eps_,
                        cuda::stream_of(out));
  cuda::check_launch(name());
}

void LayerNorm::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  const Array& x = inputs[0];
  check_float(x, name());
  Array& out = outputs[0];
  out.allocate();
  int64_t n = x.shape(-1), rows = n ? x.size() / n : 0;
  const void* w = has_weight_ ? inputs[1].raw_data() : nullptr;
  const void* b = has_bias_ ? inputs[has_weight_ ? 2 : 1].raw_data() : nullptr;
  cuda::launch_layer_norm(x.dtype(), x.raw_data(), w, b, out.raw_data(), rows, n, eps_,
                          cuda::stream_of(out));
  cuda::check_launch(name());
}

void RoPE::eval_cuda(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  const Array& x = inputs[0];  // (B, N, L, D), unit stride on D
  check_float(x, name());
  Array& out = outputs[0];
  out.allocate();
  if (out.size() == 0) return;
  cuda::RopeArgs a;
  a.B = x.shape(0);
  a.N = x.shape(1);
  a.L = x.shape(2);
  a.D = x.shape(3);
  for (int i = 0; i < 3; ++i) a.sx[i] = x.strides()[i];
  a.dims = dims_;
  a.traditional = traditional_;
  a.forward = forward_;
  a.offsets = inputs[1].data<int32_t>();  // int32, dense (the op reshapes and casts)
  a.n_offsets = inputs[1].size();
  a.freqs = inputs.size() > 2 ? inputs[2].data<float>() : nullptr;
  a.freq_exponent = float(std::log(base_) / double(dims_ / 2));
  a.scale = scale_;
  cuda::launch_rope(x.dtype(), x.raw_data(), out.raw_data(), a, cuda::stream_of(out));
  cuda::check_launch(name());
}

void ScaledDotProductAttention::eval_cuda(const std::vector<Array>& inputs,
                                          std::vector<Array>& outputs) {
  const Array &q = inputs[0], &k = inputs[1], &v = inputs[2];
  check_float(q, name());
  Array& out = outputs[0];
  out.allocate();
  if (out.size() == 0) return;
  LMX_CHECK(q.shape(3) <= cuda::kMaxHeadDim && v.shape(3) <= cuda::kMaxHeadDim, DeviceError, name(),
            "the CUDA kernel takes head dims up to {}, got {} and {}", cuda::kMaxHeadDim,
            q.shape(3), v.shape(3));
  size_t next = 3;
  const Array* mask = c_.has_mask ? &inputs[next++] : nullptr;
  const Array* sinks = c_.has_sinks ? &inputs[next] : nullptr;
  cuda::AttentionArgs a;
  a.B = q.shape(0);
  a.Hq = q.shape(1);
  a.Lq = q.shape(2);
  a.Dk = q.shape(3);
  a.Hkv = k.shape(1);
  a.Lk = k.shape(2);
  a.Dv = v.shape(3);
  a.q = q.raw_data();
  a.k = k.raw_data();
  a.v = v.raw_data();
  a.out = out.raw_data();
  for (int i = 0; i < 3; ++i) {
    a.sq[i] = q.strides()[i];
    a.sk[i] = k.strides()[i];
    a.sv[i] = v.strides()[i];
  }
  if (mask) {
    a.mask = mask->raw_data();
    a.mask_bool = mask->dtype() == Dtype::bool_;
    for (int i = 0; i < 4; ++i) a.sm[i] = mask->strides()[i];
  }
  a.sinks = sinks ? sinks->data<float>() : nullptr;
  a.scale = c_.scale;
  a.softcap = c_.softcap;
  a.causal = c_.causal;
  a.window = c_.sliding_window;
  // Too few rows to fill the GPU (decode): split the keys too, about 4 blocks per SM,
  // at least 256 keys a block.
  const int64_t rows = a.B * a.Hq * a.Lq;
  const int64_t sms = cuda::context(out.device().index).sm_count;
  Array partial;
  if (rows < 2 * sms && a.Lk >= 512) {
    int64_t splits = std::min<int64_t>((a.Lk + 255) / 256, (4 * sms + rows - 1) / rows);
    if (splits > 1) {
      a.splits = int(splits);
      a.split_len = (a.Lk + splits - 1) / splits;
      partial = Array::empty({rows * splits * (a.Dv + 2)}, Dtype::float32, out.device());
      a.partial = partial.data<float>();
    }
  }
  cuda::launch_attention(q.dtype(), a, cuda::stream_of(out));
  cuda::check_launch(name());
}

}  // namespace lmx::fast
