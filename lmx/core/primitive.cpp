// SPDX-License-Identifier: MIT
#include "lmx/core/primitive.h"

#include "lmx/core/autograd.h"
#include "lmx/core/error.h"

namespace lmx {

std::vector<Array> Primitive::vjp(const std::vector<Array>&, const std::vector<Array>&,
                                  const std::vector<int>&, const std::vector<Array>&) {
  raise<ValueError>(name(), "has no vector-Jacobian product");
}

std::vector<Array> apply(std::shared_ptr<Primitive> p, std::vector<Array> inputs,
                         std::vector<OutputSpec> specs) {
  Device device = inputs.empty() ? default_device() : inputs[0].device();
  bool tracked = false;
  for (const auto& in : inputs) {
    if (!in.valid()) raise<ValueError>(p->name(), "input is a null array");
    if (in.device() != device)
      raise<DeviceError>(p->name(), "inputs are on different devices ({} and {})", device.str(),
                         in.device().str());
    tracked = tracked || in.impl()->tracked;
  }
  std::vector<Array> outputs;
  outputs.reserve(specs.size());
  for (auto& s : specs) outputs.push_back(Array::placeholder(std::move(s.shape), s.dtype, device));
  if (device.type == DeviceType::cpu)
    p->eval_cpu(inputs, outputs);
  else
    p->eval_cuda(inputs, outputs);
  if (tracked && detail::is_tracing()) {
    auto node = std::make_shared<Node>();
    node->primitive = std::move(p);
    node->inputs = std::move(inputs);
    for (size_t i = 0; i < outputs.size(); ++i) {
      auto& impl = outputs[i].impl();
      impl->node = node;
      impl->output_index = int(i);
      impl->tracked = true;
      node->outputs.push_back(impl);
    }
  }
  return outputs;
}

Array apply(std::shared_ptr<Primitive> p, std::vector<Array> inputs, Shape shape, Dtype dtype) {
  std::vector<OutputSpec> specs;
  specs.push_back({std::move(shape), dtype});
  return apply(std::move(p), std::move(inputs), std::move(specs))[0];
}

}  // namespace lmx
