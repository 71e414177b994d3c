// SPDX-License-Identifier: MIT
// Where tests find ../shared (the reference data) and the lmx binary.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace lmx::testing {

// ../shared beside the repository, or $LMX_SHARED. Empty when absent.
inline std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("LMX_SHARED")) return env;
  std::filesystem::path p = std::filesystem::path(LMX_SOURCE_DIR) / ".." / "shared";
  return std::filesystem::exists(p) ? std::filesystem::canonical(p) : std::filesystem::path{};
}

// The lmx CLI built beside the tests.
inline std::string lmx_binary() {
  if (const char* env = std::getenv("LMX_BIN")) return env;
  return std::string(LMX_BINARY_DIR) + "/bin/lmx";
}

}  // namespace lmx::testing

// Skips the current test with a message when ../shared/<rel> is absent.
#define LMX_REQUIRE_SHARED(rel)                                                        \
  do {                                                                                 \
    auto lmx_dir_ = ::lmx::testing::shared_dir();                                      \
    if (lmx_dir_.empty() || !std::filesystem::exists(lmx_dir_ / (rel)))                \
      GTEST_SKIP() << "reference data ../shared/" << (rel) << " is absent; skipping"; \
  } while (0)
