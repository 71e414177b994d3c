// SPDX-License-Identifier: MIT
// A build without CUDA: every primitive's eval_cuda throws a clear DeviceError.
#pragma once

#include "lmx/core/error.h"
#include "lmx/core/primitive.h"

#define LMX_NO_CUDA(Class)                                                                \
  void Class::eval_cuda(const std::vector<Array>&, std::vector<Array>&) {                \
    ::lmx::raise<::lmx::DeviceError>(name(), "this build of lmx has no CUDA backend "     \
                                             "(rebuild with -DLMX_CUDA=ON)");             \
  }
