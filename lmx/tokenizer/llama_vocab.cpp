// SPDX-License-Identifier: MIT
// GGUF vocabularies (tokenizer.ggml.*) tokenized as llama.cpp does: SPM ("llama"),
// byte-level BPE ("gpt2", pre-tokenizer chosen by tokenizer.ggml.pre) and WPM ("bert").
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <queue>

#include "lmx/tokenizer/engine.h"
#include "lmx/tokenizer/error.h"
#include "lmx/tokenizer/gguf_vocab.h"
#include "lmx/tokenizer/llama_pre.h"
#include "lmx/tokenizer/regex.h"
#include "lmx/tokenizer/unicode.h"

namespace lmx::tok {

namespace {

// GGUF token types, and llama.cpp's attribute bits built from them.
enum TokenType {
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6
};
enum Attr : uint32_t {
  kAttrUnknown = 1 << 0,
  kAttrUnused = 1 << 1,
  kAttrNormal = 1 << 2,
  kAttrControl = 1 << 3,
  kAttrUserDefined = 1 << 4,
  kAttrByte = 1 << 5,
  kAttrLstrip = 1 << 7,
  kAttrRstrip = 1 << 8,
};
uint32_t attr_of_type(int type) {
  switch (type) {
    case kNormal:
      return kAttrNormal;
    case kUnknown:
      return kAttrUnknown;
    case kControl:
      return kAttrControl;
    case kUserDefined:
      return kAttrUserDefined;
    case kUnused:
      return kAttrUnused;
    case kByte:
      return kAttrByte;
    default:
      return 0;
  }
}
const char* kSpace = "\xE2\x96\x81";

class LlamaVocab : public Engine {
 public:
  LlamaVocab(const std::map<std::string, GgufValue>& kv, const std::string& path);
  std::vector<int32_t> encode(std::string_view text, bool add_special) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special) const override;
  std::optional<int32_t> token_to_id(std::string_view token) const override {
    return vocab_.find(token);
  }
  std::optional<std::string> id_to_token(int32_t id) const override {
    if (auto s = vocab_.token(id)) return std::string(*s);
    return std::nullopt;
  }
  size_t vocab_size() const override { return vocab_.size(); }
  bool is_special(int32_t id) const override {
    return id >= 0 && (size_t)id < attrs_.size() && (attrs_[id] & (kAttrControl | kAttrUnknown));
  }
  bool strips_leading_space() const override { return kind_ == Kind::kSpm; }
  std::optional<int32_t> special_id(std::string_view which) const override {
    if (which == "bos") return bos_;
    if (which == "eos") return eos_;
    if (which == "pad") return pad_;
    if (which == "unk") return unk_;
    if (which == "eot") return eot_;
    return std::nullopt;
  }

 private:
  enum class Kind { kSpm, kBpe, kWpm };
  struct Fragment {
    size_t begin, end;
    int32_t id;  // -1 for text
  };
  std::vector<Fragment> partition(std::string_view text) const;
  void spm(std::string_view text, std::vector<int32_t>& out) const;
  void bpe(std::string_view text, std::vector<int32_t>& out) const;
  void wpm(std::string_view text, std::vector<int32_t>& out) const;
  int32_t byte_token(unsigned char b) const;

