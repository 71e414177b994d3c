// SPDX-License-Identifier: MIT
#include "lmx/nn/module.h"

#include <fmt/format.h>

#include "lmx/core/error.h"
#include "lmx/core/ops.h"

namespace lmx::nn {

void Module::register_parameter(const std::string& name, Array& a, bool optional) {
  params_.push_back({name, &a, optional});
}

void Module::throw_bad_replacement(const std::string& name) {
  raise<ValueError>("Module", "cannot replace child '{}' with a module of another kind", name);
}

void Module::collect(const std::string& prefix, std::map<std::string, Array*>& out,
                     std::map<std::string, bool>* optional) {
  for (auto& p : params_) {
    out[prefix + p.name] = p.array;
    if (optional) (*optional)[prefix + p.name] = p.optional;
  }
  for (auto& c : children_)
    if (auto m = c.get()) m->collect(prefix + c.name + ".", out, optional);
}

std::map<std::string, Array*> Module::parameters() {
  std::map<std::string, Array*> out;
  collect("", out, nullptr);
  return out;
}

void Module::load_weights(const std::map<std::string, Array>& weights, bool strict) {
  std::map<std::string, Array*> params;
  std::map<std::string, bool> optional;
  collect("", params, &optional);
  if (strict) {
    for (const auto& [name, _] : weights)
      if (!params.count(name))
        raise<ValueError>("load_weights", "the checkpoint has '{}', which the model does not use",
                          name);
  }
  for (auto& [name, slot] : params) {
    auto it = weights.find(name);
    if (it == weights.end()) {
      if (strict && !optional[name] && !(slot->valid() && slot->buffer()))
        raise<ValueError>("load_weights", "the checkpoint has no '{}'", name);
      continue;
    }
    if (slot->valid() && slot->shape() != it->second.shape())
      raise<ShapeError>("load_weights", "'{}' has shape {} in the checkpoint, the model expects {}",
                        name, shape_str(it->second.shape()), shape_str(slot->shape()));
    *slot = it->second;
  }
}

void Module::apply_to_modules(const std::function<void(const std::string&, Module&)>& f,
                              const std::string& prefix) {
  f(prefix, *this);
  for (auto& c : children_)
    if (auto m = c.get()) m->apply_to_modules(f, prefix.empty() ? c.name : prefix + "." + c.name);
}

void Module::replace_modules(
    const std::function<std::shared_ptr<Module>(const std::string&, Module&)>& f,
    const std::string& prefix) {
  for (auto& c : children_) {
    auto m = c.get();
    if (!m) continue;
    std::string path = prefix.empty() ? c.name : prefix + "." + c.name;
    if (auto r = f(path, *m))
      c.set(std::move(r));
    else
      m->replace_modules(f, path);
  }
}

size_t Module::nbytes() {
  size_t n = 0;
  for (auto& [_, a] : parameters())
    if (a->valid()) n += a->nbytes();
  return n;
}

}  // namespace lmx::nn
