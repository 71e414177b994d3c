// SPDX-License-Identifier: MIT
#include "lmx/nn/cache.h"

#include "lmx/core/error.h"
#include "lmx/core/ops.h"

namespace lmx::nn {

size_t Cache::nbytes() const {
  size_t n = 0;
  for (const auto& a : state())
    if (a.valid()) n += a.nbytes();
  return n;
}

namespace {
// Grows `buf` (B, H, cap, D) so it can hold `need` tokens, keeping the first `keep`.
Array grow(const Array& buf, const Array& like, int64_t keep, int64_t need, int64_t step) {
  Shape shape = like.shape();
  shape[2] = ((need + step - 1) / step) * step;
  Array fresh = zeros(shape, like.dtype());
  if (buf.valid() && keep > 0) assign(slice(fresh, 2, 0, keep), slice(buf, 2, 0, keep));
  return fresh;
}
}  // namespace

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
  n = std::min(n, offset_);
  offset_ -= n;
  return n;
}

std::vector<Array> KVCache::state() const {
  if (!keys_.valid()) return {};
  return {contiguous(slice(keys_, 2, 0, offset_)), contiguous(slice(values_, 2, 0, offset_))};
}

void KVCache::set_state(std::vector<Array> state, const std::map<std::string, std::string>&) {
  LMX_CHECK(state.size() == 2, ValueError, "KVCache", "state needs keys and values, got {} arrays",
            state.size());
  offset_ = 0;
  keys_ = Array();
  values_ = Array();
  if (state[0].shape(2) > 0) update_and_fetch(state[0], state[1]);
}

}  // namespace lmx::nn
