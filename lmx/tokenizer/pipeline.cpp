// SPDX-License-Identifier: MIT
// The Hugging Face tokenizers pipeline and the tokenizer.json loader.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "lmx/tokenizer/engine.h"
#include "lmx/tokenizer/error.h"
#include "lmx/tokenizer/json_scan.h"

namespace lmx::tok {

using json = nlohmann::json;

std::vector<int32_t> Pipeline::encode(std::string_view text, bool add_special) const {
  std::vector<int32_t> ids;
  std::vector<Piece> pieces;
  std::string normalized;
  for (const auto& raw : added.split(text, false)) {
    if (raw.id >= 0) {
      ids.push_back(raw.id);
      continue;
    }
    normalized.assign(text.substr(raw.begin, raw.end - raw.begin));
    bool at_start = raw.begin == 0;
    if (normalizer) normalizer->normalize(normalized);
    for (const auto& part : added.split(normalized, true)) {
      if (part.id >= 0) {
        ids.push_back(part.id);
        continue;
      }
      pieces.clear();
      pieces.push_back(
          {normalized.substr(part.begin, part.end - part.begin), at_start && part.begin == 0});
      if (pre_tokenizer) pre_tokenizer->pre_tokenize(pieces);
      for (const auto& p : pieces) model->tokenize(p.text, ids);
    }
  }
  if (add_special && post_processor) post_processor->process(ids);
  return ids;
}

std::string Pipeline::decode(const std::vector<int32_t>& ids, bool skip_special) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (const AddedToken* t = added.by_id(id)) {
      if (skip_special && t->special) continue;
      tokens.push_back(t->content);
    } else if (auto s = model->vocab().token(id)) {
      tokens.emplace_back(*s);
    }
  }
  if (decoder) return decoder->decode(std::move(tokens));
  std::string out;
  for (size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
  return out;
}

std::optional<int32_t> Pipeline::token_to_id(std::string_view token) const {
  if (auto id = added.find(token)) return id;
  return model->vocab().find(token);
}

std::optional<std::string> Pipeline::id_to_token(int32_t id) const {
  if (const AddedToken* t = added.by_id(id)) return t->content;
  if (auto s = model->vocab().token(id)) return std::string(*s);
  return std::nullopt;
}

size_t Pipeline::vocab_size() const {
  size_t n = model->vocab().size();
  for (const auto& t : added.tokens()) n = std::max(n, (size_t)t.id + 1);
  return n;
}

bool Pipeline::is_special(int32_t id) const {
  const AddedToken* t = added.by_id(id);
  return t && t->special;
}

std::optional<int32_t> Pipeline::special_id(std::string_view which) const {
  if (which == "bos") return bos;
  if (which == "eos") return eos;
  if (which == "pad") return pad;
  if (which == "unk") return unk;
  return std::nullopt;
}

std::unique_ptr<Pipeline> parse_tokenizer_json(const std::string& text, const std::string& origin) {
  // The model's vocab and merges are scanned in place; the rest goes to nlohmann::json.
  JsonScanner scanner(text, origin);
  RawModelParts raw;
  raw.scanner = &scanner;
  std::string reduced;
  size_t model_end = 0, vocab_end = 0, merges_end = 0;
  size_t model = scanner.find_member(0, "model", model_end);
  if (model != std::string::npos && text[model] == '{') {
    raw.vocab = scanner.find_member(model, "vocab", vocab_end);
    raw.merges = scanner.find_member(model, "merges", merges_end);
  }
  std::vector<std::pair<size_t, size_t>> cut;
  if (raw.vocab != std::string::npos) cut.emplace_back(raw.vocab, vocab_end);
  if (raw.merges != std::string::npos) cut.emplace_back(raw.merges, merges_end);
  std::sort(cut.begin(), cut.end());
  size_t pos = 0;
  for (auto [b, e] : cut) {
    reduced.append(text, pos, b - pos);
    reduced += "null";
    pos = e;
  }
  reduced.append(text, pos);
  json j;
  try {
    j = json::parse(reduced);
  } catch (const json::exception& e) {
    throw TokenizerError(origin + ": not valid JSON: " + e.what());
  }
  auto p = std::make_unique<Pipeline>();
  const char* key = "model";
  try {
    if (!j.contains("model")) throw TokenizerError("missing");
    p->model = make_model(j["model"], raw);
    key = "normalizer";
    if (j.contains(key)) p->normalizer = make_normalizer(j[key]);
    key = "pre_tokenizer";
    if (j.contains(key)) p->pre_tokenizer = make_pre_tokenizer(j[key]);
    key = "post_processor";
    if (j.contains(key)) p->post_processor = make_post_processor(j[key]);
    key = "decoder";
    if (j.contains(key)) p->decoder = make_decoder(j[key]);
    key = "added_tokens";
    if (j.contains(key) && j[key].is_array()) {
      // Hugging Face re-derives the ids: a token already in the model's vocabulary takes
      // that id, any other the next id after the vocabulary and the added tokens so far.
      const int64_t model_size = (int64_t)p->model->vocab().count();
      int64_t max_id = -1;
      for (const auto& t : j[key]) {
        AddedToken a;
        a.content = t.at("content").get<std::string>();
        if (a.content.empty()) continue;
        if (auto id = p->model->vocab().find(a.content))
          a.id = *id;
        else
          a.id = (int32_t)(max_id >= model_size ? max_id + 1 : model_size);
        max_id = std::max<int64_t>(max_id, a.id);
        a.special = t.value("special", false);
        a.single_word = t.value("single_word", false);
        a.lstrip = t.value("lstrip", false);
        a.rstrip = t.value("rstrip", false);
        a.normalized = t.value("normalized", !a.special);
        p->added.add(std::move(a));
      }
    }
    p->added.build(p->normalizer.get());
  } catch (const TokenizerError& e) {
    throw TokenizerError(origin + ": " + key + ": " + e.what());
  } catch (const json::exception& e) {
    throw TokenizerError(origin + ": " + key + ": " + e.what());
  }
  return p;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw TokenizerError(path + ": cannot open");
  std::string s;
  f.seekg(0, std::ios::end);
  s.resize((size_t)f.tellg());
  f.seekg(0);
  f.read(s.data(), (std::streamsize)s.size());
  return s;
}

std::unique_ptr<Pipeline> load_tokenizer_json(const std::string& path) {
  return parse_tokenizer_json(read_file(path), path);
}

}  // namespace lmx::tok