  Kind kind_;
  Vocab vocab_;
  std::vector<float> scores_;
  std::vector<uint32_t> attrs_;
  std::vector<int32_t> special_order_;  // partitioned tokens, longest text first
  std::unique_ptr<Bpe> bpe_;
  std::vector<Regex> regexes_;
  std::optional<int32_t> bos_, eos_, unk_, sep_, pad_, eot_;
  bool add_bos_ = false, add_eos_ = false, add_sep_ = false, add_space_prefix_ = false;
  bool lowercase_ = true, strip_accents_ = true, clean_spaces_ = false;
  size_t max_token_len_ = 0;
};

LlamaVocab::LlamaVocab(const std::map<std::string, GgufValue>& kv, const std::string& path) {
  auto get = [&](const std::string& key) -> const GgufValue* {
    auto it = kv.find(key);
    return it == kv.end() ? nullptr : &it->second;
  };
  auto need = [&](const std::string& key) -> const GgufValue& {
    if (const GgufValue* v = get(key)) return *v;
    throw TokenizerError(path + ": GGUF key '" + key + "' is missing");
  };
  std::string model = need("tokenizer.ggml.model").s;
  const auto& tokens = need("tokenizer.ggml.tokens").strings;
  if (tokens.empty())
    throw TokenizerError(path + ": tokenizer.ggml.tokens is empty or not strings");
  vocab_.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    vocab_.add(tokens[i], (int32_t)i);
    max_token_len_ = std::max(max_token_len_, tokens[i].size());
  }
  scores_.assign(tokens.size(), 0.f);
  if (const GgufValue* s = get("tokenizer.ggml.scores"))
    for (size_t i = 0; i < tokens.size() && i < s->numbers.size(); ++i)
      scores_[i] = (float)s->numbers[i];
  attrs_.assign(tokens.size(), kAttrNormal);
  if (const GgufValue* t = get("tokenizer.ggml.token_type"))
    for (size_t i = 0; i < tokens.size() && i < t->numbers.size(); ++i)
      attrs_[i] = attr_of_type((int)t->numbers[i]);

  std::string pre = get("tokenizer.ggml.pre") ? get("tokenizer.ggml.pre")->s : "default";
  if (model == "llama") {
    kind_ = Kind::kSpm;
    add_space_prefix_ = add_bos_ = true;
  } else if (model == "gpt2") {
    kind_ = Kind::kBpe;
    Vocab v = vocab_;
    BpeOptions o;
    bool ignore_merges = false;
    std::vector<const char*> res = default_pre_regexes();
    if (pre != "default") {
      bool found = false;
      for (const auto& p : pre_types())
        if (std::find(p.names.begin(), p.names.end(), pre) != p.names.end())
          res = p.regexes, ignore_merges = p.ignore_merges, found = true;
      if (!found)
        throw TokenizerError(path + ": tokenizer.ggml.pre '" + pre + "' is not supported");
    }
    if (pre == "llama3" || pre == "llama-v3" || pre == "llama-bpe" || pre == "tekken")
      add_bos_ = true;
    o.ignore_merges = ignore_merges;
    clean_spaces_ = !keeps_spaces(pre);
    bpe_ = std::make_unique<Bpe>(std::move(v), o);
    const auto& merges = need("tokenizer.ggml.merges").strings;
    int32_t rank = 0;
    for (const auto& m : merges) {
      size_t sp = m.find(' ', 1);
      if (sp != std::string::npos)
        bpe_->add_merge(std::string_view(m).substr(0, sp), std::string_view(m).substr(sp + 1),
                        rank);
      ++rank;
    }
    for (const char* r : res)
      regexes_.emplace_back(Regex::from_oniguruma(r), path + ": pre-tokenizer '" + pre + "'");
  } else if (model == "bert") {
    kind_ = Kind::kWpm;
    add_bos_ = add_sep_ = clean_spaces_ = true;
  } else {
    throw TokenizerError(path + ": tokenizer.ggml.model '" + model + "' is not supported");
  }
  auto id_key = [&](const char* key, std::optional<int32_t>& slot) {
    if (const GgufValue* v = get(key))
      if (v->i >= 0 && (size_t)v->i < tokens.size()) slot = (int32_t)v->i;
  };
  id_key("tokenizer.ggml.bos_token_id", bos_);
  if (!bos_) id_key("tokenizer.ggml.cls_token_id", bos_);
  id_key("tokenizer.ggml.eos_token_id", eos_);
  id_key("tokenizer.ggml.unknown_token_id", unk_);
  id_key("tokenizer.ggml.seperator_token_id", sep_);
  id_key("tokenizer.ggml.padding_token_id", pad_);
  id_key("tokenizer.ggml.eot_token_id", eot_);
  auto flag = [&](const char* key, bool& slot) {
    if (const GgufValue* v = get(key)) slot = v->i != 0;
  };
  flag("tokenizer.ggml.add_bos_token", add_bos_);
  flag("tokenizer.ggml.add_eos_token", add_eos_);
  flag("tokenizer.ggml.add_sep_token", add_sep_);
  flag("tokenizer.ggml.add_space_prefix", add_space_prefix_);
  flag("tokenizer.ggml.normalizer.lowercase", lowercase_);
  strip_accents_ = lowercase_;
  flag("tokenizer.ggml.normalizer.strip_accents", strip_accents_);
  if (!unk_ && kind_ == Kind::kSpm) unk_ = vocab_.find("<unk>");
  if (!eot_)
    for (const char* t : {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                          "<|end_of_text|>", "<EOT>", "<｜end▁of▁sentence｜>"})
      if ((eot_ = vocab_.find(t))) break;

