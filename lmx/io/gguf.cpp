// SPDX-License-Identifier: MIT
#include "lmx/io/gguf.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "lmx/io/error.h"

namespace lmx::io {
namespace {

constexpr uint32_t kMaxDims = 4;   // GGML_MAX_DIMS
constexpr int kMaxArrayDepth = 8;  // arrays of arrays nest at most this deep
constexpr uint64_t kDefaultAlignment = 32;

// Indexed by the GgmlType number; an empty name marks a removed or unknown type.
constexpr GgmlTypeInfo kTypes[] = {
    {"F32", 1, 4},        {"F16", 1, 2},       {"Q4_0", 32, 18},     {"Q4_1", 32, 20},
    {"", 0, 0},           {"", 0, 0},          {"Q5_0", 32, 22},     {"Q5_1", 32, 24},
    {"Q8_0", 32, 34},     {"Q8_1", 32, 36},    {"Q2_K", 256, 84},    {"Q3_K", 256, 110},
    {"Q4_K", 256, 144},   {"Q5_K", 256, 176},  {"Q6_K", 256, 210},   {"Q8_K", 256, 292},
    {"IQ2_XXS", 256, 66}, {"IQ2_XS", 256, 74}, {"IQ3_XXS", 256, 98}, {"IQ1_S", 256, 50},
    {"IQ4_NL", 32, 18},   {"IQ3_S", 256, 110}, {"IQ2_S", 256, 82},   {"IQ4_XS", 256, 136},
    {"I8", 1, 1},         {"I16", 1, 2},       {"I32", 1, 4},        {"I64", 1, 8},
    {"F64", 1, 8},        {"IQ1_M", 256, 56},  {"BF16", 1, 2},       {"", 0, 0},
    {"", 0, 0},           {"", 0, 0},          {"TQ1_0", 256, 54},   {"TQ2_0", 256, 66},
    {"", 0, 0},           {"", 0, 0},          {"", 0, 0},           {"MXFP4", 32, 17},
};

const GgmlTypeInfo* find_type(GgmlType type) {
  const auto i = static_cast<uint32_t>(type);
  if (i >= std::size(kTypes) || kTypes[i].name.empty()) return nullptr;
  return &kTypes[i];
}

std::string_view value_type_name(GgufType t) {
  static constexpr std::string_view names[] = {"UINT8",  "INT8",    "UINT16", "INT16",  "UINT32",
                                               "INT32",  "FLOAT32", "BOOL",   "STRING", "ARRAY",
                                               "UINT64", "INT64",   "FLOAT64"};
  const auto i = static_cast<uint32_t>(t);
  return i < std::size(names) ? names[i] : "unknown";
}

// Smallest encoded size of one value of type `t` (to bound array counts before allocating).
uint64_t min_value_size(GgufType t, uint32_t version) {
  switch (t) {
    case GgufType::UINT8:
    case GgufType::INT8:
    case GgufType::BOOL:
      return 1;
    case GgufType::UINT16:
    case GgufType::INT16:
      return 2;
    case GgufType::UINT32:
    case GgufType::INT32:
    case GgufType::FLOAT32:
      return 4;
    case GgufType::UINT64:
    case GgufType::INT64:
    case GgufType::FLOAT64:
      return 8;
    case GgufType::STRING:
      return version == 1 ? 4 : 8;
    case GgufType::ARRAY:
      return version == 1 ? 8 : 12;
  }
  return 1;
}

}  // namespace

// Bounds-checked reading of a GGUF header from a mapping.
class GgufParser {
 public:
  GgufParser(const uint8_t* base, uint64_t size, std::string file)
      : base_(base), size_(size), file_(std::move(file)) {}

  void parse(GgufFile& g);

