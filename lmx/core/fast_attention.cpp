// SPDX-License-Identifier: MIT
// scaled_dot_product_attention: argument checks, the composite reference and the vjp.
#include <limits>

#include "lmx/core/error.h"
#include "lmx/core/fast.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitives_fast.h"

namespace lmx::fast {

AttentionMask::AttentionMask(std::string_view mode) {
  LMX_CHECK(mode.empty() || mode == "causal", ValueError, "scaled_dot_product_attention",
            "mask mode must be \"causal\" or empty, got \"{}\"", mode);
  causal = mode == "causal";
}

namespace {

constexpr const char* kOp = "scaled_dot_product_attention";

// Checks the arguments and returns the output dtype.
Dtype check_sdpa(const Array& q, const Array& k, const Array& v, const AttentionMask& mask,
                 const AttentionOptions& o) {
  for (const Array* a : {&q, &k, &v})
    LMX_CHECK(a->valid() && a->ndim() == 4, ShapeError, kOp,
              "q, k and v must be 4-D (B, H, L, D), got {}, {} and {}",
              q.valid() ? shape_str(q.shape()) : "null", k.valid() ? shape_str(k.shape()) : "null",
              v.valid() ? shape_str(v.shape()) : "null");
  LMX_CHECK(q.shape(0) == k.shape(0) && k.shape(0) == v.shape(0), ShapeError, kOp,
            "batch sizes differ: q {}, k {}, v {}", shape_str(q.shape()), shape_str(k.shape()),
            shape_str(v.shape()));
  LMX_CHECK(k.shape(1) == v.shape(1) && k.shape(2) == v.shape(2), ShapeError, kOp,
            "k {} and v {} must have the same heads and length", shape_str(k.shape()),
            shape_str(v.shape()));
  LMX_CHECK(q.shape(3) == k.shape(3), ShapeError, kOp, "q {} and k {} must have the same head dim",
            shape_str(q.shape()), shape_str(k.shape()));
  LMX_CHECK(k.shape(1) > 0 && q.shape(1) % k.shape(1) == 0, ShapeError, kOp,
            "{} query heads are not a multiple of {} kv heads", q.shape(1), k.shape(1));
  Dtype dt = promote_types(promote_types(q.dtype(), k.dtype()), v.dtype());
  LMX_CHECK(is_floating(dt), DtypeError, kOp, "needs float inputs, got {}, {} and {}",
            dtype_name(q.dtype()), dtype_name(k.dtype()), dtype_name(v.dtype()));
  if (mask.array.valid()) {
    const Array& m = mask.array;
    LMX_CHECK(m.dtype() == Dtype::bool_ || is_floating(m.dtype()), DtypeError, kOp,
              "mask must be bool or float, got {}", dtype_name(m.dtype()));
    Shape full{q.shape(0), q.shape(1), q.shape(2), k.shape(2)};
    bool ok = m.ndim() <= 4;
    for (int i = 0; ok && i < m.ndim(); ++i) {
      int64_t d = m.shape()[m.ndim() - 1 - i];
      ok = d == 1 || d == full[3 - i];
    }
    LMX_CHECK(ok, ShapeError, kOp, "mask {} does not broadcast to (B, Hq, Lq, Lk) = {}",
              shape_str(m.shape()), shape_str(full));
  }
  LMX_CHECK(o.sliding_window >= 0, ValueError, kOp, "sliding_window must be >= 0, got {}",
            o.sliding_window);
  LMX_CHECK(o.softcap >= 0.0f, ValueError, kOp, "softcap must be >= 0, got {}", o.softcap);
  if (o.sinks.valid())
    LMX_CHECK(o.sinks.ndim() == 1 && o.sinks.size() == q.shape(1), ShapeError, kOp,
              "sinks must have shape ({},) (one per query head), got {}", q.shape(1),
              shape_str(o.sinks.shape()));
  return dt;
}

// Unit stride on the last axis (what the kernel needs), copying only if necessary.
Array unit_last(const Array& a) {
  return a.strides().back() == 1 || a.shape(-1) <= 1 ? a : contiguous(a);
}

}  // namespace

Array scaled_dot_product_attention(const Array& q, const Array& k, const Array& v, float scale,
                                   const AttentionMask& mask, const AttentionOptions& o) {
  Dtype dt = check_sdpa(q, k, v, mask, o);
  // Queries before the first key (causal with Lq > Lk) see no key at all; the kernel
  // assumes every row sees one, so leave those rare calls (and empty heads) to the composite.
  if ((mask.causal && q.shape(2) > k.shape(2)) || k.shape(2) == 0 || q.shape(3) == 0 ||
      v.shape(3) == 0)
    return scaled_dot_product_attention_reference(q, k, v, scale, mask, o);
  ScaledDotProductAttention::Config c{.scale = scale,
                                      .causal = mask.causal,
                                      .has_mask = mask.array.valid(),
                                      .has_sinks = o.sinks.valid(),
                                      .sliding_window = o.sliding_window,
                                      .softcap = o.softcap};
  std::vector<Array> inputs{unit_last(astype(q, dt)), unit_last(astype(k, dt)),
                            unit_last(astype(v, dt))};
  if (c.has_mask) {
    Array m = mask.array.dtype() == Dtype::bool_ ? mask.array : astype(mask.array, Dtype::float32);
    inputs.push_back(broadcast_to(m, {q.shape(0), q.shape(1), q.shape(2), k.shape(2)}));
  }
  if (c.has_sinks) inputs.push_back(contiguous(astype(o.sinks, Dtype::float32)));
  Shape out{q.shape(0), q.shape(1), q.shape(2), v.shape(3)};
  return apply(std::make_shared<ScaledDotProductAttention>(c), std::move(inputs), out, dt);
}

Array scaled_dot_product_attention_reference(const Array& q_in, const Array& k_in,
                                             const Array& v_in, float scale,
                                             const AttentionMask& mask, const AttentionOptions& o) {
  Dtype dt = check_sdpa(q_in, k_in, v_in, mask, o);
  const Dtype f32 = Dtype::float32;
  int64_t B = q_in.shape(0), Hq = q_in.shape(1), Lq = q_in.shape(2), Hkv = k_in.shape(1),
          Lk = k_in.shape(2), rep = Hq / Hkv;
  // Query heads grouped by kv head: (B, Hkv, rep, L, D); k and v broadcast over rep.
  Array q = reshape(astype(q_in, f32), {B, Hkv, rep, Lq, q_in.shape(3)});
  Array k = expand_dims(astype(k_in, f32), 2);
  Array v = expand_dims(astype(v_in, f32), 2);
  Array s = matmul(multiply(q, Array(scale)), swapaxes(k, -1, -2));  // (B, Hkv, rep, Lq, Lk)
  if (o.softcap > 0.0f) s = multiply(tanh(multiply(s, Array(1.0f / o.softcap))), Array(o.softcap));
  Array keep;
  Array qpos = reshape(arange(double(Lk - Lq), double(Lk), 1.0, Dtype::int32), {Lq, 1});
  Array kpos = reshape(arange(0.0, double(Lk), 1.0, Dtype::int32), {1, Lk});
  if (mask.causal) keep = greater_equal(qpos, kpos);
  if (o.sliding_window > 0) {
    Array w = greater(kpos, subtract(qpos, Array(o.sliding_window)));
    keep = keep.valid() ? logical_and(keep, w) : w;
  }
  if (mask.array.valid()) {
    Array m = reshape(broadcast_to(mask.array, {B, Hq, Lq, Lk}), {B, Hkv, rep, Lq, Lk});
    if (m.dtype() == Dtype::bool_)
      keep = keep.valid() ? logical_and(keep, m) : m;
    else
      s = add(s, astype(m, f32));
  }
  if (keep.valid()) s = where(keep, s, Array(std::numeric_limits<float>::lowest()));
  if (o.sinks.valid()) {
    Array sk = reshape(astype(o.sinks, f32), {1, Hkv, rep, 1, 1});
    sk = broadcast_to(sk, {B, Hkv, rep, Lq, 1});
    Array p = softmax(concatenate({sk, s}, -1), -1);
    s = slice(p, 4, 1, Lk + 1);
  } else {
    s = softmax(s, -1);
  }
  Array out = matmul(s, v);  // (B, Hkv, rep, Lq, Dv)
  return astype(reshape(out, {B, Hq, Lq, v_in.shape(3)}), dt);
}

std::vector<Array> ScaledDotProductAttention::vjp(const std::vector<Array>& primals,
                                                  const std::vector<Array>& cots,
                                                  const std::vector<int>& argnums,
                                                  const std::vector<Array>&) {
  Config c = c_;
  auto fn = [c](const std::vector<Array>& in) {
    AttentionMask m;
    m.causal = c.causal;
    size_t i = 3;
    if (c.has_mask) m.array = in[i++];
    AttentionOptions o{.sliding_window = c.sliding_window, .softcap = c.softcap};
    if (c.has_sinks) o.sinks = in[i];
    return std::vector<Array>{
        scaled_dot_product_attention_reference(in[0], in[1], in[2], c.scale, m, o)};
  };
  return detail::composite_vjp(fn, primals, cots, argnums);
}

}  // namespace lmx::fast
