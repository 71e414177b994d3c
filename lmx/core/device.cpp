// SPDX-License-Identifier: MIT
#include "lmx/core/device.h"

#include "lmx/core/backend_api.h"
#include "lmx/core/error.h"

namespace lmx {

std::string Device::str() const {
  return type == DeviceType::cpu ? "cpu" : "cuda:" + std::to_string(index);
}

Device Device::parse(const std::string& s) {
  if (s == "cpu") return kCpu;
  if (s == "cuda" || s == "gpu") return {DeviceType::cuda, 0};
  if (s.rfind("cuda:", 0) == 0) {
    try {
      size_t used = 0;
      int idx = std::stoi(s.substr(5), &used);
      if (used == s.size() - 5 && idx >= 0) return {DeviceType::cuda, idx};
    } catch (const std::exception&) {
    }
  }
  raise<DeviceError>("device", "unknown device '{}' (expected cpu, cuda or cuda:N)", s);
}

namespace {
thread_local Device g_default = kCpu;
}

Device default_device() { return g_default; }

void set_default_device(Device d) {
  if (d.type == DeviceType::cuda && d.index >= cuda::device_count())
    raise<DeviceError>("set_default_device", "{} is not available ({} GPUs usable)", d.str(),
                       cuda::device_count());
  g_default = d;
}

bool cuda_available() { return cuda::device_count() > 0; }

}  // namespace lmx
