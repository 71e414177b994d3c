// SPDX-License-Identifier: MIT
// Reverse-mode autodiff over eagerly evaluated ops. While value_and_grad runs a function,
// every op on a tracked input records its primitive and inputs (a tape held by the output
// arrays); the backward pass walks it calling each primitive's vjp.
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include "lmx/core/array.h"

namespace lmx {

using ArrayFn = std::function<std::vector<Array>(const std::vector<Array>&)>;
using ValueAndGradFn =
    std::function<std::pair<std::vector<Array>, std::vector<Array>>(const std::vector<Array>&)>;

// Returns a function computing fn(inputs) and the gradient of its first output (a scalar)
// with respect to inputs[argnums[i]].
ValueAndGradFn value_and_grad(ArrayFn fn, std::vector<int> argnums = {0});
// Only the gradients.
std::function<std::vector<Array>(const std::vector<Array>&)> grad(ArrayFn fn,
                                                                 std::vector<int> argnums = {0});
// Single-input scalar function forms.
std::function<Array(const Array&)> grad(std::function<Array(const Array&)> fn);

// Vector-Jacobian product of fn at primals with the given output cotangents: returns
// (outputs, input cotangents).
std::pair<std::vector<Array>, std::vector<Array>> vjp(ArrayFn fn,
                                                      const std::vector<Array>& primals,
                                                      const std::vector<Array>& cotangents);

namespace detail {
// Whether ops should record themselves (inside value_and_grad).
bool is_tracing();
}  // namespace detail

}  // namespace lmx
