// SPDX-License-Identifier: MIT
// Safetensors: zero-copy memory-mapped reading, sharded checkpoints, atomic writing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lmx/io/mapped_file.h"

namespace lmx::io {

// A tensor's bytes in place (row-major, little-endian), never copied. `owner` keeps the
// backing memory (a file mapping, or whatever the producer chose) alive; copies share it.
struct TensorView {
  std::string name;
  std::string dtype;  // the safetensors code: F32, F16, BF16, I8, U8, ..., BOOL, F8_E4M3
  std::vector<int64_t> shape;
  const void* data = nullptr;
  size_t nbytes = 0;
  std::shared_ptr<const void> owner;

  // Number of elements (1 for a scalar, i.e. an empty shape).
  int64_t numel() const;
};

// Bits per element of a safetensors dtype code (e.g. 16 for "BF16", 4 for "F4"); throws
// IoError for an unknown code.
int dtype_bits(std::string_view dtype);

// Whether `dtype` is a safetensors dtype code this reader knows.
bool is_known_dtype(std::string_view dtype);

// One .safetensors file, mapped read-only. Views stay valid as long as any of them (or this
// object) lives. Immutable after open: safe to share between threads.
class SafetensorsFile {
 public:
  // Maps and validates `path` (header length, JSON, dtypes, shapes, offsets inside the file,
  // no overlaps). Throws IoError naming the file and, where it applies, the tensor.
  static SafetensorsFile open(const std::filesystem::path& path,
                              MapAdvice advice = MapAdvice::kWillNeed);
  // Parses safetensors bytes already in memory (e.g. embedded in the binary), validated as
  // open() does. `owner` keeps [data, data + size) alive; `name` stands for the file.
  static SafetensorsFile from_memory(const void* data, size_t size,
                                     std::shared_ptr<const void> owner, std::string name);

  // The file this was opened from.
  const std::filesystem::path& path() const { return path_; }
  // Every tensor, in the order of their data in the file.
  const std::vector<TensorView>& tensors() const { return tensors_; }
  // Tensor names in file order.
  std::vector<std::string> names() const;
  // Whether a tensor named `name` exists.
  bool contains(std::string_view name) const { return index_.find(name) != index_.end(); }
  // The tensor `name`; throws IoError naming the file when it is absent.
  const TensorView& get(std::string_view name) const;
  // The "__metadata__" string map (empty when the file has none).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // Size of the JSON header in bytes (after the 8-byte length).
  size_t header_size() const { return header_size_; }

 private:
  std::filesystem::path path_;
  std::vector<TensorView> tensors_;
  std::map<std::string, size_t, std::less<>> index_;
  std::map<std::string, std::string> metadata_;
  size_t header_size_ = 0;
};

// All tensors of a checkpoint folder, by name. Uses model.safetensors.index.json when
// present (every shard it names must exist and hold the tensors it lists), else every
// model*.safetensors file, else every *.safetensors file. A name found twice is an error.
std::map<std::string, TensorView> load_safetensors_dir(const std::filesystem::path& dir);

// All tensors of one file, by name (a convenience over SafetensorsFile::open).
std::map<std::string, TensorView> load_safetensors(const std::filesystem::path& path);

// Writes `tensors` (in the given order) and `metadata` to `path` atomically: a temporary
// file in the same folder, fsync, rename. The header is space-padded to a multiple of 8
// bytes. Throws IoError for duplicate names, bad dtypes or nbytes != numel * dtype size.
void save_safetensors(const std::filesystem::path& path, const std::vector<TensorView>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Writes a checkpoint folder as MLX-LM does: model.safetensors, or shards
// model-0000i-of-0000n.safetensors of at most `max_shard_bytes` each (a larger tensor gets a
// shard of its own), plus model.safetensors.index.json. Returns the weight files written.
std::vector<std::filesystem::path> save_safetensors_dir(
    const std::filesystem::path& dir, const std::vector<TensorView>& tensors,
    const std::map<std::string, std::string>& metadata = {},
    uint64_t max_shard_bytes = 5'000'000'000);

}  // namespace lmx::io
