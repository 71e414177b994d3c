// SPDX-License-Identifier: MIT
// Options shared by the commands that load a model (--model, --dtype, --device) and the
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
  std::string device;  // "cpu", "cuda" or "cuda:N"; empty: cuda when a GPU is usable
  void add(CLI::App& app);
  // The folder to load: --model, else the repository's default model.
  std::string path() const;
  // The device --device names (or the default); throws DeviceError naming the reason
  // when it is a GPU this build or machine cannot use.
  Device resolve_device() const;
  // The options for loading. Also makes resolve_device() the default device, so that
  // the weights, caches and inputs of the command all live there.
  models::LoadOptions load_options() const;
};

// Prompt text: the argument itself, or stdin when it is "-".
std::string read_prompt(const std::string& arg);

}  // namespace lmx::cli
