// SPDX-License-Identifier: MIT
// UTF-8 helpers for the Jinja interpreter: Python str semantics (code point indexing,
// isspace, upper/lower) over std::string holding UTF-8.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lmx::jinja {

// Decodes UTF-8 into code points (invalid bytes become U+FFFD).
std::u32string utf8_decode(std::string_view s);
// Encodes code points as UTF-8.
std::string utf8_encode(std::u32string_view s);
void utf8_append(std::string& out, char32_t cp);
// Number of code points, as Python's len(str).
size_t utf8_length(std::string_view s);

// Python's str.isspace() for one code point.
bool py_isspace(char32_t c);
// Python's str.strip/lstrip/rstrip; `chars` null means whitespace.
std::string py_strip(std::string_view s, const std::string* chars, bool left, bool right);
// Python's str.upper()/lower() (simple case mapping per code point).
std::string py_upper(std::string_view s);
std::string py_lower(std::string_view s);
char32_t cp_upper(char32_t c);
char32_t cp_lower(char32_t c);
bool cp_is_upper(char32_t c);
bool cp_is_lower(char32_t c);
bool cp_is_alnum(char32_t c);
bool cp_is_printable(char32_t c);
// Python's str.splitlines() (without keepends).
std::vector<std::string> py_splitlines(std::string_view s);

}  // namespace lmx::jinja
