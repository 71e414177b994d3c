// SPDX-License-Identifier: MIT
// Modules with named parameters. Names are the checkpoint's, verbatim ("model.layers.0.
// self_attn.q_proj.weight"): a module registers its parameters and children under the
// names its checkpoint keys use, and load_weights() fills them.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lmx/core/array.h"

namespace lmx::nn {

class Module {
 public:
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  virtual ~Module() = default;

  // Every parameter reachable from this module, by dotted name.
  std::map<std::string, Array*> parameters();
  // Children by name (for walking and swapping, e.g. quantization or LoRA).
  struct Child {
    std::string name;
    std::function<std::shared_ptr<Module>()> get;
    std::function<void(std::shared_ptr<Module>)> set;  // throws if the type does not fit
  };
  const std::vector<Child>& children() const { return children_; }

  // Assigns checkpoint tensors to parameters by name. With `strict`, a missing or
  // unexpected name, or a shape that differs, throws ValueError naming it.
  void load_weights(const std::map<std::string, Array>& weights, bool strict = true);
  // Calls f(path, module) for this module and every descendant.
  void apply_to_modules(const std::function<void(const std::string&, Module&)>& f,
                        const std::string& prefix = "");
  // Replaces descendants: for every child for which `f(path, child)` returns a module,
  // that module takes its place.
  void replace_modules(
      const std::function<std::shared_ptr<Module>(const std::string&, Module&)>& f,
      const std::string& prefix = "");

  // Bytes of all parameters.
  size_t nbytes();

 protected:
  // Registers `a` as parameter `name`; `optional` ones may be absent from a checkpoint.
  void register_parameter(const std::string& name, Array& a, bool optional = false);
  // Registers a child slot; `slot` may later be replaced by a subclass of T.
  template <typename T>
  void register_module(const std::string& name, std::shared_ptr<T>& slot) {
    children_.push_back({name, [&slot] { return std::static_pointer_cast<Module>(slot); },
                         [&slot, name](std::shared_ptr<Module> m) {
                           auto t = std::dynamic_pointer_cast<T>(m);
                           if (!t) throw_bad_replacement(name);
                           slot = std::move(t);
                         }});
  }
  // Registers a list of children named "name.0", "name.1", ...
  template <typename T>
  void register_modules(const std::string& name, std::vector<std::shared_ptr<T>>& slots) {
    for (size_t i = 0; i < slots.size(); ++i)
      register_module(name + "." + std::to_string(i), slots[i]);
  }

 private:
  [[noreturn]] static void throw_bad_replacement(const std::string& name);
  struct Param {
    std::string name;
    Array* array;
    bool optional;
  };
  std::vector<Param> params_;
  std::vector<Child> children_;
  void collect(const std::string& prefix, std::map<std::string, Array*>& out,
               std::map<std::string, bool>* optional);
};

}  // namespace lmx::nn
