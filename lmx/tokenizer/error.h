// SPDX-License-Identifier: MIT
// The one exception type of the tokenizer layer.
#pragma once

#include <stdexcept>
#include <string>

namespace lmx {

// Thrown for unreadable or unsupported tokenizer files and bad ids; the message names the
// file or key at fault.
class TokenizerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace lmx
