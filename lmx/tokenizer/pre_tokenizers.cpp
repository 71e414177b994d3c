// SPDX-License-Identifier: MIT
#include "lmx/tokenizer/pre_tokenizers.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>

#include "lmx/tokenizer/error.h"
#include "lmx/tokenizer/regex.h"
#include "lmx/tokenizer/unicode.h"

namespace lmx::tok {

using json = nlohmann::json;

SplitBehavior parse_split_behavior(const std::string& name) {
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "Isolated") return SplitBehavior::kIsolated;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (name == "Contiguous") return SplitBehavior::kContiguous;
  throw TokenizerError("pre_tokenizer: unknown split behavior '" + name + "'");
}

std::vector<std::pair<size_t, size_t>> apply_split_behavior(const std::vector<Segment>& segs,
                                                            SplitBehavior behavior) {
  std::vector<std::pair<size_t, size_t>> out;
  bool prev_match = false;
  switch (behavior) {
    case SplitBehavior::kIsolated:
      for (const auto& s : segs) out.emplace_back(s.begin, s.end);
      break;
    case SplitBehavior::kRemoved:
      for (const auto& s : segs)
        if (!s.is_match) out.emplace_back(s.begin, s.end);
      break;
    case SplitBehavior::kMergedWithPrevious:
      for (const auto& s : segs) {
        if (s.is_match && !prev_match && !out.empty())
          out.back().second = s.end;
        else
          out.emplace_back(s.begin, s.end);
        prev_match = s.is_match;
      }
      break;
    case SplitBehavior::kMergedWithNext:
      for (auto it = segs.rbegin(); it != segs.rend(); ++it) {
        if (it->is_match && !prev_match && !out.empty())
          out.back().first = it->begin;
        else
          out.emplace_back(it->begin, it->end);
        prev_match = it->is_match;
      }
      std::reverse(out.begin(), out.end());
      break;
    case SplitBehavior::kContiguous:
      for (const auto& s : segs) {
        if (s.is_match == prev_match && !out.empty())
          out.back().second = s.end;
        else
          out.emplace_back(s.begin, s.end);
        prev_match = s.is_match;
      }
      break;
  }
  return out;
}

namespace {

// Segments from regex matches, as Hugging Face's Pattern::find_matches for regexes.
std::vector<Segment> regex_segments(const Regex& re, std::string_view s) {
  std::vector<Segment> segs;
  if (s.empty()) return {{0, 0, false}};
  size_t prev = 0;
  for (auto [b, e] : re.find_all(s)) {
    if (prev != b) segs.push_back({prev, b, false});
    segs.push_back({b, e, true});
    prev = e;
  }
  if (prev != s.size()) segs.push_back({prev, s.size(), false});
  return segs;
}

// Segments where every character satisfying `pred` is its own match.
std::vector<Segment> char_segments(std::string_view s, const std::function<bool(uint32_t)>& pred) {
  std::vector<Segment> segs;
  if (s.empty()) return {{0, 0, false}};
  size_t last = 0;
  for (size_t pos = 0; pos < s.size();) {
    size_t b = pos;
    uint32_t cp = next_codepoint(s, pos);
    if (pred(cp)) {
      if (last < b) segs.push_back({last, b, false});
      segs.push_back({b, pos, true});
      last = pos;
    }
  }
  if (last < s.size()) segs.push_back({last, s.size(), false});
  return segs;
}

// Splits each piece with `split` (text -> kept ranges), dropping empty results.
template <typename F>
void split_pieces(std::vector<Piece>& pieces, F split) {
  std::vector<Piece> out;
  out.reserve(pieces.size());
  for (auto& p : pieces) {
    for (auto [b, e] : split(std::string_view(p.text))) {
      if (b == e) continue;
      out.push_back({p.text.substr(b, e - b), p.at_start && b == 0});
    }
  }
  pieces = std::move(out);
}

std::vector<std::pair<size_t, size_t>> invert_and_apply(std::vector<Segment> segs, bool invert,
                                                        SplitBehavior behavior) {
  if (invert)
    for (auto& s : segs) s.is_match = !s.is_match;
  return apply_split_behavior(segs, behavior);
}

const char* kGpt2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

class ByteLevel : public PreTokenizer {
 public:
  explicit ByteLevel(const json& j)
      : add_prefix_space_(j.value("add_prefix_space", true)),
        use_regex_(j.value("use_regex", true)) {
    if (use_regex_) re_.emplace(Regex::from_oniguruma(kGpt2Pattern), "ByteLevel pre-tokenizer");
  }
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    if (add_prefix_space_)
      for (auto& p : pieces)
        if (p.text.empty() || p.text[0] != ' ') p.text.insert(0, " ");
    if (use_regex_)
      split_pieces(pieces, [&](std::string_view s) {
        return apply_split_behavior(regex_segments(*re_, s), SplitBehavior::kIsolated);
      });
    const auto& table = byte_to_unicode();
    for (auto& p : pieces) {
      std::string out;
      out.reserve(p.text.size() * 2);
      for (unsigned char c : p.text) out += table[c];
      p.text = std::move(out);
    }
  }

 private:
  bool add_prefix_space_, use_regex_;
  std::optional<Regex> re_;
};

