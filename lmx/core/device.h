// SPDX-License-Identifier: MIT
// Devices (cpu, cuda:N) and the default device new arrays are created on.
#pragma once

#include <string>

namespace lmx {

enum class DeviceType : unsigned char { cpu, cuda };

struct Device {
  DeviceType type = DeviceType::cpu;
  int index = 0;
  bool operator==(const Device&) const = default;
  // "cpu" or "cuda:0".
  std::string str() const;
  // Parses "cpu", "cuda" or "cuda:N"; throws DeviceError for anything else.
  static Device parse(const std::string& s);
};

inline constexpr Device kCpu{DeviceType::cpu, 0};

// The device that creation ops and loaders use when none is named (thread-local;
// starts as cpu).
Device default_device();
void set_default_device(Device d);

// Whether this build has the CUDA backend and a usable GPU.
bool cuda_available();

}  // namespace lmx
