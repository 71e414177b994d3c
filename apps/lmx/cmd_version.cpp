// SPDX-License-Identifier: MIT
// `lmx version`: the version and what this build can use.
#include <fmt/format.h>

#include "apps/lmx/command.h"
#include "lmx/core/device.h"

LMX_COMMAND("version", [](CLI::App& app) {
  app.description("Print the version and the devices this build can use");
  return [] {
    fmt::print("lmx 0.1.0\ncuda: {}\n", lmx::cuda_available() ? "available" : "not available");
    return 0;
  };
});
