// SPDX-License-Identifier: MIT
#include "lmx/tokenizer/post_processors.h"

#include <nlohmann/json.hpp>

#include "lmx/tokenizer/error.h"

namespace lmx::tok {

using json = nlohmann::json;

namespace {

class Affix : public PostProcessor {
 public:
  Affix(std::vector<int32_t> prefix, std::vector<int32_t> suffix)
      : prefix_(std::move(prefix)), suffix_(std::move(suffix)) {}
  void process(std::vector<int32_t>& ids) const override {
    ids.insert(ids.begin(), prefix_.begin(), prefix_.end());
    ids.insert(ids.end(), suffix_.begin(), suffix_.end());
  }

 private:
  std::vector<int32_t> prefix_, suffix_;
};

// TemplateProcessing's "single" template: special tokens before and after $A.
std::unique_ptr<PostProcessor> make_template(const json& j) {
  const json& specials = j.contains("special_tokens") ? j["special_tokens"] : json::object();
  std::vector<int32_t> prefix, suffix;
  bool seen_sequence = false;
  const json& single = j.at("single");
  for (const auto& item : single) {
    if (item.contains("Sequence")) {
      seen_sequence = true;
      continue;
    }
    const json& st = item.at("SpecialToken");
    std::string name = st.at("id").get<std::string>();
    if (!specials.contains(name))
      throw TokenizerError("post_processor.special_tokens: no entry for '" + name + "'");
    for (const auto& id : specials[name].at("ids"))
      (seen_sequence ? suffix : prefix).push_back(id.get<int32_t>());
  }
  return std::make_unique<Affix>(std::move(prefix), std::move(suffix));
}

int32_t pair_id(const json& j, const char* key) {
  const json& p = j.at(key);
  if (!p.is_array() || p.size() != 2)
    throw TokenizerError(std::string("post_processor.") + key + ": expected [token, id]");
  return p[1].get<int32_t>();
}

class Sequence : public PostProcessor {
 public:
  explicit Sequence(std::vector<std::unique_ptr<PostProcessor>> items) : items_(std::move(items)) {}
  void process(std::vector<int32_t>& ids) const override {
    for (const auto& p : items_) p->process(ids);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> items_;
};

}  // namespace

std::unique_ptr<PostProcessor> make_affix_processor(std::vector<int32_t> prefix,
                                                    std::vector<int32_t> suffix) {
  return std::make_unique<Affix>(std::move(prefix), std::move(suffix));
}

std::unique_ptr<PostProcessor> make_post_processor(const json& j) {
  if (j.is_null()) return nullptr;
  const std::string type = j.value("type", "");
  if (type == "TemplateProcessing") return make_template(j);
  if (type == "ByteLevel") return nullptr;  // offsets only
  if (type == "RobertaProcessing" || type == "BertProcessing")
    return std::make_unique<Affix>(std::vector<int32_t>{pair_id(j, "cls")},
                                   std::vector<int32_t>{pair_id(j, "sep")});
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PostProcessor>> items;
    for (const auto& p : j.at("processors"))
      if (auto q = make_post_processor(p)) items.push_back(std::move(q));
    return std::make_unique<Sequence>(std::move(items));
  }
  throw TokenizerError("post_processor: unknown type '" + type + "'");
}

}  // namespace lmx::tok