 private:
  [[noreturn]] void fail(const std::string& msg) const {
    throw IoError(fmt::format("[gguf] {}: {}", file_, msg));
  }
  void need(uint64_t n, std::string_view what) const {
    if (n > size_ - pos_)
      fail(fmt::format("truncated: {} needs {} bytes at offset {} but the file has {}", what, n,
                       pos_, size_));
  }
  template <class T>
  T read(std::string_view what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, base_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  // Counts and lengths are 32-bit in GGUF v1, 64-bit later.
  uint64_t read_count(std::string_view what) {
    return version_ == 1 ? read<uint32_t>(what) : read<uint64_t>(what);
  }
  std::string read_string(std::string_view what) {
    const uint64_t n = read_count(what);
    need(n, what);
    std::string s(reinterpret_cast<const char*>(base_ + pos_), n);
    pos_ += n;
    return s;
  }
  GgufValue read_value(GgufType type, const std::string& key, int depth);
  template <class T>
  std::vector<T> read_numbers(GgufType elem, uint64_t n, const std::string& key);

  const uint8_t* base_;
  uint64_t size_;
  uint64_t pos_ = 0;
  uint32_t version_ = 0;
  std::string file_;
};

template <class T>
std::vector<T> GgufParser::read_numbers(GgufType elem, uint64_t n, const std::string& key) {
  std::vector<T> out;
  out.reserve(n);
  const std::string what = fmt::format("array '{}'", key);
  for (uint64_t i = 0; i < n; ++i) {
    switch (elem) {
      case GgufType::UINT8:
        out.push_back(static_cast<T>(read<uint8_t>(what)));
        break;
      case GgufType::INT8:
        out.push_back(static_cast<T>(read<int8_t>(what)));
        break;
      case GgufType::BOOL:
        out.push_back(static_cast<T>(read<uint8_t>(what) != 0));
        break;
      case GgufType::UINT16:
        out.push_back(static_cast<T>(read<uint16_t>(what)));
        break;
      case GgufType::INT16:
        out.push_back(static_cast<T>(read<int16_t>(what)));
        break;
      case GgufType::UINT32:
        out.push_back(static_cast<T>(read<uint32_t>(what)));
        break;
      case GgufType::INT32:
        out.push_back(static_cast<T>(read<int32_t>(what)));
        break;
      case GgufType::UINT64:
        out.push_back(static_cast<T>(read<uint64_t>(what)));
        break;
      case GgufType::INT64:
        out.push_back(static_cast<T>(read<int64_t>(what)));
        break;
      case GgufType::FLOAT32:
        out.push_back(static_cast<T>(read<float>(what)));
        break;
      case GgufType::FLOAT64:
        out.push_back(static_cast<T>(read<double>(what)));
        break;
      default:
        fail(fmt::format("key '{}': bad array element type", key));
    }
  }
  return out;
}

GgufValue GgufParser::read_value(GgufType type, const std::string& key, int depth) {
  const std::string what = fmt::format("value of '{}'", key);
  switch (type) {
    case GgufType::UINT8:
      return {type, type, int64_t{read<uint8_t>(what)}};
    case GgufType::INT8:
      return {type, type, int64_t{read<int8_t>(what)}};
    case GgufType::BOOL: {
      const uint8_t b = read<uint8_t>(what);
      if (b > 1) fail(fmt::format("key '{}': bool value {} is neither 0 nor 1", key, b));
      return {type, type, int64_t{b}};
    }
    case GgufType::UINT16:
      return {type, type, int64_t{read<uint16_t>(what)}};
    case GgufType::INT16:
      return {type, type, int64_t{read<int16_t>(what)}};
    case GgufType::UINT32:
      return {type, type, int64_t{read<uint32_t>(what)}};
    case GgufType::INT32:
      return {type, type, int64_t{read<int32_t>(what)}};
    case GgufType::UINT64:
      return {type, type, static_cast<int64_t>(read<uint64_t>(what))};
    case GgufType::INT64:
      return {type, type, read<int64_t>(what)};
    case GgufType::FLOAT32:
      return {type, type, double{read<float>(what)}};
    case GgufType::FLOAT64:
      return {type, type, read<double>(what)};
    case GgufType::STRING:
      return {type, type, read_string(what)};
    case GgufType::ARRAY: {
      if (depth >= kMaxArrayDepth) fail(fmt::format("key '{}': arrays nest too deeply", key));
      const uint32_t raw = read<uint32_t>(what);
      if (raw > static_cast<uint32_t>(GgufType::FLOAT64))
        fail(fmt::format("key '{}': unknown array element type {}", key, raw));
      const auto elem = static_cast<GgufType>(raw);
      const uint64_t n = read_count(what);
      // Every element takes at least min_value_size bytes: refuse counts the file can't hold.
      if (n > (size_ - pos_) / min_value_size(elem, version_))
        fail(fmt::format("truncated: array '{}' of {} {} elements runs past the end of the file",
                         key, n, value_type_name(elem)));
      switch (elem) {
        case GgufType::FLOAT32:
        case GgufType::FLOAT64:
          return {type, elem, read_numbers<double>(elem, n, key)};
        case GgufType::STRING: {
          std::vector<std::string> v;
          v.reserve(n);
          for (uint64_t i = 0; i < n; ++i) v.push_back(read_string(what));
          return {type, elem, std::move(v)};
        }
        case GgufType::ARRAY: {
          std::vector<GgufValue> v;
          v.reserve(n);
          for (uint64_t i = 0; i < n; ++i) v.push_back(read_value(elem, key, depth + 1));
          return {type, elem, std::move(v)};
        }
        default:
          return {type, elem, read_numbers<int64_t>(elem, n, key)};
      }
    }
  }
  fail(fmt::format("key '{}': unknown value type {}", key, static_cast<uint32_t>(type)));
}

void GgufParser::parse(GgufFile& g) {
  need(8, "the header");
  if (std::memcmp(base_, "GGUF", 4) != 0) fail("not a GGUF file (bad magic)");
  pos_ = 4;
  version_ = read<uint32_t>("the version");
  if (version_ < 1 || version_ > 3)
    fail(fmt::format("unsupported GGUF version {} (supported: 1, 2, 3)", version_));
  g.version_ = version_;
  const uint64_t n_tensors = read_count("the tensor count");
  const uint64_t n_kv = read_count("the metadata count");
  if (n_kv > size_ / 8) fail(fmt::format("truncated: {} metadata entries cannot fit", n_kv));
  if (n_tensors > size_ / 8) fail(fmt::format("truncated: {} tensors cannot fit", n_tensors));

  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key = read_string(fmt::format("metadata key #{}", i));
    const uint32_t raw = read<uint32_t>(fmt::format("the type of '{}'", key));
    if (raw > static_cast<uint32_t>(GgufType::FLOAT64))
      fail(fmt::format("key '{}': unknown value type {}", key, raw));
    GgufValue value = read_value(static_cast<GgufType>(raw), key, 0);
    if (!g.key_index_.emplace(key, g.metadata_.size()).second)
      fail(fmt::format("duplicate metadata key '{}'", key));
    g.metadata_.emplace_back(std::move(key), std::move(value));
  }
  if (const GgufValue* a = g.find("general.alignment")) {
    if (a->is_array() || a->is_string() || a->type() == GgufType::FLOAT32 ||
        a->type() == GgufType::FLOAT64 || a->as_int() <= 0 || (a->as_int() & (a->as_int() - 1)))
      fail("general.alignment must be a positive power of two");
    g.alignment_ = static_cast<uint64_t>(a->as_int());
  } else {
    g.alignment_ = kDefaultAlignment;
  }

  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensor t;
    t.name = read_string(fmt::format("the name of tensor #{}", i));
    const std::string what = fmt::format("tensor '{}'", t.name);
    const uint32_t n_dims = read<uint32_t>(what);
    if (n_dims > kMaxDims) fail(fmt::format("{} has {} dims (at most {})", what, n_dims, kMaxDims));
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t ne = version_ == 1 ? read<uint32_t>(what) : read<uint64_t>(what);
      if (ne > static_cast<uint64_t>(INT64_MAX)) fail(fmt::format("{} has a dim of {}", what, ne));
      t.dims.push_back(static_cast<int64_t>(ne));
    }
    const uint32_t type = read<uint32_t>(what);
    t.type = static_cast<GgmlType>(type);
    if (!find_type(t.type)) fail(fmt::format("{} has unknown ggml type {}", what, type));
    t.offset = read<uint64_t>(what);
    try {
      t.nbytes = ggml_nbytes(t.type, t.dims);
    } catch (const IoError& e) {
      fail(fmt::format("{}: {}", what, e.what()));
    }
    if (t.offset % g.alignment_ != 0)
      fail(fmt::format("{} offset {} is not a multiple of the alignment {}", what, t.offset,
                       g.alignment_));
    if (!g.tensor_index_.emplace(t.name, g.tensors_.size()).second)
      fail(fmt::format("duplicate tensor '{}'", t.name));
    g.tensors_.push_back(std::move(t));
  }
  const uint64_t data_offset = (pos_ + g.alignment_ - 1) / g.alignment_ * g.alignment_;
  g.data_offset_ = data_offset;
  const uint64_t data_size = size_ >= data_offset ? size_ - data_offset : 0;

  // Bytes: inside the data section and not overlapping.
  std::vector<const GgufTensor*> by_offset;
  for (const GgufTensor& t : g.tensors_) {
    if (t.offset > data_size || t.nbytes > data_size - t.offset)
      fail(
          fmt::format("truncated: tensor '{}' ({} bytes at data offset {}) runs past the end of "
                      "the file (data section holds {} bytes)",
                      t.name, t.nbytes, t.offset, data_size));
    by_offset.push_back(&t);
  }
  std::stable_sort(by_offset.begin(), by_offset.end(),
                   [](const GgufTensor* a, const GgufTensor* b) { return a->offset < b->offset; });
  uint64_t end = 0;
  std::string end_name;
  for (const GgufTensor* t : by_offset) {
    if (t->nbytes == 0) continue;
    if (t->offset < end)
      fail(fmt::format("tensor '{}' at data offset {} overlaps '{}' (which ends at {})", t->name,
                       t->offset, end_name, end));
    end = t->offset + t->nbytes;
    end_name = t->name;
  }
  std::shared_ptr<const void> owner = g.owner_;
  for (GgufTensor& t : g.tensors_) {
    t.data = base_ + data_offset + t.offset;
    t.owner = owner;
  }
}

