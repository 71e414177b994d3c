// SPDX-License-Identifier: MIT
#include "apps/lmx/model_args.h"

#include <filesystem>
#include <iostream>
#include <iterator>

#include "lmx/core/error.h"

namespace lmx::cli {

void ModelArgs::add(CLI::App& app) {
  app.add_option("--model,-m", model,
                 "Model folder (default: the small model shipped with lmx)");
  app.add_option("--dtype", dtype, "Load float weights as float32, bfloat16 or float16")
      ->check(CLI::IsMember({"float32", "bfloat16", "float16"}));
}

std::string ModelArgs::path() const {
  if (!model.empty()) return model;
  if (const char* env = std::getenv("LMX_DEFAULT_MODEL")) return env;
  return LMX_DEFAULT_MODEL;
}

models::LoadOptions ModelArgs::load_options() const {
  models::LoadOptions o;
  if (!dtype.empty()) o.dtype = dtype_from_name(dtype);
  return o;
}

std::string read_prompt(const std::string& arg) {
  if (arg != "-") return arg;
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

}  // namespace lmx::cli
