// SPDX-License-Identifier: MIT
#include "apps/lmx/model_args.h"

#include <filesystem>
#include <iostream>
#include <iterator>

#include "lmx/core/backend_api.h"
#include "lmx/core/error.h"

namespace lmx::cli {

void ModelArgs::add(CLI::App& app) {
  app.add_option("--model,-m", model,
                 "Model folder (default: the small model shipped with lmx)");
  app.add_option("--dtype", dtype, "Load float weights as float32, bfloat16 or float16")
      ->check(CLI::IsMember({"float32", "bfloat16", "float16"}));
  app.add_option("--device", device, "Run on cpu or cuda (default: cuda when a GPU is usable)");
}

Device ModelArgs::resolve_device() const {
  if (device.empty()) return cuda_available() ? Device{DeviceType::cuda, 0} : kCpu;
  Device d = Device::parse(device);
  if (d.type == DeviceType::cuda && d.index >= cuda::device_count())
    raise<DeviceError>("device", "--device {}: {}", device,
                       !cuda::built() ? "this build of lmx has no CUDA backend (rebuild with "
                                        "-DLMX_CUDA=ON, see docs/cuda.md)"
                       : cuda::device_count() == 0
                           ? "no usable GPU was found on this machine"
                           : "this machine has only " + std::to_string(cuda::device_count()) +
                                 " GPU(s)");
  return d;
}

std::string ModelArgs::path() const {
  if (!model.empty()) return model;
  if (const char* env = std::getenv("LMX_DEFAULT_MODEL")) return env;
  return LMX_DEFAULT_MODEL;
}

models::LoadOptions ModelArgs::load_options() const {
  set_default_device(resolve_device());
  models::LoadOptions o;
  if (!dtype.empty()) o.dtype = dtype_from_name(dtype);
  return o;
}

std::string read_prompt(const std::string& arg) {
  if (arg != "-") return arg;
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

}  // namespace lmx::cli