const GgmlTypeInfo& ggml_type_info(GgmlType type) {
  if (const GgmlTypeInfo* info = find_type(type)) return *info;
  throw IoError(fmt::format("[gguf] unknown ggml type {}", static_cast<uint32_t>(type)));
}

std::string ggml_type_name(GgmlType type) {
  if (const GgmlTypeInfo* info = find_type(type)) return std::string(info->name);
  return fmt::format("type {}", static_cast<uint32_t>(type));
}

size_t ggml_nbytes(GgmlType type, std::span<const int64_t> dims) {
  const GgmlTypeInfo& info = ggml_type_info(type);
  uint64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) throw IoError(fmt::format("[gguf] negative dim {}", d));
    if (__builtin_mul_overflow(n, static_cast<uint64_t>(d), &n))
      throw IoError("[gguf] tensor size overflows");
  }
  const int64_t row = dims.empty() ? 1 : dims[0];
  if (row % info.block_size != 0)
    throw IoError(
        fmt::format("[gguf] {} rows of {} elements are not a multiple of its block size {}",
                    info.name, row, info.block_size));
  uint64_t bytes;
  if (__builtin_mul_overflow(n / info.block_size, uint64_t{info.type_size}, &bytes))
    throw IoError("[gguf] tensor size overflows");
  return static_cast<size_t>(bytes);
}

