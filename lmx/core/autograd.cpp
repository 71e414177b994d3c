// SPDX-License-Identifier: MIT
#include "lmx/core/autograd.h"

#include <unordered_map>
#include <unordered_set>

#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/core/primitive.h"
#include "lmx/core/primitives.h"

namespace lmx {

namespace detail {
namespace {
thread_local int g_trace_depth = 0;
}
bool is_tracing() { return g_trace_depth > 0; }
}  // namespace detail

namespace {

struct TraceScope {
  TraceScope() { ++detail::g_trace_depth; }
  ~TraceScope() { --detail::g_trace_depth; }
};

// A new handle to the same data, marked as a tracked leaf. Inside an outer transform
// (a higher-order gradient) the leaf is an identity view of `a` recorded on the outer
// tape, so what is computed from it stays differentiable with respect to `a`.
Array tracked_leaf(const Array& a) {
  if (a.impl()->tracked && detail::is_tracing())
    return apply(std::make_shared<Reshape>(a.strides(), 0), {a}, a.shape(), a.dtype());
  auto impl = std::make_shared<Array::Impl>(*a.impl());
  impl->node = nullptr;
  impl->tracked = true;
  return Array(std::move(impl));
}

// Cotangents of `inputs` given cotangents of `outputs`, walking the recorded graph.
std::vector<Array> backward(const std::vector<Array>& outputs, const std::vector<Array>& cots,
                            const std::vector<Array>& inputs) {
  // Topological order of the nodes between the inputs and the outputs (the inputs' own
  // nodes, present in higher-order gradients, belong to the outer tape).
  std::vector<Node*> order;
  std::unordered_set<Node*> seen;
  for (const auto& in : inputs)
    if (Node* n = in.impl()->node.get()) seen.insert(n);
  std::vector<std::pair<Node*, size_t>> stack;
  for (const auto& o : outputs) {
    Node* n = o.impl()->node.get();
    if (!n || seen.count(n)) continue;
    seen.insert(n);
    stack.push_back({n, 0});
    while (!stack.empty()) {
      auto& [node, i] = stack.back();
      if (i < node->inputs.size()) {
        Node* child = node->inputs[i++].impl()->node.get();
        if (child && !seen.count(child)) {
          seen.insert(child);
          stack.push_back({child, 0});
        }
      } else {
        order.push_back(node);
        stack.pop_back();
      }
    }
  }
  std::unordered_map<const void*, Array> grads;  // by Array::Impl*
  auto accumulate = [&](const Array& target, const Array& g) {
    auto it = grads.find(target.id());
    if (it == grads.end())
      grads.emplace(target.id(), g);
    else
      it->second = add(it->second, g);
  };
  for (size_t i = 0; i < outputs.size(); ++i) accumulate(outputs[i], cots[i]);

  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* node = *it;
    std::vector<Array> out_arrays, out_cots;
    bool any = false;
    for (auto& w : node->outputs) {
      auto impl = w.lock();
      Array out = impl ? Array(impl) : Array();
      auto g = impl ? grads.find(impl.get()) : grads.end();
      if (g != grads.end()) {
        out_cots.push_back(g->second);
        any = true;
      } else {
        out_cots.push_back(Array());
      }
      out_arrays.push_back(out);
    }
    if (!any) continue;
    // Missing cotangents (unused outputs) are zeros.
    for (size_t k = 0; k < out_cots.size(); ++k)
      if (!out_cots[k].valid()) {
        const Array& o = out_arrays[k];
        if (!o.valid()) raise<ValueError>(node->primitive->name(), "lost an output in backward");
        out_cots[k] = zeros_like(o);
      }
    std::vector<int> argnums;
    for (size_t k = 0; k < node->inputs.size(); ++k)
      if (node->inputs[k].impl()->tracked) argnums.push_back(int(k));
    if (argnums.empty()) continue;
    auto in_cots = node->primitive->vjp(node->inputs, out_cots, argnums, out_arrays);
    for (size_t k = 0; k < argnums.size(); ++k) {
      if (!in_cots[k].valid()) continue;
      const Array& in = node->inputs[argnums[k]];
      Array g = in_cots[k];
      if (g.dtype() != in.dtype()) g = astype(g, in.dtype());
      accumulate(in, g);
    }
  }
  std::vector<Array> result;
  for (const auto& in : inputs) {
    auto g = grads.find(in.id());
    result.push_back(g != grads.end() ? g->second : zeros_like(in));
  }
  return result;
}

}  // namespace

std::pair<std::vector<Array>, std::vector<Array>> vjp(ArrayFn fn,
                                                      const std::vector<Array>& primals,
                                                      const std::vector<Array>& cotangents) {
  std::vector<Array> leaves;
  for (const auto& p : primals) leaves.push_back(tracked_leaf(p));
  std::vector<Array> outs;
  {
    TraceScope scope;
    outs = fn(leaves);
  }
  LMX_CHECK(outs.size() == cotangents.size(), ValueError, "vjp",
            "function returned {} outputs but {} cotangents were given", outs.size(),
            cotangents.size());
  for (size_t i = 0; i < outs.size(); ++i)
    LMX_CHECK(outs[i].shape() == cotangents[i].shape(), ShapeError, "vjp",
              "output {} has shape {} but its cotangent has {}", i, shape_str(outs[i].shape()),
              shape_str(cotangents[i].shape()));
  // Backward ops record too when an outer transform is tracing (higher-order gradients).
  auto grads = backward(outs, cotangents, leaves);
  std::vector<Array> plain_outs;
  for (auto& o : outs) plain_outs.push_back(o);
  return {plain_outs, grads};
}

ValueAndGradFn value_and_grad(ArrayFn fn, std::vector<int> argnums) {
  return [fn = std::move(fn), argnums](const std::vector<Array>& inputs) {
    std::vector<Array> leaves = inputs;
    for (int a : argnums) {
      LMX_CHECK(a >= 0 && a < int(inputs.size()), ValueError, "value_and_grad",
                "argnum {} out of range for {} inputs", a, inputs.size());
      leaves[a] = tracked_leaf(inputs[a]);
    }
    std::vector<Array> outs;
    {
      TraceScope scope;
      outs = fn(leaves);
    }
    LMX_CHECK(!outs.empty() && outs[0].size() == 1, ValueError, "value_and_grad",
              "the function must return a scalar first output, got shape {}",
              outs.empty() ? std::string("nothing") : shape_str(outs[0].shape()));
    std::vector<Array> wrt;
    for (int a : argnums) wrt.push_back(leaves[a]);
    auto grads = backward({outs[0]}, {ones_like(outs[0])}, wrt);
    return std::make_pair(outs, grads);
  };
}

std::function<std::vector<Array>(const std::vector<Array>&)> grad(ArrayFn fn,
                                                                 std::vector<int> argnums) {
  auto vg = value_and_grad(std::move(fn), std::move(argnums));
  return [vg](const std::vector<Array>& inputs) { return vg(inputs).second; };
}

std::function<Array(const Array&)> grad(std::function<Array(const Array&)> fn) {
  auto g = grad([fn](const std::vector<Array>& x) { return std::vector<Array>{fn(x[0])}; });
  return [g](const Array& x) { return g({x})[0]; };
}

}  // namespace lmx
