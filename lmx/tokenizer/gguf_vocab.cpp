// SPDX-License-Identifier: MIT
// GGUF metadata: "GGUF", u32 version, tensor and key/value counts (u32 in v1, u64 after),
// then keys (length-prefixed strings) with a u32 type and a value each.
#include "lmx/tokenizer/gguf_vocab.h"

#include <cstring>
#include <fstream>

#include "lmx/tokenizer/error.h"

namespace lmx::tok {

namespace {

class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path), f_(path, std::ios::binary) {
    if (!f_) throw TokenizerError(path + ": cannot open");
  }
  template <typename T>
  T get() {
    T v;
    if (!f_.read(reinterpret_cast<char*>(&v), sizeof(T))) fail("truncated metadata");
    return v;
  }
  uint64_t count() { return version_ == 1 ? get<uint32_t>() : get<uint64_t>(); }
  std::string str() {
    uint64_t n = count();
    if (n > (1u << 30)) fail("string length " + std::to_string(n) + " is implausible");
    std::string s(n, '\0');
    if (n && !f_.read(s.data(), (std::streamsize)n)) fail("truncated string");
    return s;
  }
  double number(uint32_t type, int64_t* as_int) {
    int64_t i = 0;
    double d = 0;
    switch (type) {
      case 0:
        i = get<uint8_t>();
        break;
      case 1:
        i = get<int8_t>();
        break;
      case 2:
        i = get<uint16_t>();
        break;
      case 3:
        i = get<int16_t>();
        break;
      case 4:
        i = get<uint32_t>();
        break;
      case 5:
        i = get<int32_t>();
        break;
      case 6:
        d = get<float>();
        break;
      case 7:
        i = get<uint8_t>();
        break;
      case 10:
        i = (int64_t)get<uint64_t>();
        break;
      case 11:
        i = get<int64_t>();
        break;
      case 12:
        d = get<double>();
        break;
      default:
        fail("unknown value type " + std::to_string(type));
    }
    bool is_float = type == 6 || type == 12;
    if (as_int) *as_int = is_float ? (int64_t)d : i;
    return is_float ? d : (double)i;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw TokenizerError(path_ + ": GGUF: " + what);
  }
  uint32_t version_ = 3;

 private:
  std::string path_;
  std::ifstream f_;
};

}  // namespace

std::map<std::string, GgufValue> read_gguf_metadata(const std::string& path) {
  Reader r(path);
  char magic[4];
  for (char& c : magic) c = (char)r.get<uint8_t>();
  if (std::memcmp(magic, "GGUF", 4) != 0) r.fail("not a GGUF file (bad magic)");
  r.version_ = r.get<uint32_t>();
  if (r.version_ < 1 || r.version_ > 3) r.fail("unsupported version " + std::to_string(r.version_));
  r.count();  // tensors
  uint64_t n_kv = r.count();
  std::map<std::string, GgufValue> out;
  for (uint64_t k = 0; k < n_kv; ++k) {
    std::string key = r.str();
    GgufValue v;
    v.type = r.get<uint32_t>();
    if (v.type == 8) {
      v.s = r.str();
    } else if (v.type == 9) {
      uint32_t at = r.get<uint32_t>();
      uint64_t n = r.count();
      if (at == 8) {
        v.strings.reserve(n);
        for (uint64_t i = 0; i < n; ++i) v.strings.push_back(r.str());
      } else if (at == 9) {
        r.fail(key + ": nested arrays are not supported");
      } else {
        v.numbers.reserve(n);
        for (uint64_t i = 0; i < n; ++i) v.numbers.push_back(r.number(at, nullptr));
      }
    } else {
      v.f = r.number(v.type, &v.i);
    }
    out.emplace(std::move(key), std::move(v));
  }
  return out;
}

}  // namespace lmx::tok
