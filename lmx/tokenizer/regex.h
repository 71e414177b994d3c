// SPDX-License-Identifier: MIT
// A compiled PCRE2 regular expression in UTF mode with Unicode properties (UCP), JIT
// compiled; the engine behind Split, Replace and the GGUF pre-tokenizers.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lmx::tok {

class Regex {
 public:
  // Compiles `pattern`; throws TokenizerError naming `what` when it does not compile.
  explicit Regex(const std::string& pattern, const std::string& what = "regex");
  ~Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;

  // Byte ranges [begin, end) of successive non-overlapping matches, left to right.
  // Thread-safe.
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view text) const;
  // Escapes `literal` so that it matches itself.
  static std::string escape(std::string_view literal);
  // Rewrites the class escapes of an Oniguruma pattern (what Hugging Face tokenizers
  // compiles) into PCRE2 with the same Unicode meaning: \s is White_Space, \w is
  // Letter|Mark|Number|Connector_Punctuation, \h is a hex digit.
  static std::string from_oniguruma(std::string_view pattern);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lmx::tok
