// SPDX-License-Identifier: MIT
#include "lmx/tokenizer/normalizers.h"

#include <nlohmann/json.hpp>

#include <optional>

#include "lmx/tokenizer/error.h"
#include "lmx/tokenizer/regex.h"
#include "lmx/tokenizer/unicode.h"

namespace lmx::tok {

namespace {

using json = nlohmann::json;

// Applies f(cp, out) to each code point of s.
template <typename F>
void map_codepoints(std::string& s, F f) {
  std::string out;
  out.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) f(next_codepoint(s, pos), out);
  s = std::move(out);
}

class UnicodeForm : public Normalizer {
 public:
  explicit UnicodeForm(NormalForm f) : form_(f) {}
  void normalize(std::string& s) const override { s = tok::normalize(s, form_); }

 private:
  NormalForm form_;
};

class Lowercase : public Normalizer {
 public:
  void normalize(std::string& s) const override { s = to_lower(s); }
};

class Strip : public Normalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& s) const override {
    auto cps = to_codepoints(s);
    size_t b = 0, e = cps.size();
    if (left_)
      while (b < e && is_whitespace(cps[b])) ++b;
    if (right_)
      while (e > b && is_whitespace(cps[e - 1])) --e;
    std::string out;
    for (size_t i = b; i < e; ++i) append_utf8(out, cps[i]);
    s = std::move(out);
  }

 private:
  bool left_, right_;
};

class StripAccents : public Normalizer {
 public:
  void normalize(std::string& s) const override {
    map_codepoints(s, [](uint32_t cp, std::string& out) {
      if (!is_mark(cp)) append_utf8(out, cp);
    });
  }
};

class Replace : public Normalizer {
 public:
  explicit Replace(const json& j) {
    const json& p = j.at("pattern");
    if (p.contains("String")) {
      literal_ = p["String"].get<std::string>();
    } else if (p.contains("Regex")) {
      regex_.emplace(Regex::from_oniguruma(p["Regex"].get<std::string>()), "Replace normalizer");
    } else {
      throw TokenizerError("Replace: pattern needs \"String\" or \"Regex\"");
    }
    content_ = j.at("content").get<std::string>();
  }
  void normalize(std::string& s) const override {
    if (!regex_) {
      if (literal_.empty()) return;
      std::string out;
      size_t pos = 0;
      for (size_t hit; (hit = s.find(literal_, pos)) != std::string::npos;) {
        out.append(s, pos, hit - pos);
        out += content_;
        pos = hit + literal_.size();
      }
      if (pos == 0) return;
      out.append(s, pos);
      s = std::move(out);
      return;
    }
    std::string out;
    size_t pos = 0;
    for (auto [b, e] : regex_->find_all(s)) {
      if (b == e) continue;
      out.append(s, pos, b - pos);
      out += content_;
      pos = e;
    }
    out.append(s, pos);
    s = std::move(out);
  }

 private:
  std::string literal_;
  std::optional<Regex> regex_;
  std::string content_;
};

class Prepend : public Normalizer {
 public:
  explicit Prepend(std::string p) : prepend_(std::move(p)) {}
  void normalize(std::string& s) const override {
    if (!s.empty()) s.insert(0, prepend_);
  }

 private:
  std::string prepend_;
};

class Precompiled : public Normalizer {
 public:
  explicit Precompiled(const json& j)
      : map_(j.contains("precompiled_charsmap") && j["precompiled_charsmap"].is_string()
                 ? base64_decode(j["precompiled_charsmap"].get<std::string>())
                 : std::string()) {}
  void normalize(std::string& s) const override {
    if (!map_.empty()) s = map_.normalize(s);
  }

 private:
  PrecompiledCharsmap map_;
};

