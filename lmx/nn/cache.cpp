// SPDX-License-Identifier: MIT
#include "lmx/nn/cache.h"

#include <algorithm>

#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/core/quantized.h"

namespace lmx::nn {

size_t Cache::nbytes() const {
  size_t n = 0;
  for (const auto& a : state())
    if (a.valid()) n += a.nbytes();
  return n;
}

namespace {

fast::AttentionOptions options(const AttentionSpec& s, int64_t window) {
  return {.sliding_window = int(window), .softcap = s.softcap, .sinks = s.sinks};
}

fast::AttentionMask causal_if(int64_t L) {
  return L > 1 ? fast::AttentionMask("causal") : fast::AttentionMask();
}

// Grows `buf` (B, H, cap, D) so it holds `need` tokens, keeping the first `keep`.
Array grow(const Array& buf, const Array& like, int64_t keep, int64_t need, int64_t step) {
  Shape shape = like.shape();
  shape[2] = ((need + step - 1) / step) * step;
  Array fresh = zeros(shape, like.dtype());
  if (buf.valid() && keep > 0) assign(slice(fresh, 2, 0, keep), slice(buf, 2, 0, keep));
  return fresh;
}

int64_t to_int(const std::string& s, const char* what) {
  try {
    return std::stoll(s);
  } catch (const std::exception&) {
    raise<ValueError>("prompt cache", "bad {} '{}' in the cache metadata", what, s);
  }
}

}  // namespace

Array attend_uncached(const Array& q, const Array& k, const Array& v, const AttentionSpec& spec) {
  return fast::scaled_dot_product_attention(q, k, v, spec.scale, causal_if(q.shape(2)),
                                            options(spec, spec.sliding_window));
}

Array KVCacheBase::attend(const Array& q, const Array& k, const Array& v,
                          const AttentionSpec& spec) {
  auto [keys, values] = update_and_fetch(k, v);
  return fast::scaled_dot_product_attention(q, keys, values, spec.scale, causal_if(q.shape(2)),
                                            options(spec, spec.sliding_window));
}

// --- KVCache ---

std::pair<Array, Array> KVCache::update_and_fetch(const Array& keys, const Array& values) {
  int64_t n = keys.shape(2);
  int64_t end = offset_ + n;
  if (!keys_.valid() || end > keys_.shape(2) || keys_.dtype() != keys.dtype()) {
    keys_ = grow(keys_, keys, offset_, end, step_);
    values_ = grow(values_, values, offset_, end, step_);
  }
  assign(slice(keys_, 2, offset_, end), keys);
  assign(slice(values_, 2, offset_, end), values);
  offset_ = end;
  return {slice(keys_, 2, 0, end), slice(values_, 2, 0, end)};
}

int64_t KVCache::trim(int64_t n) {
  n = std::clamp<int64_t>(n, 0, offset_);
  offset_ -= n;
  return n;
}

std::vector<Array> KVCache::state() const {
  if (!keys_.valid()) return {};
  return {contiguous(slice(keys_, 2, 0, offset_)), contiguous(slice(values_, 2, 0, offset_))};
}

void KVCache::set_state(std::vector<Array> state, const std::vector<std::string>&) {
  offset_ = 0;
  keys_ = values_ = Array();
  if (state.empty()) return;
  LMX_CHECK(state.size() == 2, ValueError, "KVCache", "state needs keys and values, got {} arrays",
            state.size());
  if (state[0].shape(2) > 0) update_and_fetch(state[0], state[1]);
}

// --- RotatingKVCache ---

RotatingKVCache::RotatingKVCache(int64_t max_size, int64_t keep, int64_t step)
    : keep_(keep), max_size_(max_size), step_(step) {
  LMX_CHECK(max_size > 0 && keep >= 0 && keep < max_size, ValueError, "RotatingKVCache",
            "needs 0 <= keep < max_size, got keep {} and max_size {}", keep, max_size);
}

Array RotatingKVCache::trim_front(int64_t n, const Array& v) const {
  if (n <= 0) return v;
  return concatenate({slice(v, 2, 0, keep_), slice(v, 2, n + keep_, v.shape(2))}, 2);
}

Array RotatingKVCache::temporal_order(const Array& v) const {
  if (idx_ == v.shape(2)) return v;
  if (idx_ < offset_)
    return concatenate(
        {slice(v, 2, 0, keep_), slice(v, 2, idx_, v.shape(2)), slice(v, 2, keep_, idx_)}, 2);
  return slice(v, 2, 0, idx_);
}

std::pair<Array, Array> RotatingKVCache::update_and_fetch(const Array& keys, const Array& values) {
  int64_t S = keys.shape(2);
  if (S > 1 || !keys_.valid()) {
    // Prefill: put everything in temporal order, drop what falls out of the window (the
    // largest size is max_size + S - 1 so every new token sees max_size of context).
    if (!keys_.valid()) {
      keys_ = contiguous(keys);
      values_ = contiguous(values);
    } else {
      Array k = temporal_order(keys_), v = temporal_order(values_);
      int64_t trim = k.shape(2) - max_size_ + 1;
      keys_ = concatenate({trim_front(trim, k), keys}, 2);
      values_ = concatenate({trim_front(trim, v), values}, 2);
    }
    offset_ += S;
    idx_ = keys_.shape(2);
    return {keys_, values_};
  }
  // One token: write in place, growing until max_size, then rotating.
  int64_t prev = offset_;
  if (prev >= keys_.shape(2) && keys_.shape(2) < max_size_) {
    int64_t add = std::min(step_, max_size_ - keys_.shape(2));
    Shape ks = keys.shape(), vs = values.shape();
    ks[2] = vs[2] = add;
    keys_ = concatenate({temporal_order(keys_), zeros(ks, keys.dtype())}, 2);
    values_ = concatenate({temporal_order(values_), zeros(vs, values.dtype())}, 2);
    idx_ = prev;
  } else if (!keys_.is_contiguous()) {
    keys_ = copy(keys_);
    values_ = copy(values_);
  }
  int64_t over = keys_.shape(2) - max_size_;
  if (over > 0) {
    keys_ = copy(trim_front(over, temporal_order(keys_)));
    values_ = copy(trim_front(over, temporal_order(values_)));
    idx_ = max_size_;
  }
  if (idx_ == max_size_) idx_ = keep_;
  assign(slice(keys_, 2, idx_, idx_ + 1), keys);
  assign(slice(values_, 2, idx_, idx_ + 1), values);
  offset_ += 1;
  idx_ += 1;
  if (offset_ < max_size_) return {slice(keys_, 2, 0, offset_), slice(values_, 2, 0, offset_)};
  return {keys_, values_};
}

Array RotatingKVCache::attend(const Array& q, const Array& k, const Array& v,
                              const AttentionSpec& spec) {
  int64_t L = q.shape(2);
  auto [keys, values] = update_and_fetch(k, v);
  int64_t window = spec.sliding_window > 0 ? spec.sliding_window : max_size_;
  if (L > 1 || offset_ <= keys.shape(2))  // temporal order: a positional window works
    return fast::scaled_dot_product_attention(q, keys, values, spec.scale, causal_if(L),
                                              options(spec, window));
  // One query over a full ring: keep the entries whose position is within the window.
  int64_t T = keys.shape(2), ring = max_size_ - keep_;
  std::vector<uint8_t> keep(T);
  for (int64_t e = 0; e < T; ++e) {
    int64_t pos = e < keep_ ? e : offset_ - 1 - (((idx_ - 1 - e) % ring) + ring) % ring;
    keep[e] = pos > offset_ - 1 - window;
  }
  Array mask = astype(Array(keep, Shape{T}), Dtype::bool_);
  return fast::scaled_dot_product_attention(q, keys, values, spec.scale, fast::AttentionMask(mask),
                                            options(spec, 0));
}

int64_t RotatingKVCache::trim(int64_t n) {
  n = std::clamp<int64_t>(n, 0, offset_);
  if (!is_trimmable()) return 0;
  offset_ -= n;
  idx_ -= n;
  return n;
}

std::vector<Array> RotatingKVCache::state() const {
  if (!keys_.valid()) return {};
  if (offset_ < keys_.shape(2))
    return {contiguous(slice(keys_, 2, 0, offset_)), contiguous(slice(values_, 2, 0, offset_))};
  return {contiguous(keys_), contiguous(values_)};
}

std::vector<std::string> RotatingKVCache::meta_state() const {
  return {std::to_string(keep_), std::to_string(max_size_), std::to_string(offset_),
          std::to_string(idx_)};
}

void RotatingKVCache::set_state(std::vector<Array> state, const std::vector<std::string>& meta) {
  LMX_CHECK(meta.size() == 4, ValueError, "RotatingKVCache",
            "metadata needs keep, max_size, offset and idx, got {} values", meta.size());
  keep_ = to_int(meta[0], "keep");
  max_size_ = to_int(meta[1], "max_size");
  offset_ = to_int(meta[2], "offset");
  idx_ = to_int(meta[3], "idx");
  keys_ = values_ = Array();
  if (state.size() == 2) {
    keys_ = copy(state[0]);
    values_ = copy(state[1]);
  }
}

// --- QuantizedKVCache ---

QuantizedKVCache::QuantizedKVCache(int group_size, int bits, int64_t max_size, int64_t keep)
    : group_size_(group_size), bits_(bits), max_size_(max_size), keep_(keep) {
  LMX_CHECK(max_size == 0 || (keep >= 0 && keep < max_size), ValueError, "QuantizedKVCache",
            "needs 0 <= keep < max_size, got keep {} and max_size {}", keep, max_size);
}

QuantizedKVCache::Q QuantizedKVCache::window(const Q& q, int64_t begin, int64_t end) const {
  return {slice(q.w, 2, begin, end), slice(q.scales, 2, begin, end),
          slice(q.biases, 2, begin, end)};
}

void QuantizedKVCache::append(Q& dst, const Array& x) {
  auto [w, s, b] = quantize(x, group_size_, bits_);
  if (!dst.w.valid()) {
    dst = {contiguous(w), contiguous(s), contiguous(b)};
    return;
  }
  dst = {concatenate({dst.w, w}, 2), concatenate({dst.scales, s}, 2),
         concatenate({dst.biases, b}, 2)};
}

std::pair<Array, Array> QuantizedKVCache::update_and_fetch(const Array& keys,
                                                           const Array& values) {
  int64_t S = keys.shape(2);
  LMX_CHECK(keys.shape(-1) % group_size_ == 0 && values.shape(-1) % group_size_ == 0, ValueError,
            "QuantizedKVCache", "head dims {} and {} are not multiples of the group size {}",
            keys.shape(-1), values.shape(-1), group_size_);
  append(keys_, keys);
  append(values_, values);
  offset_ += S;
  size_ += S;
  Dtype dt = keys.dtype();
  Array k = dequantize(keys_.w, keys_.scales, keys_.biases, group_size_, bits_);
  Array v = dequantize(values_.w, values_.scales, values_.biases, group_size_, bits_);
  if (max_size_ > 0 && size_ > max_size_) {
    // Keep `keep` tokens and the newest so that each new token still sees max_size - 1
    // tokens before it (as the rotating cache does).
    int64_t excess = size_ - std::max<int64_t>(max_size_, S + keep_);
    if (excess > 0) {
      auto cut = [&](const Q& q) {
        Q a = window(q, 0, keep_), b = window(q, keep_ + excess, size_);
        return Q{concatenate({a.w, b.w}, 2), concatenate({a.scales, b.scales}, 2),
                 concatenate({a.biases, b.biases}, 2)};
      };
      keys_ = cut(keys_);
      values_ = cut(values_);
      size_ -= excess;
      k = dequantize(keys_.w, keys_.scales, keys_.biases, group_size_, bits_);
      v = dequantize(values_.w, values_.scales, values_.biases, group_size_, bits_);
    }
  }
  return {astype(k, dt), astype(v, dt)};
}

Array QuantizedKVCache::attend(const Array& q, const Array& k, const Array& v,
                               const AttentionSpec& spec) {
  // The cache holds quantized keys/values; attention reads a dequantized copy of them.
  auto [keys, values] = update_and_fetch(k, v);
  int64_t window = spec.sliding_window > 0 ? spec.sliding_window : max_size_;
  return fast::scaled_dot_product_attention(q, keys, values, spec.scale, causal_if(q.shape(2)),
                                            options(spec, window));
}

int64_t QuantizedKVCache::trim(int64_t n) {
  if (!is_trimmable()) return 0;
  n = std::clamp<int64_t>(n, 0, size_);
  if (n == 0) return 0;
  keys_ = window(keys_, 0, size_ - n);
  values_ = window(values_, 0, size_ - n);
  size_ -= n;
  offset_ -= n;
  return n;
}

std::vector<Array> QuantizedKVCache::state() const {
  if (!keys_.w.valid()) return {};
  return {contiguous(keys_.w),   contiguous(keys_.scales),   contiguous(keys_.biases),
          contiguous(values_.w), contiguous(values_.scales), contiguous(values_.biases)};
}

std::vector<std::string> QuantizedKVCache::meta_state() const {
  return {std::to_string(offset_), std::to_string(group_size_), std::to_string(bits_)};
}

void QuantizedKVCache::set_state(std::vector<Array> state, const std::vector<std::string>& meta) {
  LMX_CHECK(meta.size() >= 3, ValueError, "QuantizedKVCache",
            "metadata needs offset, group_size and bits, got {} values", meta.size());
  offset_ = to_int(meta[0], "offset");
  group_size_ = int(to_int(meta[1], "group_size"));
  bits_ = int(to_int(meta[2], "bits"));
  keys_ = values_ = Q{};
  size_ = 0;
  if (state.empty()) return;
  LMX_CHECK(state.size() == 6, ValueError, "QuantizedKVCache",
            "state needs 6 arrays (keys and values, each packed/scales/biases), got {}",
            state.size());
  keys_ = {state[0], state[1], state[2]};
  values_ = {state[3], state[4], state[5]};
  size_ = keys_.w.shape(2);
}

std::shared_ptr<QuantizedKVCache> QuantizedKVCache::from_cache(const KVCacheBase& c,
                                                               int group_size, int bits) {
  int64_t max_size = 0;
  if (auto* r = dynamic_cast<const RotatingKVCache*>(&c)) max_size = r->max_size();
  auto q = std::make_shared<QuantizedKVCache>(group_size, bits, max_size);
  auto st = c.state();
  if (st.size() == 2) {
    q->append(q->keys_, st[0]);
    q->append(q->values_, st[1]);
    q->size_ = st[0].shape(2);
  }
  q->offset_ = c.offset();
  return q;
}

void maybe_quantize_kv_cache(CacheList& cache, const CacheOptions& opts) {
  if (opts.kv_bits == 0) return;
  for (auto& c : cache) {
    auto* kv = dynamic_cast<KVCacheBase*>(c.get());
    if (!kv || dynamic_cast<QuantizedKVCache*>(kv)) continue;
    if (kv->offset() > opts.quantized_kv_start)
      c = QuantizedKVCache::from_cache(*kv, opts.kv_group_size, opts.kv_bits);
  }
}

}  // namespace lmx::nn
