// SPDX-License-Identifier: MIT
#include "lmx/core/primitive.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

#include "lmx/core/autograd.h"
#include "lmx/core/backend_api.h"
#include "lmx/core/error.h"

namespace lmx {

namespace {

// LMX_PROFILE=1: every primitive is timed (a GPU is synchronized before and after, so
// the times are the kernels' own) and a table of the totals by primitive and device goes
// to stderr at exit. For finding where time goes; it slows everything down.
class OpProfile {
 public:
  OpProfile() {
    const char* e = std::getenv("LMX_PROFILE");
    on = e && *e && *e != '0';
  }
  ~OpProfile() {
    if (!on || totals_.empty()) return;
    std::vector<std::pair<std::string, Entry>> rows(totals_.begin(), totals_.end());
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.second.seconds > b.second.seconds; });
    double all = 0;
    for (const auto& r : rows) all += r.second.seconds;
    std::fprintf(stderr, "lmx profile: %.3f s in primitives\n%-36s %10s %8s %7s\n", all,
                 "primitive", "seconds", "calls", "share");
    for (const auto& [name, e] : rows)
      std::fprintf(stderr, "%-36s %10.4f %8lld %6.1f%%\n", name.c_str(), e.seconds,
                   (long long)e.calls, 100.0 * e.seconds / all);
  }
  void add(const std::string& name, double seconds) {
    std::lock_guard lock(mu_);
    auto& e = totals_[name];
    e.seconds += seconds;
    ++e.calls;
  }
  bool on = false;

 private:
  struct Entry {
    double seconds = 0;
    int64_t calls = 0;
  };
  std::mutex mu_;
  std::map<std::string, Entry> totals_;
};

OpProfile& profile() {
  static OpProfile p;
  return p;
}

}  // namespace

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
  const bool timed = profile().on;
  std::chrono::steady_clock::time_point t0;
  if (timed) {
    if (device.type == DeviceType::cuda) cuda::synchronize(device.index);
    t0 = std::chrono::steady_clock::now();
  }
  if (device.type == DeviceType::cpu)
    p->eval_cpu(inputs, outputs);
  else
    p->eval_cuda(inputs, outputs);
  if (timed) {
    if (device.type == DeviceType::cuda) cuda::synchronize(device.index);
    profile().add(std::string(p->name()) + (device.type == DeviceType::cuda ? " (cuda)" : ""),
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
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
