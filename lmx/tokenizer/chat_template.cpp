// SPDX-License-Identifier: MIT
#include "lmx/tokenizer/chat_template.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "lmx/tokenizer/jinja_unicode.h"

namespace lmx {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

// What transformers appends to the final message to find where it ends after rendering.
constexpr const char* kContinueTag = "CONTINUE_FINAL_MESSAGE_TAG ";

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw std::runtime_error("chat template: cannot read " + p.string());
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

json read_json(const fs::path& p) {
  try {
    return json::parse(read_file(p));
  } catch (const json::parse_error& e) {
    throw std::runtime_error("chat template: " + p.string() + " is not valid JSON: " + e.what());
  }
}

// bos/eos/unk/pad tokens of a tokenizer_config.json (string or AddedToken-object form).
json special_tokens_of(const json& config) {
  json out = json::object();
  for (const char* key : {"bos_token", "eos_token", "unk_token", "pad_token"}) {
    auto it = config.find(key);
    if (it == config.end()) continue;
    if (it->is_object())
      out[key] = it->value("content", json(nullptr));
    else
      out[key] = *it;
  }
  return out;
}

}  // namespace

ChatTemplateInputs ChatTemplateInputs::from_json(const json& conv) {
  ChatTemplateInputs in;
  in.only_given_variables = true;
  if (conv.is_array()) {
    in.messages = conv;
    return in;
  }
  if (!conv.is_object())
    throw std::invalid_argument("conversation: expected a JSON object or list");
  for (auto it = conv.begin(); it != conv.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    if (key == "messages")
      in.messages = v;
    else if (key == "tools")
      in.tools = v;
    else if (key == "documents")
      in.documents = v;
    else if (key == "add_generation_prompt" && v.is_boolean())
      in.add_generation_prompt = v.get<bool>();
    else if (key == "template_name" && v.is_string())
      in.template_name = v.get<std::string>();
    else
      in.extra[key] = v;
  }
  return in;
}

ChatTemplate::ChatTemplate(const std::string& source, json special_tokens)
    : special_tokens_(std::move(special_tokens)) {
  templates_["default"] = {source, std::make_shared<const jinja::Template>(source)};
}

ChatTemplate::ChatTemplate(const std::map<std::string, std::string>& templates, json special_tokens)
    : special_tokens_(std::move(special_tokens)) {
  for (const auto& [name, src] : templates)
    templates_[name] = {src, std::make_shared<const jinja::Template>(src)};
  if (templates_.empty()) throw std::invalid_argument("chat template: no templates given");
}

ChatTemplate ChatTemplate::load(const fs::path& path) {
  if (!fs::exists(path))
    throw std::runtime_error("chat template: " + path.string() + " does not exist");
  if (!fs::is_directory(path) && path.extension() == ".jinja") return ChatTemplate(read_file(path));

  fs::path dir = fs::is_directory(path) ? path : path.parent_path();
  fs::path config_path = fs::is_directory(path) ? dir / "tokenizer_config.json" : path;
  json config = fs::exists(config_path) ? read_json(config_path) : json::object();

  ChatTemplate ct;
  ct.special_tokens_ = special_tokens_of(config);
  auto add = [&](const std::string& name, const std::string& src) {
    ct.templates_[name] = {src, std::make_shared<const jinja::Template>(src)};
  };
  if (fs::exists(dir / "chat_template.jinja")) {
    add("default", read_file(dir / "chat_template.jinja"));
  } else if (auto it = config.find("chat_template"); it != config.end() && !it->is_null()) {
    if (it->is_string()) {
      add("default", it->get<std::string>());
    } else if (it->is_array()) {
      for (const auto& t : *it)
        add(t.at("name").get<std::string>(), t.at("template").get<std::string>());
    } else {
      throw std::runtime_error("chat template: chat_template in " + config_path.string() +
                               " must be a string or a list of {name, template}");
    }
  } else if (fs::exists(dir / "chat_template.json")) {
    json j = read_json(dir / "chat_template.json");
    if (j.contains("chat_template") && j["chat_template"].is_string())
      add("default", j["chat_template"].get<std::string>());
  }
  if (fs::is_directory(dir / "additional_chat_templates"))
    for (const auto& e : fs::directory_iterator(dir / "additional_chat_templates"))
      if (e.path().extension() == ".jinja") add(e.path().stem().string(), read_file(e.path()));
  if (ct.templates_.empty())
    throw std::runtime_error("chat template: no chat template found in " + path.string());
  return ct;
}

