// SPDX-License-Identifier: MIT
// What the fused ops share: differentiating their composite references.
#include "lmx/core/fast.h"

#include "lmx/core/autograd.h"
#include "lmx/core/primitives_fast.h"

namespace lmx::fast {

namespace detail {

std::vector<Array> composite_vjp(const ArrayFn& fn, const std::vector<Array>& primals,
                                 const std::vector<Array>& cots, const std::vector<int>& argnums) {
  auto grads = lmx::vjp(fn, primals, cots).second;
  std::vector<Array> out;
  for (int a : argnums) out.push_back(grads[a]);
  return out;
}

}  // namespace detail

}  // namespace lmx::fast