  // llama.cpp's fix-ups: end-of-generation texts are control tokens, gpt-oss's channel
  // markers are user-defined, and a few models strip spaces around special tokens.
  for (const char* t :
       {"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<end_of_turn>",
        "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>"})
    if (auto id = vocab_.find(t)) attrs_[*id] |= kAttrControl;
  for (const char* t : {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"})
    if (auto id = vocab_.find(t)) attrs_[*id] = kAttrUserDefined;
  for (size_t i = 0; i < tokens.size(); ++i)
    if (attrs_[i] & (kAttrControl | kAttrUserDefined | kAttrUnknown))
      special_order_.push_back((int32_t)i);
  std::stable_sort(special_order_.begin(), special_order_.end(),
                   [&](int32_t a, int32_t b) { return tokens[a].size() > tokens[b].size(); });
  std::string name = get("general.name") ? get("general.name")->s : "";
  for (char& c : name) c = (char)std::tolower((unsigned char)c);
  auto set = [&](const char* t, uint32_t bit, bool on) {
    if (auto id = vocab_.find(t)) attrs_[*id] = on ? attrs_[*id] | bit : attrs_[*id] & ~bit;
  };
  if (pre == "jina-v2-de" || pre == "jina-v2-es" || pre == "jina-v2-code") {
    set("<mask>", kAttrLstrip, true);
  } else if (name.find("phi-3") != std::string::npos || name.find("phi3") != std::string::npos) {
    for (int32_t id : special_order_) attrs_[id] |= kAttrRstrip;
    set("</s>", kAttrRstrip, true);
    for (const char* t : {"<unk>", "<s>", "<|endoftext|>"}) set(t, kAttrRstrip, false);
  } else if (name.find("modern-bert") != std::string::npos) {
    set("[MASK]", kAttrLstrip, true);
  }
}

// llama.cpp's tokenizer_st_partition: each special token in turn (longest first) splits
// every remaining text fragment at each of its occurrences, honouring lstrip/rstrip.
std::vector<LlamaVocab::Fragment> LlamaVocab::partition(std::string_view text) const {
  std::vector<Fragment> frags = {{0, text.size(), -1}};
  for (int32_t id : special_order_) {
    std::string_view t = *vocab_.token(id);
    if (t.empty()) continue;
    std::vector<Fragment> next;
    bool changed = false;
    for (const auto& f : frags) {
      if (f.id >= 0) {
        next.push_back(f);
        continue;
      }
      size_t pos = f.begin;
      std::string_view span = text.substr(0, f.end);
      for (size_t hit; (hit = span.find(t, pos)) != std::string_view::npos;) {
        size_t left_end = hit;
        if (attrs_[id] & kAttrLstrip)
          while (left_end > pos && std::isspace((unsigned char)text[left_end - 1])) --left_end;
        if (left_end > pos) next.push_back({pos, left_end, -1});
        next.push_back({hit, hit + t.size(), id});
        pos = hit + t.size();
        if (attrs_[id] & kAttrRstrip)
          while (pos < f.end && std::isspace((unsigned char)text[pos])) ++pos;
        changed = true;
      }
      if (pos < f.end) next.push_back({pos, f.end, -1});
    }
    if (changed) frags = std::move(next);
  }
  return frags;
}

int32_t LlamaVocab::byte_token(unsigned char b) const {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "<0x%02X>", b);
  if (auto id = vocab_.find(buf)) return *id;
  if (auto id = vocab_.find(std::string(1, (char)b))) return *id;
  return unk_.value_or(0);
}

// SentencePiece BPE: repeatedly merge the adjacent pair whose concatenation is the
// highest-scoring token (ties: leftmost); unknown characters become byte tokens.
void LlamaVocab::spm(std::string_view text, std::vector<int32_t>& out) const {
  struct Sym {
    size_t begin, len;
    int prev, next;
  };
  std::vector<Sym> syms;
  for (size_t pos = 0; pos < text.size();) {
    size_t len = std::min<size_t>(utf8_len((unsigned char)text[pos]), text.size() - pos);
    int n = (int)syms.size();
    syms.push_back({pos, len, n - 1, pos + len == text.size() ? -1 : n + 1});
    pos += len;
  }
  struct Bigram {
    float score;
    int left, right;
    size_t size;
  };
  auto cmp = [](const Bigram& a, const Bigram& b) {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  };
  std::priority_queue<Bigram, std::vector<Bigram>, decltype(cmp)> queue(cmp);
  auto try_add = [&](int l, int r) {
    if (l < 0 || r < 0) return;
    auto id = vocab_.find(text.substr(syms[l].begin, syms[l].len + syms[r].len));
    if (!id) return;
    queue.push({scores_[*id], l, r, syms[l].len + syms[r].len});
  };
  for (int i = 1; i < (int)syms.size(); ++i) try_add(i - 1, i);
  while (!queue.empty()) {
    Bigram b = queue.top();
    queue.pop();
    Sym& l = syms[b.left];
    Sym& r = syms[b.right];
    if (l.len == 0 || r.len == 0 || l.len + r.len != b.size) continue;
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) syms[r.next].prev = b.left;
    try_add(l.prev, b.left);
    try_add(b.left, l.next);
  }
  for (int i = syms.empty() ? -1 : 0; i >= 0; i = syms[i].next) {
    std::string_view s = text.substr(syms[i].begin, syms[i].len);
    if (auto id = vocab_.find(s))
      out.push_back(*id);
    else
      for (unsigned char c : s) out.push_back(byte_token(c));
  }
}