size_t GgufValue::size() const {
  if (!is_array()) return 1;
  return std::visit(
      [](const auto& v) -> size_t {
        if constexpr (requires { v.size(); } &&
                      !std::is_same_v<std::decay_t<decltype(v)>, std::string>)
          return v.size();
        else
          return 1;
      },
      storage_);
}

int64_t GgufValue::as_int() const {
  if (const int64_t* v = std::get_if<int64_t>(&storage_)) return *v;
  throw IoError(fmt::format("[gguf] value of type {} is not an integer", value_type_name(type_)));
}

double GgufValue::as_float() const {
  if (const double* v = std::get_if<double>(&storage_)) return *v;
  if (const int64_t* v = std::get_if<int64_t>(&storage_)) return static_cast<double>(*v);
  throw IoError(fmt::format("[gguf] value of type {} is not a number", value_type_name(type_)));
}

const std::string& GgufValue::as_string() const {
  if (const std::string* v = std::get_if<std::string>(&storage_)) return *v;
  throw IoError(fmt::format("[gguf] value of type {} is not a string", value_type_name(type_)));
}

const std::vector<int64_t>& GgufValue::as_int_array() const {
  if (const auto* v = std::get_if<std::vector<int64_t>>(&storage_)) return *v;
  throw IoError(fmt::format("[gguf] value is not an integer array (it is {} of {})",
                            value_type_name(type_), value_type_name(element_type_)));
}

