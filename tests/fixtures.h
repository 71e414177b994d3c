// SPDX-License-Identifier: MIT
// The tiny Hugging Face checkpoints in ../shared/fixtures/hf-tiny and their references.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/shared_data.h"

namespace lmx::testing {

// Names of every fixture folder (empty when ../shared is absent).
inline std::vector<std::string> fixture_names() {
  std::vector<std::string> names;
  auto dir = shared_dir();
  if (dir.empty() || !std::filesystem::exists(dir / "fixtures/hf-tiny")) return names;
  for (auto& e : std::filesystem::directory_iterator(dir / "fixtures/hf-tiny"))
    if (e.is_directory() && std::filesystem::exists(e.path() / "reference.json"))
      names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

inline std::filesystem::path fixture_dir(const std::string& name) {
  return shared_dir() / "fixtures/hf-tiny" / name;
}

inline nlohmann::json read_json(const std::filesystem::path& p) {
  std::ifstream f(p);
  return nlohmann::json::parse(f);
}

// Whether `got` matches the reference greedy ids: identical, except that after a step
// whose reference margin is under 1e-3 the two may part ways.
inline ::testing::AssertionResult greedy_matches(const std::vector<int>& got,
                                                 const nlohmann::json& ref) {
  auto want = ref["greedy_ids"].get<std::vector<int>>();
  auto margins = ref["greedy_margins"].get<std::vector<double>>();
  for (size_t i = 0; i < want.size(); ++i) {
    if (i >= got.size())
      return ::testing::AssertionFailure() << "only " << got.size() << " tokens generated";
    if (got[i] != want[i]) {
      if (i > 0 && margins[i - 1] < 1e-3) return ::testing::AssertionSuccess();
      if (margins[i] < 1e-3) return ::testing::AssertionSuccess();  // a near tie at this step
      return ::testing::AssertionFailure()
             << "token " << i << " is " << got[i] << ", the reference has " << want[i]
             << " (margin " << margins[i] << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace lmx::testing
