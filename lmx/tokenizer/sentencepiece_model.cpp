// SPDX-License-Identifier: MIT
#include "lmx/tokenizer/engine.h"
#include "lmx/tokenizer/error.h"
namespace lmx::tok {
std::unique_ptr<Pipeline> load_sentencepiece_model(const std::string& path) {
  throw TokenizerError(path + ": not yet");
}
}  // namespace lmx::tok
