// SPDX-License-Identifier: MIT
// SentencePiece tokenizer.model (a ModelProto protobuf, parsed by hand) converted to the
// pipeline transformers' converters build from it: BPE models as LlamaConverter does
// (merges from the vocabulary, byte fallback, Prepend/Replace normalizer, BOS template),
// Unigram models as SpmConverter does (Metaspace).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

#include "lmx/tokenizer/engine.h"
#include "lmx/tokenizer/error.h"

namespace lmx::tok {

namespace {

using json = nlohmann::json;

// Minimal protobuf wire-format reader.
class ProtoReader {
 public:
  ProtoReader(std::string_view data, const std::string& origin) : d_(data), origin_(origin) {}
  bool done() const { return pos_ >= d_.size(); }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= d_.size()) fail("truncated varint");
      uint8_t b = d_[pos_++];
      v |= (uint64_t)(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    fail("varint too long");
  }
  // Reads a field key; returns the field number and sets the wire type.
  uint32_t key(int& wire) {
    uint64_t k = varint();
    wire = (int)(k & 7);
    return (uint32_t)(k >> 3);
  }
  std::string_view bytes() {
    uint64_t n = varint();
    if (n > d_.size() - pos_) fail("length-delimited field runs past the end");
    auto s = d_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  float fixed32_float() {
    if (pos_ + 4 > d_.size()) fail("truncated fixed32");
    float f;
    std::memcpy(&f, d_.data() + pos_, 4);
    pos_ += 4;
    return f;
  }
  void skip(int wire) {
    switch (wire) {
      case 0:
        varint();
        break;
      case 1:
        advance(8);
        break;
      case 2:
        bytes();
        break;
      case 5:
        advance(4);
        break;
      default:
        fail("unsupported wire type " + std::to_string(wire));
    }
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw TokenizerError(origin_ + ": malformed SentencePiece model: " + what);
  }

 private:
  void advance(size_t n) {
    if (pos_ + n > d_.size()) fail("truncated field");
    pos_ += n;
  }
  std::string_view d_;
  size_t pos_ = 0;
  const std::string& origin_;
};

struct SpPiece {
  std::string piece;
  float score = 0;
  int type = 1;  // NORMAL=1 UNKNOWN=2 CONTROL=3 USER_DEFINED=4 UNUSED=5 BYTE=6
};

struct SpModel {
  std::vector<SpPiece> pieces;
  int model_type = 1;  // UNIGRAM=1 BPE=2 WORD=3 CHAR=4
  bool byte_fallback = false;
  int unk_id = 0, bos_id = 1, eos_id = 2, pad_id = -1;
  std::string charsmap;
  bool add_dummy_prefix = true, remove_extra_whitespaces = true;
};

SpModel parse(std::string_view data, const std::string& origin) {
  SpModel m;
  ProtoReader r(data, origin);
  while (!r.done()) {
    int wire;
    uint32_t field = r.key(wire);
    if (field == 1 && wire == 2) {
      ProtoReader p(r.bytes(), origin);
      SpPiece sp;
      while (!p.done()) {
        int w;
        uint32_t f = p.key(w);
        if (f == 1 && w == 2)
          sp.piece = std::string(p.bytes());
        else if (f == 2 && w == 5)
          sp.score = p.fixed32_float();
        else if (f == 3 && w == 0)
          sp.type = (int)p.varint();
        else
          p.skip(w);
      }
      m.pieces.push_back(std::move(sp));
    } else if (field == 2 && wire == 2) {
      ProtoReader t(r.bytes(), origin);
      while (!t.done()) {
        int w;
        uint32_t f = t.key(w);
        if (w != 0) {
          t.skip(w);
          continue;
        }
        int64_t v = (int64_t)t.varint();
        if (f == 3)
          m.model_type = (int)v;
        else if (f == 35)
          m.byte_fallback = v != 0;
        else if (f == 40)
          m.unk_id = (int)(int32_t)v;
        else if (f == 41)
          m.bos_id = (int)(int32_t)v;
        else if (f == 42)
          m.eos_id = (int)(int32_t)v;
        else if (f == 43)
          m.pad_id = (int)(int32_t)v;
      }
    } else if (field == 3 && wire == 2) {
      ProtoReader n(r.bytes(), origin);
      while (!n.done()) {
        int w;
        uint32_t f = n.key(w);
        if (f == 2 && w == 2)
          m.charsmap = std::string(n.bytes());
        else if (f == 3 && w == 0)
          m.add_dummy_prefix = n.varint() != 0;
        else if (f == 4 && w == 0)
          m.remove_extra_whitespaces = n.varint() != 0;
        else
          n.skip(w);
      }
    } else {
      r.skip(wire);
    }
  }
  if (m.pieces.empty()) r.fail("no pieces");
  return m;
}

// Merges as transformers' SentencePieceExtractor orders them: by the merged piece's score
// (descending), then its id, then the ids of the two halves.
std::vector<std::pair<std::string, std::string>> extract_merges(const SpModel& m, const Vocab& v) {
  struct M {
    float score;
    int32_t merged, l, r;
  };
  std::vector<M> merges;
  for (size_t id = 0; id < m.pieces.size(); ++id) {
    const std::string& p = m.pieces[id].piece;
    for (size_t i = 1; i < p.size(); ++i) {
      if (((unsigned char)p[i] & 0xC0) == 0x80) continue;
      auto l = v.find(std::string_view(p).substr(0, i));
      auto r = v.find(std::string_view(p).substr(i));
      if (l && r) merges.push_back({m.pieces[id].score, (int32_t)id, *l, *r});
    }
  }
  std::stable_sort(merges.begin(), merges.end(), [](const M& a, const M& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.merged != b.merged) return a.merged < b.merged;
    return a.l != b.l ? a.l < b.l : a.r < b.r;
  });
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(merges.size());
  for (const auto& x : merges)
    out.emplace_back(std::string(*v.token(x.l)), std::string(*v.token(x.r)));
  return out;
}

}  // namespace

