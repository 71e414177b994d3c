// SPDX-License-Identifier: MIT
// A read-only, private memory mapping of a whole file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>

namespace lmx::io {

// How the mapping will be read; passed to madvise().
enum class MapAdvice { kNormal, kSequential, kRandom, kWillNeed };

// A file mapped with mmap(PROT_READ, MAP_PRIVATE); unmapped when the last shared_ptr goes.
// Immutable after open, so any number of threads may read it.
class MappedFile {
 public:
  // Maps `path`; throws IoError naming the file when it cannot be opened or mapped.
  // An empty file maps to size() == 0 and a null data().
  static std::shared_ptr<const MappedFile> open(const std::filesystem::path& path,
                                                MapAdvice advice = MapAdvice::kWillNeed);
  // Unmaps the file.
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // First byte of the file (null when empty).
  const uint8_t* data() const { return data_; }
  // File size in bytes at the time of mapping.
  size_t size() const { return size_; }
  // The path it was opened from.
  const std::filesystem::path& path() const { return path_; }
  // Re-advises the kernel about the bytes [offset, offset + length) (clamped to the file).
  void advise(size_t offset, size_t length, MapAdvice advice) const;

 private:
  MappedFile() = default;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::filesystem::path path_;
};

}  // namespace lmx::io
