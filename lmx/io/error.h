// SPDX-License-Identifier: MIT
// The io layer's one exception type.
#pragma once

#include <stdexcept>
#include <string>

namespace lmx::io {

// Thrown for anything a file, a folder, a config or the network can get wrong (missing,
// truncated, malformed, refused). The message names the operation, the file and the tensor.
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace lmx::io
