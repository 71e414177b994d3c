// SPDX-License-Identifier: MIT
// A minimal GGUF metadata reader for the tokenizer layer (tokenizer.ggml.* keys only; the
// tensor data is never read). The full GGUF reader lives in lmx/io, which this layer
// must not depend on.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lmx::tok {

// One metadata value: a scalar (integers and bools in `i`, floats in `f`), a string, or
// an array of strings or numbers.
struct GgufValue {
  uint32_t type = 0;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<std::string> strings;
  std::vector<double> numbers;
};

// Reads the key/value section of a GGUF v1-v3 file. Throws TokenizerError.
std::map<std::string, GgufValue> read_gguf_metadata(const std::string& path);

}  // namespace lmx::tok
