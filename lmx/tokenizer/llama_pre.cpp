// SPDX-License-Identifier: MIT
// llama.cpp's pre-tokenizer regexes (by tokenizer.ggml.pre) and detokenizer rules.
#include "lmx/tokenizer/llama_pre.h"

#include "lmx/tokenizer/unicode.h"

namespace lmx::tok {

// Pre-tokenizer names for which llama.cpp turns off its detokenizer's space clean-up.
bool keeps_spaces(const std::string& pre) {
  static const char* names[] = {"deepseek-llm", "deepseek-coder",   "deepseek-v3", "command-r",
                                "qwen2",        "deepseek-r1-qwen", "qwen35",      "poro-chat",
                                "viking",       "tekken",           "smollm",      "chameleon",
                                "gpt-4o",       "llama4",           "hunyuan",     "grok-2",
                                "seed-coder",   "bailingmoe",       "kimi-k2",     "trillion"};
  for (const char* n : names)
    if (pre == n) return true;
  return false;
}

// llama.cpp's detokenizer clean-up, three in-place passes over the bytes (each reads the
// partly rewritten buffer, as llama.cpp does): no space before ?!., ; " ' " becomes "'";
// no space before 's 'm 're 've.
std::string clean_up_spaces(std::string t) {
  size_t n = t.size();
  if (n == 0) return t;
  size_t total = 1;
  for (size_t i = 1; i < n; ++i) {
    char x = t[i];
    if (t[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) --total;
    t[total++] = x;
  }
  n = total;
  total = 1;
  for (size_t i = 1; i < n; ++i) {
    char x = t[i];
    if (x == '\'' && i + 1 < n && t[i - 1] == ' ' && t[i + 1] == ' ') {
      --total;
      t[++i] = '\0';
    }
    t[total++] = x;
  }
  n = total;
  total = 1;
  for (size_t i = 1; i < n; ++i) {
    char x = t[i];
    if (t[i - 1] == ' ' && x == '\'' && i + 1 < n) {
      char x1 = t[i + 1];
      char x2 = i + 2 < n ? t[i + 2] : 0;
      if (x1 == 's' || x1 == 'm')
        --total;
      else if (i + 2 < n && ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')))
        --total;
    }
    t[total++] = x;
  }
  t.resize(total);
  return t;
}

// NFD as llama.cpp's WPM does it: each code point becomes the first code point of its
// canonical decomposition (so accents and Hangul vowels/finals are dropped).
uint32_t nfd_first(uint32_t cp) {
  if (cp < 0xC0) return cp;
  std::string d = normalize(to_utf8(cp), NormalForm::kNFD);
  size_t pos = 0;
  return d.empty() ? cp : next_codepoint(d, pos);
}

namespace {

const char* kGpt2Re =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
const char* kLlama3Re =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char* kQwen2Re =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char* kGpt4oRe =
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'"
    "s|'t|"
    "'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}"
    "\\p{"
    "Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/"
    "]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char* kDeepseek3Re =
    "[!\"#$%&'()*+,\\-./"
    ":;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| "
    "?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

}  // namespace

const std::vector<const char*>& default_pre_regexes() {
  static const std::vector<const char*> r = {"[\\p{P}\\$\\+<=>\\^~\\|]+", kGpt2Re, "\\p{N}+",
                                             "[0-9][0-9][0-9]"};
  return r;
}

const std::vector<PreType>& pre_types() {
  static const std::vector<PreType> t = {
      {{"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2",
        "dbrx", "smaug-bpe", "glm4", "chatglm-bpe"},
       {kLlama3Re},
       true},
      {{"deepseek-llm"},
       {"[\\r\\n]",
        "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-"
        "ԯԱ-"
        "ՖႠ-"
        "ჅᎠ-"
        "Ᏽᏸ-"
        "ᏽᲐ-"
        "ᲺᲽ-"
        "Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\\x{1F7D}ᾀ-ᾴᾶ-ᾼ\\x{1FBE}ῂ-ῄῆ-ῌῐ-"
        "\\x{"
        "1FD3}"
        "ῖ-"
        "\\x{"
        "1FDB}"
        "ῠ-"
        "Ῥῲ-"
        "ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\\x{2126}ℨ\\x{212A}-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-"
        "ꚛꜢ-"
        "ꝯꝱ-"
        "ꞇꞋ-"
        "ꞎꭰ-"
        "ꮿﬀ-"
        "ﬆﬓ-"
        "ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+",
        "\\s?[!-/:-~！-／：-～‘-‟　-。]+", "\\s+\\z", "[一-龥ࠀ-一가-퟿]+", "\\p{N}+"}},
      {{"deepseek-coder"},
       {"[\\r\\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[一-龥ࠀ-一가-퟿]+", "\\p{N}"}},
      {{"deepseek-v3"}, {"\\p{N}{1,3}", "[一-龥぀-ゟ゠-ヿ]+", kDeepseek3Re}},
      {{"falcon"}, {"[\\p{P}\\$\\+<=>\\^~\\|`]+", kGpt2Re, "[0-9][0-9][0-9]"}},
      {{"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b"},
       {"\\p{N}", kGpt2Re}},
      {{"gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "mpt",
        "olmo", "jais", "trillion", "jina-v1-en", "jina-v2-code", "roberta-bpe", "exaone4"},
       {kGpt2Re}},
      {{"qwen2", "deepseek-r1-qwen", "stablelm2", "megrez", "hunyuan", "grok-2"}, {kQwen2Re}},
      {{"gpt-4o", "llama4"}, {kGpt4oRe}},
      {{"tekken"},
       {"[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+|"
        "[^"
        "\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*|"
        "\\p{N}|"
        " ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
       true},
      {{"poro-chat", "bloom", "gpt3-finnish"}, {" ?[^(\\s|.,!?…。，、।۔،)]+"}},
      {{"viking"}, {" ?[^(\\s|.,!?…。，、।۔،)]+", "\\p{N}"}},
      {{"chameleon"}, {"([\\t\\n]|    |  )", "\\p{N}", "[\\p{P}!-/:-@\\[-`{-~]", kGpt2Re}},
  };
  return t;
}

}  // namespace lmx::tok