class BertNormalizer : public Normalizer {
 public:
  explicit BertNormalizer(const json& j) {
    clean_text_ = j.value("clean_text", true);
    chinese_ = j.value("handle_chinese_chars", true);
    lowercase_ = j.value("lowercase", true);
    strip_accents_ = j.contains("strip_accents") && !j["strip_accents"].is_null()
                         ? j["strip_accents"].get<bool>()
                         : lowercase_;
  }
  void normalize(std::string& s) const override {
    if (clean_text_) {
      map_codepoints(s, [](uint32_t cp, std::string& out) {
        if (cp == 0 || cp == 0xFFFD || is_bert_control(cp)) return;
        append_utf8(out, is_whitespace(cp) ? ' ' : cp);
      });
    }
    if (chinese_) {
      map_codepoints(s, [](uint32_t cp, std::string& out) {
        if (is_chinese_char(cp)) {
          out.push_back(' ');
          append_utf8(out, cp);
          out.push_back(' ');
        } else {
          append_utf8(out, cp);
        }
      });
    }
    if (strip_accents_) {
      // Unlike the StripAccents normalizer (every mark), BERT drops only Mn.
      s = tok::normalize(s, NormalForm::kNFD);
      map_codepoints(s, [](uint32_t cp, std::string& out) {
        if (!is_nonspacing_mark(cp)) append_utf8(out, cp);
      });
    }
    if (lowercase_) s = to_lower(s);
  }

 private:
  bool clean_text_, chinese_, lowercase_, strip_accents_;
};

class Nmt : public Normalizer {
 public:
  void normalize(std::string& s) const override {
    map_codepoints(s, [](uint32_t c, std::string& out) {
      if ((c >= 0x01 && c <= 0x08) || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F ||
          c == 0x8F || c == 0x9F)
        return;
      bool space = c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D || c == 0x1680 ||
                   (c >= 0x200B && c <= 0x200F) || c == 0x2028 || c == 0x2029 || c == 0x2581 ||
                   c == 0xFEFF || c == 0xFFFD;
      append_utf8(out, space ? ' ' : c);
    });
  }
};

class ByteLevelNormalizer : public Normalizer {
 public:
  void normalize(std::string& s) const override {
    const auto& table = byte_to_unicode();
    std::string out;
    for (unsigned char c : s) out += table[c];
    s = std::move(out);
  }
};

class Sequence : public Normalizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<Normalizer>> items) : items_(std::move(items)) {}
  void normalize(std::string& s) const override {
    for (const auto& n : items_) n->normalize(s);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> items_;
};

}  // namespace

std::unique_ptr<Normalizer> make_normalizer(const json& j) {
  if (j.is_null()) return nullptr;
  const std::string type = j.value("type", "");
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Normalizer>> items;
    for (const auto& n : j.at("normalizers"))
      if (auto p = make_normalizer(n)) items.push_back(std::move(p));
    return std::make_unique<Sequence>(std::move(items));
  }
  if (type == "NFC") return std::make_unique<UnicodeForm>(NormalForm::kNFC);
  if (type == "NFD") return std::make_unique<UnicodeForm>(NormalForm::kNFD);
  if (type == "NFKC") return std::make_unique<UnicodeForm>(NormalForm::kNFKC);
  if (type == "NFKD") return std::make_unique<UnicodeForm>(NormalForm::kNFKD);
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "Strip")
    return std::make_unique<Strip>(j.value("strip_left", true), j.value("strip_right", true));
  if (type == "StripAccents") return std::make_unique<StripAccents>();
  if (type == "Replace") return std::make_unique<Replace>(j);
  if (type == "Prepend") return std::make_unique<Prepend>(j.at("prepend").get<std::string>());
  if (type == "Precompiled") return std::make_unique<Precompiled>(j);
  if (type == "BertNormalizer") return std::make_unique<BertNormalizer>(j);
  if (type == "Nmt") return std::make_unique<Nmt>();
  if (type == "ByteLevel") return std::make_unique<ByteLevelNormalizer>();
  throw TokenizerError("normalizer: unknown type '" + type + "'");
}

}  // namespace lmx::tok
