// SPDX-License-Identifier: MIT
// The lmx command line: parses, runs one subcommand, and turns any exception into a
// one-line error and a non-zero exit code.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>

#include "apps/lmx/command.h"
#include "lmx/backend/cpu/blas.h"

namespace lmx::cli {
std::vector<Command>& command_registry() {
  static std::vector<Command> registry;
  return registry;
}
}  // namespace lmx::cli

int main(int argc, char** argv) {
  // OpenBLAS picks its kernels when it loads: if it fell back to generic ones on this CPU,
  // start again with the right ones named (once: the variable is then set).
  if (!std::getenv("OPENBLAS_CORETYPE")) {
    if (const char* core = lmx::cpu::openblas_coretype_fix()) {
      setenv("OPENBLAS_CORETYPE", core, 1);
      execv("/proc/self/exe", argv);  // returns only on failure: go on as we are
    }
  }
  CLI::App app{"lmx: run, serve, convert and fine-tune language models"};
  app.require_subcommand(1);
  std::function<int()> run;
  std::vector<std::pair<CLI::App*, std::function<int()>>> runners;
  for (auto& cmd : lmx::cli::command_registry()) {
    auto* sub = app.add_subcommand(cmd.name);
    runners.emplace_back(sub, cmd.setup(*sub));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (auto& [sub, fn] : runners)
      if (sub->parsed()) return fn();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lmx: error: %s\n", e.what());
    return 1;
  }
}
