// SPDX-License-Identifier: MIT
// A fast scanner for the large parts of tokenizer.json (the model's vocab and merges,
// hundreds of thousands of entries), which a general JSON DOM parses too slowly. The rest
// of the file still goes through nlohmann::json.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace lmx::tok {

class JsonScanner {
 public:
  // `origin` names the file in error messages.
  JsonScanner(std::string_view text, std::string origin) : s_(text), origin_(std::move(origin)) {}
  // Position of the value of member `key` of the object starting at `obj` (npos if absent);
  // `end` receives the end of that value.
  size_t find_member(size_t obj, std::string_view key, size_t& end) const;
  // Position of the first non-space character at or after p.
  size_t skip_ws(size_t p) const;
  // Position just past the value starting at p.
  size_t skip_value(size_t p) const;
  // Decodes the string starting at p (at its quote) into out; returns the end.
  size_t parse_string(size_t p, std::string& out) const;

  // {"token": id, ...} at p.
  void for_each_vocab_entry(size_t p, const std::function<void(std::string&, int64_t)>& f) const;
  // ["a b", ...] or [["a", "b"], ...] at p; f gets the two parts.
  void for_each_merge(size_t p, const std::function<void(std::string&, std::string&)>& f) const;
  // [["piece", score], ...] at p.
  void for_each_scored_piece(size_t p, const std::function<void(std::string&, double)>& f) const;

 private:
  [[noreturn]] void fail(size_t p, const std::string& what) const;
  size_t expect(size_t p, char c) const;
  std::string_view s_;
  std::string origin_;
};

}  // namespace lmx::tok