std::unique_ptr<Pipeline> load_sentencepiece_model(const std::string& path) {
  SpModel m = parse(read_file(path), path);
  auto p = std::make_unique<Pipeline>();
  const std::string kSpace = "\xE2\x96\x81";
  auto in_range = [&](int id) -> std::optional<int32_t> {
    if (id >= 0 && (size_t)id < m.pieces.size()) return id;
    return std::nullopt;
  };
  p->unk = in_range(m.unk_id);
  p->bos = in_range(m.bos_id);
  p->eos = in_range(m.eos_id);
  p->pad = in_range(m.pad_id);

  if (m.model_type == 2) {
    Vocab v;
    v.reserve(m.pieces.size());
    for (size_t i = 0; i < m.pieces.size(); ++i) v.add(m.pieces[i].piece, (int32_t)i);
    auto merges = extract_merges(m, v);
    BpeOptions o;
    if (p->unk) o.unk_token = m.pieces[*p->unk].piece;
    o.byte_fallback = true;
    o.fuse_unk = true;
    auto bpe = std::make_unique<Bpe>(std::move(v), std::move(o));
    int32_t rank = 0;
    for (const auto& [a, b] : merges) bpe->add_merge(a, b, rank++);
    p->model = std::move(bpe);
    json norm = {{"type", "Sequence"},
                 {"normalizers",
                  {{{"type", "Prepend"}, {"prepend", kSpace}},
                   {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", kSpace}}}}};
    if (!m.add_dummy_prefix) norm["normalizers"].erase(0);
    p->normalizer = make_normalizer(norm);
    p->decoder =
        make_decoder({{"type", "Sequence"},
                      {"decoders",
                       {{{"type", "Replace"}, {"pattern", {{"String", kSpace}}}, {"content", " "}},
                        {{"type", "ByteFallback"}},
                        {{"type", "Fuse"}},
                        {{"type", "Strip"},
                         {"content", " "},
                         {"start", m.add_dummy_prefix ? 1 : 0},
                         {"stop", 0}}}}});
  } else if (m.model_type == 1) {
    std::vector<std::pair<std::string, double>> pieces;
    for (const auto& sp : m.pieces) pieces.emplace_back(sp.piece, sp.score);
    p->model = std::make_unique<Unigram>(std::move(pieces), p->unk, m.byte_fallback);
    json seq = json::array();
    if (!m.charsmap.empty()) p->normalizer = nullptr;
    json norms = json::array();
    if (m.remove_extra_whitespaces) {
      norms.push_back({{"type", "Strip"}, {"strip_left", false}, {"strip_right", true}});
      norms.push_back(
          {{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", kSpace}});
    }
    auto tail = make_normalizer({{"type", "Sequence"}, {"normalizers", norms}});
    if (!m.charsmap.empty()) {
      struct Both : Normalizer {
        PrecompiledCharsmap map;
        std::unique_ptr<Normalizer> rest;
        Both(std::string blob, std::unique_ptr<Normalizer> r)
            : map(std::move(blob)), rest(std::move(r)) {}
        void normalize(std::string& s) const override {
          s = map.normalize(s);
          rest->normalize(s);
        }
      };
      p->normalizer = std::make_unique<Both>(m.charsmap, std::move(tail));
    } else {
      p->normalizer = std::move(tail);
    }
    std::string scheme = m.add_dummy_prefix ? "always" : "never";
    p->pre_tokenizer = make_pre_tokenizer({{"type", "Metaspace"},
                                           {"replacement", kSpace},
                                           {"prepend_scheme", scheme},
                                           {"split", true}});
    p->decoder =
        make_decoder({{"type", "Metaspace"}, {"replacement", kSpace}, {"prepend_scheme", scheme}});
  } else {
    throw TokenizerError(path + ": trainer_spec.model_type " + std::to_string(m.model_type) +
                         " (WORD/CHAR) is not supported");
  }
  for (size_t i = 0; i < m.pieces.size(); ++i) {
    const SpPiece& sp = m.pieces[i];
    if (sp.type == 2 || sp.type == 3 || sp.type == 4) {
      AddedToken a;
      a.id = (int32_t)i;
      a.content = sp.piece;
      a.special = sp.type != 4;
      p->added.add(std::move(a));
    }
  }
  p->added.build(p->normalizer.get());
  if (p->bos && m.model_type == 2) p->post_processor = make_affix_processor({*p->bos}, {});
  return p;
}

}  // namespace lmx::tok