class Split : public PreTokenizer {
 public:
  explicit Split(const json& j) {
    const json& p = j.at("pattern");
    std::string pattern;
    if (p.contains("String"))
      pattern = Regex::escape(p["String"].get<std::string>());
    else if (p.contains("Regex"))
      pattern = Regex::from_oniguruma(p["Regex"].get<std::string>());
    else
      throw TokenizerError("Split pre-tokenizer: pattern needs \"String\" or \"Regex\"");
    re_.emplace(pattern, "Split pre-tokenizer");
    behavior_ = parse_split_behavior(j.at("behavior").get<std::string>());
    invert_ = j.value("invert", false);
  }
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_pieces(pieces, [&](std::string_view s) {
      return invert_and_apply(regex_segments(*re_, s), invert_, behavior_);
    });
  }

 private:
  std::optional<Regex> re_;
  SplitBehavior behavior_;
  bool invert_;
};

class Metaspace : public PreTokenizer {
 public:
  explicit Metaspace(const json& j) {
    replacement_ = j.value("replacement", std::string("\xE2\x96\x81"));
    split_ = j.value("split", true);
    if (j.contains("prepend_scheme") && j["prepend_scheme"].is_string()) {
      scheme_ = j["prepend_scheme"].get<std::string>();
    } else {
      scheme_ = j.value("add_prefix_space", true) ? "always" : "never";
    }
  }
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    for (auto& p : pieces) {
      std::string out;
      for (char c : p.text) {
        if (c == ' ')
          out += replacement_;
        else
          out.push_back(c);
      }
      bool starts = out.compare(0, replacement_.size(), replacement_) == 0;
      if (!starts && (scheme_ == "always" || (scheme_ == "first" && p.at_start)))
        out.insert(0, replacement_);
      p.text = std::move(out);
    }
    if (!split_) return;
    split_pieces(pieces, [&](std::string_view s) {
      std::vector<Segment> segs;
      size_t last = 0;
      for (size_t hit; (hit = s.find(replacement_, last)) != std::string_view::npos;) {
        if (hit > last) segs.push_back({last, hit, false});
        segs.push_back({hit, hit + replacement_.size(), true});
        last = hit + replacement_.size();
      }
      if (last < s.size() || segs.empty()) segs.push_back({last, s.size(), false});
      return apply_split_behavior(segs, SplitBehavior::kMergedWithNext);
    });
  }

 private:
  std::string replacement_, scheme_;
  bool split_;
};

class Whitespace : public PreTokenizer {
 public:
  // Rust regex's \w (Alphabetic, marks, decimal digits, connectors, joiners) and \s.
  Whitespace()
      : re_("[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{200C}\\x{200D}]+|"
            "[^\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{200C}\\x{200D}\\p{White_Space}]+",
            "Whitespace pre-tokenizer") {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_pieces(pieces, [&](std::string_view s) {
      return invert_and_apply(regex_segments(re_, s), true, SplitBehavior::kRemoved);
    });
  }

 private:
  Regex re_;
};

// Splits every piece on characters satisfying a predicate.
class CharSplit : public PreTokenizer {
 public:
  CharSplit(std::function<bool(uint32_t)> pred, SplitBehavior b)
      : pred_(std::move(pred)), behavior_(b) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_pieces(pieces, [&](std::string_view s) {
      return apply_split_behavior(char_segments(s, pred_), behavior_);
    });
  }

 private:
  std::function<bool(uint32_t)> pred_;
  SplitBehavior behavior_;
};

class Sequence : public PreTokenizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<PreTokenizer>> items) : items_(std::move(items)) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    for (const auto& p : items_) p->pre_tokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> items_;
};

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const json& j) {
  if (j.is_null()) return nullptr;
  const std::string type = j.value("type", "");
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PreTokenizer>> items;
    for (const auto& p : j.at("pretokenizers"))
      if (auto q = make_pre_tokenizer(p)) items.push_back(std::move(q));
    return std::make_unique<Sequence>(std::move(items));
  }
  if (type == "ByteLevel") return std::make_unique<ByteLevel>(j);
  if (type == "Split") return std::make_unique<Split>(j);
  if (type == "Metaspace") return std::make_unique<Metaspace>(j);
  if (type == "Whitespace") return std::make_unique<Whitespace>();
  if (type == "WhitespaceSplit")
    return std::make_unique<CharSplit>(is_whitespace, SplitBehavior::kRemoved);
  if (type == "Punctuation")
    return std::make_unique<CharSplit>(is_bert_punctuation,
                                       parse_split_behavior(j.value("behavior", "Isolated")));
  if (type == "Digits")
    return std::make_unique<CharSplit>(is_numeric, j.value("individual_digits", false)
                                                       ? SplitBehavior::kIsolated
                                                       : SplitBehavior::kContiguous);
  if (type == "CharDelimiterSplit") {
    std::string d = j.at("delimiter").get<std::string>();
    size_t pos = 0;
    uint32_t cp = next_codepoint(d, pos);
    return std::make_unique<CharSplit>([cp](uint32_t c) { return c == cp; },
                                       SplitBehavior::kRemoved);
  }
  if (type == "BertPreTokenizer") {
    std::vector<std::unique_ptr<PreTokenizer>> items;
    items.push_back(std::make_unique<CharSplit>(is_whitespace, SplitBehavior::kRemoved));
    items.push_back(std::make_unique<CharSplit>(is_bert_punctuation, SplitBehavior::kIsolated));
    return std::make_unique<Sequence>(std::move(items));
  }
  throw TokenizerError("pre_tokenizer: unknown type '" + type + "'");
}

}  // namespace lmx::tok
