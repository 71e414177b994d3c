// SPDX-License-Identifier: MIT
// Builds models from tokenizer.json's "model" object.
#include <nlohmann/json.hpp>

#include "lmx/tokenizer/error.h"
#include "lmx/tokenizer/json_scan.h"
#include "lmx/tokenizer/models.h"

namespace lmx::tok {

using json = nlohmann::json;

namespace {

Vocab vocab_from_object(const json& j, const char* model, const RawModelParts& raw = {}) {
  if (j.is_null() && raw.scanner && raw.vocab != std::string::npos) {
    Vocab v;
    v.reserve(1 << 16);
    raw.scanner->for_each_vocab_entry(raw.vocab,
                                      [&](std::string& k, int64_t id) { v.add(k, (int32_t)id); });
    return v;
  }
  if (!j.is_object())
    throw TokenizerError(std::string("model.vocab: ") + model + " expects an object");
  Vocab v;
  v.reserve(j.size());
  for (auto it = j.begin(); it != j.end(); ++it) v.add(it.key(), it.value().get<int32_t>());
  return v;
}

std::string opt_string(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

std::unique_ptr<Model> make_bpe(const json& j, const RawModelParts& raw) {
  BpeOptions o;
  if (j.contains("unk_token") && j["unk_token"].is_string())
    o.unk_token = j["unk_token"].get<std::string>();
  o.continuing_subword_prefix = opt_string(j, "continuing_subword_prefix");
  o.end_of_word_suffix = opt_string(j, "end_of_word_suffix");
  o.byte_fallback = j.value("byte_fallback", false);
  o.fuse_unk = j.value("fuse_unk", false);
  o.ignore_merges = j.value("ignore_merges", false);
  auto bpe = std::make_unique<Bpe>(vocab_from_object(j.at("vocab"), "BPE", raw), std::move(o));
  int32_t rank = 0;
  if (raw.scanner && raw.merges != std::string::npos && j.value("merges", json()).is_null()) {
    bpe->reserve_merges(1 << 18);
    raw.scanner->for_each_merge(
        raw.merges, [&](std::string& a, std::string& b) { bpe->add_merge(a, b, rank++); });
    return bpe;
  }
  if (!j.contains("merges") || j["merges"].is_null()) return bpe;
  bpe->reserve_merges(j["merges"].size());
  for (const auto& m : j["merges"]) {
    if (m.is_string()) {
      const std::string& s = m.get_ref<const std::string&>();
      size_t sp = s.find(' ', 1);
      if (sp == std::string::npos)
        throw TokenizerError("model.merges[" + std::to_string(rank) + "]: '" + s +
                             "' is not two tokens separated by a space");
      bpe->add_merge(std::string_view(s).substr(0, sp), std::string_view(s).substr(sp + 1), rank);
    } else if (m.is_array() && m.size() == 2) {
      bpe->add_merge(m[0].get_ref<const std::string&>(), m[1].get_ref<const std::string&>(), rank);
    } else {
      throw TokenizerError("model.merges[" + std::to_string(rank) +
                           "]: expected \"a b\" or [a, b]");
    }
    ++rank;
  }
  return bpe;
}

std::unique_ptr<Model> make_unigram(const json& j, const RawModelParts& raw) {
  std::vector<std::pair<std::string, double>> pieces;
  const json& v = j.at("vocab");
  if (v.is_null() && raw.scanner && raw.vocab != std::string::npos) {
    raw.scanner->for_each_scored_piece(raw.vocab, [&](std::string& piece, double score) {
      pieces.emplace_back(std::move(piece), score);
    });
  } else {
    pieces.reserve(v.size());
    for (const auto& e : v) pieces.emplace_back(e.at(0).get<std::string>(), e.at(1).get<double>());
  }
  std::optional<int32_t> unk;
  if (j.contains("unk_id") && j["unk_id"].is_number()) unk = j["unk_id"].get<int32_t>();
  return std::make_unique<Unigram>(std::move(pieces), unk, j.value("byte_fallback", false));
}

}  // namespace

std::unique_ptr<Model> make_model(const json& j, const RawModelParts& raw) {
  std::string type = j.value("type", "");
  if (type.empty()) {
    if (j.contains("merges"))
      type = "BPE";
    else if (j.contains("vocab") && j["vocab"].is_array())
      type = "Unigram";
    else if (j.contains("max_input_chars_per_word"))
      type = "WordPiece";
    else
      type = "WordLevel";
  }
  if (type == "BPE") return make_bpe(j, raw);
  if (type == "Unigram") return make_unigram(j, raw);
  if (type == "WordPiece") {
    std::string prefix =
        j.contains("continuing_subword_prefix") && j["continuing_subword_prefix"].is_string()
            ? j["continuing_subword_prefix"].get<std::string>()
            : "##";
    return std::make_unique<WordPiece>(vocab_from_object(j.at("vocab"), "WordPiece", raw),
                                       j.value("unk_token", "[UNK]"), prefix,
                                       j.value("max_input_chars_per_word", (size_t)100));
  }
  if (type == "WordLevel")
    return std::make_unique<WordLevel>(vocab_from_object(j.at("vocab"), "WordLevel", raw),
                                       j.value("unk_token", "[UNK]"));
  throw TokenizerError("model: unknown type '" + type + "'");
}

}  // namespace lmx::tok
