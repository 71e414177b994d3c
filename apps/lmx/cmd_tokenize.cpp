// SPDX-License-Identifier: MIT
// `lmx tokenize --model PATH [--add-special-tokens] [--decode]`: reads one JSON string per
// line on stdin and writes one JSON object per line, {"ids": [...]} (and "text" with
// --decode). PATH is a checkpoint folder, a tokenizer.json, a tokenizer.model or a .gguf.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <string>

#include "apps/lmx/command.h"
#include "lmx/tokenizer/tokenizer.h"

namespace {

struct TokenizeArgs {
  std::string model;
  bool add_special = false;
  bool decode = false;
};

int run_tokenize(const TokenizeArgs& args) {
  auto tok = lmx::Tokenizer::load(args.model);
  std::string line;
  for (size_t n = 1; std::getline(std::cin, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    nlohmann::json in;
    try {
      in = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error("stdin line " + std::to_string(n) + ": not JSON: " + e.what());
    }
    if (!in.is_string())
      throw std::runtime_error("stdin line " + std::to_string(n) + ": expected a JSON string");
    auto ids = tok.encode(in.get_ref<const std::string&>(), args.add_special);
    nlohmann::json out = {{"ids", ids}};
    if (args.decode) out["text"] = tok.decode(ids);
    std::string s = out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::fwrite(s.data(), 1, s.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

LMX_COMMAND("tokenize", [](CLI::App& app) {
  auto args = std::make_shared<TokenizeArgs>();
  app.description("Tokenize JSON strings read one per line from stdin");
  app.add_option("--model", args->model,
                 "Checkpoint folder, tokenizer.json, tokenizer.model or .gguf file")
      ->required();
  app.add_flag("--add-special-tokens", args->add_special,
               "Add the post-processor's special tokens");
  app.add_flag("--decode", args->decode, "Also print the decoded text of the ids");
  return [args] { return run_tokenize(*args); };
});
