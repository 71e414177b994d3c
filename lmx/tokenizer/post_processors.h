// SPDX-License-Identifier: MIT
// Post-processors of tokenizer.json ("post_processor": {...}): add the special tokens
// around an encoded sequence when add_special_tokens is on.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace lmx::tok {

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // Adds the special tokens of a single sequence around `ids`. Thread-safe.
  virtual void process(std::vector<int32_t>& ids) const = 0;
};

// Builds the post-processor described by `j` (null gives nullptr).
std::unique_ptr<PostProcessor> make_post_processor(const nlohmann::json& j);

// Prepends `prefix` and appends `suffix` (used for tokenizer.model and GGUF vocabularies).
std::unique_ptr<PostProcessor> make_affix_processor(std::vector<int32_t> prefix,
                                                    std::vector<int32_t> suffix);

}  // namespace lmx::tok