const ChatTemplate::Named& ChatTemplate::pick(const ChatTemplateInputs& in) const {
  if (!in.template_name.empty()) {
    auto it = templates_.find(in.template_name);
    if (it == templates_.end())
      throw std::invalid_argument("chat template: no template named '" + in.template_name + "'");
    return it->second;
  }
  if (in.tools && !in.tools->is_null() && templates_.count("tool_use"))
    return templates_.at("tool_use");
  if (templates_.count("default")) return templates_.at("default");
  if (templates_.size() == 1) return templates_.begin()->second;
  throw std::invalid_argument(
      "chat template: this model has several chat templates and none is named 'default'; "
      "pick one with template_name");
}

const std::string& ChatTemplate::source(const ChatTemplateInputs& inputs) const {
  return pick(inputs).source;
}

std::string ChatTemplate::apply(const ChatTemplateInputs& in) const {
  const Named& t = pick(in);
  if (in.continue_final_message && in.add_generation_prompt)
    throw std::invalid_argument(
        "continue_final_message and add_generation_prompt are not compatible. Use "
        "continue_final_message when you want the model to continue the final message, and "
        "add_generation_prompt when you want to add a header that will prompt it to start a new "
        "assistant message instead.");
  if (!in.messages.is_array())
    throw std::invalid_argument("chat template: messages must be a list");

  json messages = in.messages;
  std::string final_message;
  if (in.continue_final_message) {
    if (messages.empty()) throw std::invalid_argument("continue_final_message needs a message");
    json& content = messages.back()["content"];
    bool found = false;
    if (content.is_array()) {
      for (auto it = content.rbegin(); it != content.rend() && !found; ++it) {
        if (it->is_object() && it->contains("text") && (*it)["text"].is_string()) {
          final_message = (*it)["text"].get<std::string>();
          (*it)["text"] = final_message + kContinueTag;
          found = true;
        }
      }
    } else if (content.is_string()) {
      final_message = content.get<std::string>();
      content = final_message + kContinueTag;
      found = true;
    }
    if (!found)
      throw std::invalid_argument(
          "continue_final_message is set but we could not find any text to continue in the final "
          "message!");
  }

  jinja::Dict ctx;
  auto set = [&](const std::string& k, const json& v) {
    ctx.set(jinja::Value(k), jinja::Value::from_json(v));
  };
  for (auto it = special_tokens_.begin(); it != special_tokens_.end(); ++it)
    set(it.key(), it.value());
  // transformers: render(messages=, tools=, documents=, add_generation_prompt=, **kwargs).
  ctx.set(jinja::Value("add_generation_prompt"), jinja::Value(in.add_generation_prompt));
  for (auto it = in.extra.begin(); it != in.extra.end(); ++it) set(it.key(), it.value());
  set("messages", messages);
  if (in.tools || !in.only_given_variables) set("tools", in.tools.value_or(nullptr));
  if (in.documents || !in.only_given_variables) set("documents", in.documents.value_or(nullptr));
  std::string rendered = t.tpl->render(ctx);

  if (in.continue_final_message) {
    std::string tag = kContinueTag;
    std::string tag_stripped = jinja::py_strip(tag, nullptr, true, true);
    std::string final_stripped = jinja::py_strip(final_message, nullptr, true, true);
    if (rendered.find(final_stripped) == std::string::npos ||
        rendered.find(tag_stripped) == std::string::npos)
      throw std::invalid_argument(
          "continue_final_message is set but the final message does not appear in the chat after "
          "applying the chat template! This can happen if the chat template deletes portions of "
          "the final message. Please verify the chat template is compatible with this flag.");
    size_t loc = rendered.rfind(tag_stripped);
    if (rendered.compare(loc, tag.size(), tag) == 0)
      rendered.resize(loc);
    else
      rendered = jinja::py_strip(rendered.substr(0, loc), nullptr, false, true);
  }
  return rendered;
}

}  // namespace lmx
