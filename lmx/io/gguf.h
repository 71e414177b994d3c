// SPDX-License-Identifier: MIT
// GGUF (versions 1, 2 and 3): metadata, tensor infos and zero-copy views of tensor data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "lmx/io/mapped_file.h"

namespace lmx::io {

// ggml tensor types, numbered as in GGUF files. Gaps are types ggml has removed.
enum class GgmlType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  MXFP4 = 39,
};

// Block layout of a ggml type: `block_size` elements take `type_size` bytes.
struct GgmlTypeInfo {
  std::string_view name;
  int64_t block_size;
  size_t type_size;
};

// The layout of `type`; throws IoError ("unknown ggml type N") for a number not listed above.
const GgmlTypeInfo& ggml_type_info(GgmlType type);
// "Q4_0", "F32", ... or "type N" for an unknown number; never throws.
std::string ggml_type_name(GgmlType type);
// Bytes of a tensor of `type` with ggml dims (ne[0] innermost); throws IoError when ne[0] is
// not a multiple of the block size, a dim is negative, or the size overflows.
size_t ggml_nbytes(GgmlType type, std::span<const int64_t> dims);

// Metadata value types, numbered as in GGUF files.
enum class GgufType : uint32_t {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
};

// One metadata value: a scalar, a string or an array (possibly of arrays). Integers and bools
// are held as int64 (UINT64 keeps its bits: read it back with as_uint()), floats as double.
class GgufValue {
 public:
  using Storage =
      std::variant<int64_t, double, std::string, std::vector<int64_t>, std::vector<double>,
                   std::vector<std::string>, std::vector<GgufValue>>;
  // An INT64 zero.
  GgufValue() : type_(GgufType::INT64), storage_(int64_t{0}) {}
  // A value as the parser builds it: `storage` must fit `type` (and `element_type` for arrays).
  GgufValue(GgufType type, GgufType element_type, Storage storage)
      : type_(type), element_type_(element_type), storage_(std::move(storage)) {}

  // The value's type; ARRAY for arrays.
  GgufType type() const { return type_; }
  // The element type of an array (meaningless for scalars).
  GgufType element_type() const { return element_type_; }
  // Whether it is an array / a string.
  bool is_array() const { return type_ == GgufType::ARRAY; }
  bool is_string() const { return type_ == GgufType::STRING; }
  // Number of elements of an array; 1 for a scalar.
  size_t size() const;

  // Scalar readers; each throws IoError when the value is of another kind. as_int() accepts
  // integers and bools; as_float() also accepts integers.
  int64_t as_int() const;
  uint64_t as_uint() const { return static_cast<uint64_t>(as_int()); }
  double as_float() const;
  bool as_bool() const { return as_int() != 0; }
  const std::string& as_string() const;

  // Array readers (throw IoError on a mismatch): integer/bool arrays, float arrays (integer
  // arrays convert), string arrays, and arrays of arrays.
  const std::vector<int64_t>& as_int_array() const;
  std::vector<double> as_float_array() const;
  const std::vector<std::string>& as_string_array() const;
  const std::vector<GgufValue>& as_array_array() const;

  // The value as JSON (arrays become JSON arrays), e.g. to print metadata.
  nlohmann::json to_json() const;

 private:
  GgufType type_;
  GgufType element_type_ = GgufType::UINT8;
  Storage storage_;
};

// One tensor: its info from the header plus a view of its bytes in the mapping.
struct GgufTensor {
  std::string name;
  std::vector<int64_t> dims;  // ggml order: dims[0] is the innermost (contiguous) axis
  GgmlType type = GgmlType::F32;
  uint64_t offset = 0;  // from the start of the data section
  const void* data = nullptr;
  size_t nbytes = 0;
  std::shared_ptr<const void> owner;  // keeps the mapping alive

  // Row-major shape (dims reversed), as safetensors and lmx arrays use.
  std::vector<int64_t> shape() const { return {dims.rbegin(), dims.rend()}; }
  // Number of elements.
  int64_t numel() const;
};

// A GGUF file, mapped read-only and validated. Immutable after open: safe to share.
class GgufFile {
 public:
  // Maps and parses `path`; throws IoError naming the file (and the key or tensor) for a bad
  // magic, an unsupported version, a truncated header or data, bad types, sizes or offsets.
  static GgufFile open(const std::filesystem::path& path, MapAdvice advice = MapAdvice::kWillNeed);
  // Parses GGUF bytes already in memory, validated as open() does. `owner` keeps
  // [data, data + size) alive; `name` stands for the file in messages.
  static GgufFile from_memory(const void* data, size_t size, std::shared_ptr<const void> owner,
                              std::string name);

  // The file it was opened from (or the name given to from_memory).
  const std::filesystem::path& path() const { return path_; }
  // GGUF version: 1, 2 or 3.
  uint32_t version() const { return version_; }
  // general.alignment, or 32.
  uint64_t alignment() const { return alignment_; }
  // Byte offset of the data section in the file.
  uint64_t data_offset() const { return data_offset_; }

  // Metadata in file order.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }
  // The value of `key`, or null when absent.
  const GgufValue* find(std::string_view key) const;
  // The value of `key`; throws IoError naming the file and key when absent.
  const GgufValue& get(std::string_view key) const;

  // Every tensor, in header order.
  const std::vector<GgufTensor>& tensors() const { return tensors_; }
  // The tensor `name`, or null when absent.
  const GgufTensor* find_tensor(std::string_view name) const;
  // The tensor `name`; throws IoError naming the file when absent.
  const GgufTensor& tensor(std::string_view name) const;

 private:
  std::shared_ptr<const void> owner_;
  std::filesystem::path path_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::map<std::string, size_t, std::less<>> key_index_;
  std::vector<GgufTensor> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;

  friend class GgufParser;
};

// Converts `n` elements of `type` at `src` to float32 at `dst` (n must be a multiple of the
// block size). Supports F32, F16, BF16, F64, I8, I16, I32, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0,
// Q2_K..Q6_K, IQ4_NL, IQ4_XS and MXFP4; throws IoError "unsupported ggml type" for others.
void dequantize_to_f32(GgmlType type, const void* src, float* dst, int64_t n);

// A whole tensor as float32, in the same element order (shape() row-major).
std::vector<float> dequantize_to_f32(const GgufTensor& tensor);

// IEEE half and bfloat16 bit patterns to float.
float f16_to_f32(uint16_t bits);
float bf16_to_f32(uint16_t bits);

}  // namespace lmx::io
