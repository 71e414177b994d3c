// SPDX-License-Identifier: MIT
// Options shared by the commands that load a model (--model, --dtype) and the
// default-model lookup.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "lmx/generate/generate.h"

namespace lmx::cli {

struct ModelArgs {
  std::string model;
  std::string dtype;
  void add(CLI::App& app);
  // The folder to load: --model, else the repository's default model.
  std::string path() const;
  models::LoadOptions load_options() const;
};

// Prompt text: the argument itself, or stdin when it is "-".
std::string read_prompt(const std::string& arg);

}  // namespace lmx::cli
