// SPDX-License-Identifier: MIT
#include "lmx/tokenizer/engine.h"
#include "lmx/tokenizer/error.h"
namespace lmx::tok {
std::unique_ptr<Engine> load_gguf_vocab(const std::string& path) {
  throw TokenizerError(path + ": not yet");
}
}  // namespace lmx::tok