void LlamaVocab::bpe(std::string_view text, std::vector<int32_t>& out) const {
  std::vector<std::pair<size_t, size_t>> parts = {{0, text.size()}};
  for (const Regex& re : regexes_) {
    std::vector<std::pair<size_t, size_t>> next;
    for (auto [b, e] : parts) {
      std::string_view s = text.substr(b, e - b);
      size_t prev = 0;
      for (auto [mb, me] : re.find_all(s)) {
        if (mb == me) continue;
        if (mb > prev) next.emplace_back(b + prev, b + mb);
        next.emplace_back(b + mb, b + me);
        prev = me;
      }
      if (prev < s.size()) next.emplace_back(b + prev, e);
    }
    parts = std::move(next);
  }
  const auto& table = byte_to_unicode();
  std::string word;
  for (auto [b, e] : parts) {
    word.clear();
    for (size_t i = b; i < e; ++i) word += table[(unsigned char)text[i]];
    bpe_->tokenize(word, out);
  }
}

void LlamaVocab::wpm(std::string_view text, std::vector<int32_t>& out) const {
  std::vector<std::string> words(1);
  for (size_t pos = 0; pos < text.size();) {
    uint32_t cp = next_codepoint(text, pos);
    if (strip_accents_) cp = nfd_first(cp);
    if (is_whitespace(cp)) {
      if (!words.back().empty()) words.emplace_back();
      continue;
    }
    if (cp == 0 || cp == 0xFFFD || is_other(cp)) continue;
    if (strip_accents_ && is_mark(cp)) continue;
    std::string s = lowercase_ ? to_lower(to_utf8(cp)) : to_utf8(cp);
    bool symbol = cp < 0x7F && !(cp >= '0' && cp <= '9') && !(cp >= 'a' && cp <= 'z') &&
                  !(cp >= 'A' && cp <= 'Z');
    if (is_punctuation(cp) || symbol || is_chinese_char(cp)) {
      if (!words.back().empty()) words.emplace_back();
      words.back() = s;
      words.emplace_back();
    } else {
      words.back() += s;
    }
  }
  for (const auto& w : words) {
    if (w.empty()) continue;
    std::string word = kSpace + w;
    size_t n = word.size(), mark = out.size();
    for (size_t i = 0; i < n; ++i) {
      bool match = false;
      for (size_t j = std::min(n, i + max_token_len_ + 1); j > i; --j) {
        if (auto id = vocab_.find(std::string_view(word).substr(i, j - i))) {
          out.push_back(*id);
          match = true;
          i = j - 1;
          break;
        }
      }
      if (!match) {
        out.resize(mark);
        break;
      }
    }
    if (out.size() == mark && unk_) out.push_back(*unk_);
  }
}

