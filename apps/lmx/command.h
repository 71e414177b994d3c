// SPDX-License-Identifier: MIT
// Subcommands of the lmx CLI. Each command lives in its own cmd_<name>.cpp and
// registers itself with LMX_COMMAND; main.cpp knows none of them by name.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace lmx::cli {

// Adds a subcommand to `app` and returns the function that runs it after parsing
// (the function returns the process exit code).
using CommandSetup = std::function<std::function<int()>(CLI::App& app)>;

struct Command {
  std::string name;
  CommandSetup setup;
};

std::vector<Command>& command_registry();

struct CommandRegistrar {
  CommandRegistrar(std::string name, CommandSetup setup) {
    command_registry().push_back({std::move(name), std::move(setup)});
  }
};

}  // namespace lmx::cli

#define LMX_CONCAT_INNER_(a, b) a##b
#define LMX_CONCAT_(a, b) LMX_CONCAT_INNER_(a, b)
// Registers a subcommand: LMX_COMMAND("tokenize", [](CLI::App& app) { ...; return run; });
#define LMX_COMMAND(name, setup) \
  static ::lmx::cli::CommandRegistrar LMX_CONCAT_(lmx_command_, __LINE__)(name, setup)
