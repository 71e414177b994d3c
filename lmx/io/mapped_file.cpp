// SPDX-License-Identifier: MIT
#include "lmx/io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "lmx/io/error.h"

namespace lmx::io {
namespace {

int to_madvise(MapAdvice advice) {
  switch (advice) {
    case MapAdvice::kSequential:
      return MADV_SEQUENTIAL;
    case MapAdvice::kRandom:
      return MADV_RANDOM;
    case MapAdvice::kWillNeed:
      return MADV_WILLNEED;
    case MapAdvice::kNormal:
      break;
  }
  return MADV_NORMAL;
}

}  // namespace

std::shared_ptr<const MappedFile> MappedFile::open(const std::filesystem::path& path,
                                                   MapAdvice advice) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw IoError(fmt::format("[open] cannot open {}: {}", path.string(), std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int err = errno;
    ::close(fd);
    throw IoError(fmt::format("[open] {} is not a regular file{}", path.string(),
                              err ? std::string(": ") + std::strerror(err) : ""));
  }
  std::shared_ptr<MappedFile> file(new MappedFile());
  file->path_ = path;
  file->size_ = static_cast<size_t>(st.st_size);
  if (file->size_ > 0) {
    void* p = ::mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      throw IoError(fmt::format("[open] cannot map {} ({} bytes): {}", path.string(), file->size_,
                                std::strerror(err)));
    }
    file->data_ = static_cast<const uint8_t*>(p);
    file->advise(0, file->size_, advice);
  }
  ::close(fd);  // the mapping keeps its own reference to the file
  return file;
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

void MappedFile::advise(size_t offset, size_t length, MapAdvice advice) const {
  if (!data_ || offset >= size_) return;
  length = std::min(length, size_ - offset);
  // madvise wants a page-aligned start; round down (advice is only a hint).
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t start = offset / page * page;
  ::madvise(const_cast<uint8_t*>(data_) + start, length + (offset - start), to_madvise(advice));
}

}  // namespace lmx::io
