// SPDX-License-Identifier: MIT
#include "lmx/backend/cuda/strided.h"

#include "lmx/core/error.h"

namespace lmx::cuda {

template <int K>
Strided<K> make_strided(const std::vector<int64_t>& shape,
                        const std::vector<const std::vector<int64_t>*>& strides, const char* op) {
  Strided<K> s;
  s.size = 1;
  for (auto d : shape) s.size *= d;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = s.ndim > 0;
    for (int k = 0; k < K && merge; ++k)
      merge = s.strides[k][s.ndim - 1] == (*strides[k])[d] * shape[d];
    if (merge) {
      s.shape[s.ndim - 1] *= shape[d];
      for (int k = 0; k < K; ++k) s.strides[k][s.ndim - 1] = (*strides[k])[d];
      continue;
    }
    LMX_CHECK(s.ndim < kMaxDims, DeviceError, op,
              "the CUDA backend handles up to {} non-mergeable dimensions, got more", kMaxDims);
    s.shape[s.ndim] = shape[d];
    for (int k = 0; k < K; ++k) s.strides[k][s.ndim] = (*strides[k])[d];
    ++s.ndim;
  }
  if (s.ndim == 0) {
    s.ndim = 1;
    s.shape[0] = 1;
    for (int k = 0; k < K; ++k) s.strides[k][0] = 0;
  }
  return s;
}

template Strided<1> make_strided<1>(const std::vector<int64_t>&,
                                    const std::vector<const std::vector<int64_t>*>&, const char*);
template Strided<2> make_strided<2>(const std::vector<int64_t>&,
                                    const std::vector<const std::vector<int64_t>*>&, const char*);
template Strided<3> make_strided<3>(const std::vector<int64_t>&,
                                    const std::vector<const std::vector<int64_t>*>&, const char*);
template Strided<4> make_strided<4>(const std::vector<int64_t>&,
                                    const std::vector<const std::vector<int64_t>*>&, const char*);

}  // namespace lmx::cuda
