// SPDX-License-Identifier: MIT
// SHA-256 (FIPS 180-4), to check downloads against the Hub's LFS hashes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace lmx::io {

// Incremental SHA-256. Not thread-safe; one object per stream.
class Sha256 {
 public:
  Sha256();
  // Adds `n` bytes.
  void update(const void* data, size_t n);
  // Finishes and returns the digest as 64 lowercase hex digits (call once).
  std::string hex_digest();

 private:
  void compress(const uint8_t* block);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

// The SHA-256 of a whole file as hex; throws IoError when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace lmx::io