std::vector<double> GgufValue::as_float_array() const {
  if (const auto* v = std::get_if<std::vector<double>>(&storage_)) return *v;
  if (const auto* v = std::get_if<std::vector<int64_t>>(&storage_)) return {v->begin(), v->end()};
  throw IoError(fmt::format("[gguf] value is not a numeric array (it is {} of {})",
                            value_type_name(type_), value_type_name(element_type_)));
}

const std::vector<std::string>& GgufValue::as_string_array() const {
  if (const auto* v = std::get_if<std::vector<std::string>>(&storage_)) return *v;
  throw IoError(fmt::format("[gguf] value is not a string array (it is {} of {})",
                            value_type_name(type_), value_type_name(element_type_)));
}

const std::vector<GgufValue>& GgufValue::as_array_array() const {
  if (const auto* v = std::get_if<std::vector<GgufValue>>(&storage_)) return *v;
  throw IoError(fmt::format("[gguf] value is not an array of arrays (it is {} of {})",
                            value_type_name(type_), value_type_name(element_type_)));
}

nlohmann::json GgufValue::to_json() const {
  const GgufType t = is_array() ? element_type_ : type_;
  return std::visit(
      [&](const auto& v) -> nlohmann::json {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, int64_t>) {
          if (t == GgufType::BOOL) return v != 0;
          if (t == GgufType::UINT64) return static_cast<uint64_t>(v);
          return v;
        } else if constexpr (std::is_same_v<V, std::vector<int64_t>>) {
          nlohmann::json a = nlohmann::json::array();
          for (int64_t x : v) {
            if (t == GgufType::BOOL)
              a.push_back(x != 0);
            else if (t == GgufType::UINT64)
              a.push_back(static_cast<uint64_t>(x));
            else
              a.push_back(x);
          }
          return a;
        } else if constexpr (std::is_same_v<V, std::vector<GgufValue>>) {
          nlohmann::json a = nlohmann::json::array();
          for (const GgufValue& x : v) a.push_back(x.to_json());
          return a;
        } else {
          return v;
        }
      },
      storage_);
}

int64_t GgufTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

GgufFile GgufFile::open(const std::filesystem::path& path, MapAdvice advice) {
  GgufFile g;
  std::shared_ptr<const MappedFile> mapped = MappedFile::open(path, advice);
  return from_memory(mapped->data(), mapped->size(), mapped, path.string());
}

GgufFile GgufFile::from_memory(const void* data, size_t size, std::shared_ptr<const void> owner,
                               std::string name) {
  GgufFile g;
  g.owner_ = std::move(owner);
  g.path_ = name;
  GgufParser parser(static_cast<const uint8_t*>(data), size, std::move(name));
  parser.parse(g);
  return g;
}

const GgufValue* GgufFile::find(std::string_view key) const {
  auto it = key_index_.find(key);
  return it == key_index_.end() ? nullptr : &metadata_[it->second].second;
}

const GgufValue& GgufFile::get(std::string_view key) const {
  if (const GgufValue* v = find(key)) return *v;
  throw IoError(fmt::format("[gguf] {}: no metadata key '{}'", path().string(), key));
}

const GgufTensor* GgufFile::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const GgufTensor& GgufFile::tensor(std::string_view name) const {
  if (const GgufTensor* t = find_tensor(name)) return *t;
  throw IoError(fmt::format("[gguf] {}: no tensor named '{}'", path().string(), name));
}

}  // namespace lmx::io
