// SPDX-License-Identifier: MIT
// Prompt caches saved to and loaded from one safetensors file, in MLX-LM's layout:
// tensors "<layer>.<i>" (quantized caches "<layer>.<i>.<j>"), metadata "0.<layer>[.<j>]"
// (each cache's meta_state), "1.<key>" (user metadata), "2.<layer>" (class names).
#pragma once

#include <map>
#include <string>

#include "lmx/nn/cache.h"

namespace lmx {

// Writes atomically; throws on I/O errors.
void save_prompt_cache(const std::string& path, const nn::CacheList& cache,
                       const std::map<std::string, std::string>& metadata = {});
// Reads a file written by save_prompt_cache or MLX-LM; `metadata` receives the user
// metadata. Throws ValueError naming the file for anything malformed.
nn::CacheList load_prompt_cache(const std::string& path,
                                std::map<std::string, std::string>* metadata = nullptr);

}  // namespace lmx
