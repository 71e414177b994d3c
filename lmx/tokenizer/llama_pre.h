// SPDX-License-Identifier: MIT
// llama.cpp's per-vocabulary tables and text rules used by the GGUF tokenizer
// (llama_vocab.cpp): pre-tokenizer regexes by tokenizer.ggml.pre, the detokenizer's
// space clean-up, and the WPM normalization of one code point.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lmx::tok {

struct PreType {
  std::vector<const char*> names;
  std::vector<const char*> regexes;
  bool ignore_merges = false;
};

// Pre-tokenizer regexes by tokenizer.ggml.pre (applied in turn, keeping every part).
const std::vector<PreType>& pre_types();
// The regexes of the "default" pre-tokenizer.
const std::vector<const char*>& default_pre_regexes();
// Whether llama.cpp turns off its detokenizer's space clean-up for this pre-tokenizer.
bool keeps_spaces(const std::string& pre);
// llama.cpp's detokenizer clean-up of spaces before punctuation and contractions.
std::string clean_up_spaces(std::string t);
// The first code point of cp's canonical decomposition (llama.cpp's WPM NFD).
uint32_t nfd_first(uint32_t cp);

}  // namespace lmx::tok