std::vector<int32_t> LlamaVocab::encode(std::string_view text, bool add_special) const {
  std::vector<int32_t> out;
  if (add_special && add_bos_ && bos_) out.push_back(*bos_);
  bool prev_special = true;
  for (const auto& f : text.empty() ? std::vector<Fragment>{} : partition(text)) {
    if (f.id >= 0) {
      out.push_back(f.id);
      prev_special = true;
      continue;
    }
    std::string_view raw = text.substr(f.begin, f.end - f.begin);
    if (kind_ == Kind::kSpm) {
      std::string s = add_space_prefix_ && prev_special ? " " : "";
      s += raw;
      std::string esc;
      for (char c : s) {
        if (c == ' ')
          esc += kSpace;
        else
          esc.push_back(c);
      }
      spm(esc, out);
    } else if (kind_ == Kind::kBpe) {
      bpe(raw, out);
    } else {
      wpm(raw, out);
    }
    prev_special = false;
  }
  if (add_special && add_eos_ && eos_) out.push_back(*eos_);
  if (add_special && add_sep_ && sep_) out.push_back(*sep_);
  return out;
}

// llama.cpp's detokenize: skip_special drops a leading BOS / trailing EOS and renders
// no control tokens; the first piece loses one leading space when add_space_prefix.
std::string LlamaVocab::decode(const std::vector<int32_t>& ids, bool skip_special) const {
  size_t b = 0, e = ids.size();
  bool remove_space = add_space_prefix_;
  if (skip_special && add_bos_ && e > b && bos_ && ids[b] == *bos_) ++b, remove_space = false;
  if (skip_special && add_eos_ && e > b && eos_ && ids[e - 1] == *eos_) --e;
  std::string bytes;
  for (size_t k = b; k < e; ++k) {
    int32_t id = ids[k];
    auto tv = vocab_.token(id);
    if (!tv) continue;
    std::string piece;
    uint32_t attr = attrs_[id];
    if (attr & (kAttrControl | kAttrUnknown)) {
      if (!skip_special) piece = *tv;
    } else if (attr & kAttrUserDefined) {
      piece = *tv;
    } else if (attr & kAttrNormal) {
      if (kind_ == Kind::kBpe) {
        for (size_t pos = 0; pos < tv->size();) {
          int byte = unicode_to_byte(next_codepoint(*tv, pos));
          if (byte >= 0) piece.push_back((char)byte);
        }
      } else {
        piece = *tv;
        for (size_t p; (p = piece.find(kSpace)) != std::string::npos;) piece.replace(p, 3, " ");
      }
    } else if ((attr & kAttrByte) && tv->size() == 6) {
      piece.push_back((char)std::stoi(std::string(tv->substr(3, 2)), nullptr, 16));
    }
    if (remove_space && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
    remove_space = false;
    bytes += piece;
  }
  if (clean_spaces_) bytes = clean_up_spaces(std::move(bytes));
  return utf8_lossy(bytes);
}

}  // namespace

std::unique_ptr<Engine> load_gguf_vocab(const std::string& path) {
  return std::make_unique<LlamaVocab>(read_gguf_metadata(path), path);
}

}  // namespace lmx::tok
