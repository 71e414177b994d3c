// SPDX-License-Identifier: MIT
#include "lmx/io/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "lmx/io/error.h"

namespace lmx::io {
namespace {

using nlohmann::json;

// The safetensors reference implementation refuses headers above 100 MB; so do we.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct DtypeBits {
  std::string_view code;
  int bits;
};
constexpr DtypeBits kDtypes[] = {
    {"BOOL", 8},        {"U8", 8},          {"I8", 8},   {"F8_E4M3", 8}, {"F8_E5M2", 8},
    {"F8_E8M0", 8},     {"I16", 16},        {"U16", 16}, {"F16", 16},    {"BF16", 16},
    {"I32", 32},        {"U32", 32},        {"F32", 32}, {"I64", 64},    {"U64", 64},
    {"F64", 64},        {"C64", 64},        {"F4", 4},   {"F6_E2M3", 6}, {"F6_E3M2", 6},
    {"F8_E4M3FNUZ", 8}, {"F8_E5M2FNUZ", 8},
};

// numel * bits / 8, or throws when it overflows or is not a whole number of bytes.
uint64_t byte_size(const std::vector<int64_t>& shape, int bits, const std::string& what) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw IoError(fmt::format("{}: negative dimension {}", what, d));
    if (__builtin_mul_overflow(n, static_cast<uint64_t>(d), &n))
      throw IoError(fmt::format("{}: shape is too large", what));
  }
  uint64_t total_bits;
  if (__builtin_mul_overflow(n, static_cast<uint64_t>(bits), &total_bits))
    throw IoError(fmt::format("{}: shape is too large", what));
  if (total_bits % 8 != 0)
    throw IoError(
        fmt::format("{}: {} elements of {} bits are not a whole number of bytes", what, n, bits));
  return total_bits / 8;
}

uint64_t read_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::string shape_str(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

// Parses one tensor entry of the header; `where` is "FILE: tensor 'NAME'".
TensorView parse_entry(const std::string& name, const json& entry, const std::string& where,
                       uint64_t data_size, uint64_t* begin_out) {
  if (!entry.is_object()) throw IoError(fmt::format("{}: entry is not a JSON object", where));
  auto dt = entry.find("dtype");
  auto sh = entry.find("shape");
  auto off = entry.find("data_offsets");
  if (dt == entry.end() || !dt->is_string())
    throw IoError(fmt::format("{}: missing or non-string \"dtype\"", where));
  if (sh == entry.end() || !sh->is_array())
    throw IoError(fmt::format("{}: missing or non-array \"shape\"", where));
  if (off == entry.end() || !off->is_array() || off->size() != 2)
    throw IoError(fmt::format("{}: \"data_offsets\" must be [begin, end]", where));
  TensorView t;
  t.name = name;
  t.dtype = dt->get<std::string>();
  if (!is_known_dtype(t.dtype))
    throw IoError(fmt::format("{}: unknown dtype '{}'", where, t.dtype));
  for (const json& d : *sh) {
    if (!d.is_number_integer()) throw IoError(fmt::format("{}: shape holds a non-integer", where));
    t.shape.push_back(d.get<int64_t>());
  }
  for (const json& o : *off) {
    if (!o.is_number_unsigned())
      throw IoError(fmt::format("{}: data_offsets must be non-negative integers", where));
  }
  uint64_t begin = (*off)[0].get<uint64_t>(), end = (*off)[1].get<uint64_t>();
  if (end < begin)
    throw IoError(
        fmt::format("{}: data_offsets [{}, {}] end before they begin", where, begin, end));
  uint64_t expected = byte_size(t.shape, dtype_bits(t.dtype), where);
  if (end - begin != expected)
    throw IoError(fmt::format("{}: data_offsets [{}, {}] hold {} bytes but {} {} needs {}", where,
                              begin, end, end - begin, t.dtype, shape_str(t.shape), expected));
  if (end > data_size)
    throw IoError(fmt::format(
        "{}: data_offsets [{}, {}] run past the end of the data ({} bytes): file truncated?", where,
        begin, end, data_size));
  t.nbytes = static_cast<size_t>(expected);
  *begin_out = begin;
  return t;
}

// Rejects names that could escape the checkpoint folder.
void check_relative(const std::string& name, const std::filesystem::path& index) {
  std::filesystem::path p(name);
  bool bad = name.empty() || p.is_absolute();
  for (const auto& part : p) bad = bad || part == "..";
  if (bad) throw IoError(fmt::format("{}: bad shard file name '{}'", index.string(), name));
}

void add_all(std::map<std::string, TensorView>& out, const SafetensorsFile& file,
             std::map<std::string, std::filesystem::path>& seen) {
  for (const TensorView& t : file.tensors()) {
    auto [it, fresh] = seen.emplace(t.name, file.path());
    if (!fresh)
      throw IoError(fmt::format("[load_safetensors] tensor '{}' is in both {} and {}", t.name,
                                it->second.string(), file.path().string()));
    out.emplace(t.name, t);
  }
}

void write_all(int fd, const void* data, size_t n, const std::filesystem::path& path) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, std::min<size_t>(n, size_t{1} << 30));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0)
      throw IoError(fmt::format("[save_safetensors] writing {} failed: {}", path.string(),
                                std::strerror(errno)));
    p += w;
    n -= static_cast<size_t>(w);
  }
}

}  // namespace

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

bool is_known_dtype(std::string_view dtype) {
  return std::any_of(std::begin(kDtypes), std::end(kDtypes),
                     [&](const DtypeBits& d) { return d.code == dtype; });
}

int dtype_bits(std::string_view dtype) {
  for (const DtypeBits& d : kDtypes)
    if (d.code == dtype) return d.bits;
  throw IoError(fmt::format("[safetensors] unknown dtype '{}'", dtype));
}

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path, MapAdvice advice) {
  std::shared_ptr<const MappedFile> mapped = MappedFile::open(path, advice);
  return from_memory(mapped->data(), mapped->size(), mapped, path.string());
}

SafetensorsFile SafetensorsFile::from_memory(const void* data, size_t size_bytes,
                                             std::shared_ptr<const void> owner, std::string name) {
  SafetensorsFile st;
  st.path_ = name;
  const std::string& file = name;
  const uint64_t size = size_bytes;
  if (size < 8)
    throw IoError(
        fmt::format("[safetensors] {}: {} bytes is too short for a safetensors file", file, size));
  const auto* base = static_cast<const uint8_t*>(data);
  const uint64_t n = read_le64(base);
  if (n > size - 8)
    throw IoError(
        fmt::format("[safetensors] {}: header length {} runs past the end of the file ({} bytes): "
                    "truncated or not a safetensors file",
                    file, n, size));
  if (n > kMaxHeaderBytes)
    throw IoError(fmt::format("[safetensors] {}: header length {} is too large", file, n));
  if (n < 2 || base[8] != '{')
    throw IoError(fmt::format("[safetensors] {}: header is not a JSON object", file));
  st.header_size_ = static_cast<size_t>(n);
  json header;
  try {
    header = json::parse(base + 8, base + 8 + n);
  } catch (const json::exception& e) {
    throw IoError(fmt::format("[safetensors] {}: bad JSON header: {}", file, e.what()));
  }
  if (!header.is_object())
    throw IoError(fmt::format("[safetensors] {}: header is not a JSON object", file));

  const uint64_t data_start = 8 + n, data_size = size - data_start;
  std::vector<std::pair<uint64_t, TensorView>> entries;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (entry.is_null()) continue;
      if (!entry.is_object())
        throw IoError(fmt::format("[safetensors] {}: __metadata__ is not an object", file));
      for (const auto& [k, v] : entry.items()) {
        if (!v.is_string())
          throw IoError(
              fmt::format("[safetensors] {}: __metadata__ value of '{}' is not a string", file, k));
        st.metadata_[k] = v.get<std::string>();
      }
      continue;
    }
    uint64_t begin = 0;
    TensorView t = parse_entry(
        name, entry, fmt::format("[safetensors] {}: tensor '{}'", file, name), data_size, &begin);
    entries.emplace_back(begin, std::move(t));
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  // File order: each tensor must start at or after the end of the one before it.
  uint64_t max_end = 0;
  std::string max_end_name;
  for (auto& [begin, t] : entries) {
    if (t.nbytes > 0 && begin < max_end)
      throw IoError(
          fmt::format("[safetensors] {}: tensor '{}' (bytes {}..{}) overlaps '{}' "
                      "(which ends at byte {})",
                      file, t.name, begin, begin + t.nbytes, max_end_name, max_end));
    if (t.nbytes > 0 && begin + t.nbytes > max_end) {
      max_end = begin + t.nbytes;
      max_end_name = t.name;
    }
    t.data = base + data_start + begin;
    t.owner = owner;
    st.index_.emplace(t.name, st.tensors_.size());
    st.tensors_.push_back(std::move(t));
  }
  return st;
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const TensorView& t : tensors_) out.push_back(t.name);
  return out;
}

const TensorView& SafetensorsFile::get(std::string_view name) const {
  auto it = index_.find(name);
  if (it == index_.end())
    throw IoError(fmt::format("[safetensors] {}: no tensor named '{}'", path().string(), name));
  return tensors_[it->second];
}

std::map<std::string, TensorView> load_safetensors(const std::filesystem::path& path) {
  std::map<std::string, TensorView> out;
  const SafetensorsFile file = SafetensorsFile::open(path);
  for (const TensorView& t : file.tensors()) out.emplace(t.name, t);
  return out;
}

std::map<std::string, TensorView> load_safetensors_dir(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(dir))
    throw IoError(fmt::format("[load_safetensors] {} is not a folder", dir.string()));
  std::map<std::string, TensorView> out;
  std::map<std::string, fs::path> seen;
  const fs::path index_path = dir / "model.safetensors.index.json";
  if (fs::exists(index_path)) {
    json index;
    try {
      std::ifstream in(index_path);
      index = json::parse(in);
    } catch (const json::exception& e) {
      throw IoError(
          fmt::format("[load_safetensors] {}: bad JSON: {}", index_path.string(), e.what()));
    }
    auto wm = index.find("weight_map");
    if (!index.is_object() || wm == index.end() || !wm->is_object())
      throw IoError(
          fmt::format("[load_safetensors] {}: no \"weight_map\" object", index_path.string()));
    std::map<std::string, SafetensorsFile> shards;
    for (const auto& [name, shard] : wm->items()) {
      if (!shard.is_string())
        throw IoError(fmt::format("[load_safetensors] {}: weight_map entry '{}' is not a string",
                                  index_path.string(), name));
      const std::string shard_name = shard.get<std::string>();
      check_relative(shard_name, index_path);
      auto it = shards.find(shard_name);
      if (it == shards.end()) {
        const fs::path shard_path = dir / shard_name;
        if (!fs::exists(shard_path))
          throw IoError(
              fmt::format("[load_safetensors] {} names shard {} for tensor '{}', which "
                          "does not exist",
                          index_path.string(), shard_path.string(), name));
        it = shards.emplace(shard_name, SafetensorsFile::open(shard_path)).first;
        add_all(out, it->second, seen);
      }
      if (!it->second.contains(name))
        throw IoError(fmt::format("[load_safetensors] {} puts tensor '{}' in {}, which lacks it",
                                  index_path.string(), name, it->second.path().string()));
    }
    return out;
  }
  std::vector<fs::path> model_files, all_files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const fs::path& p = entry.path();
    if (p.extension() != ".safetensors" || !entry.is_regular_file()) continue;
    all_files.push_back(p);
    if (p.filename().string().rfind("model", 0) == 0) model_files.push_back(p);
  }
  std::vector<fs::path>& files = model_files.empty() ? all_files : model_files;
  if (files.empty())
    throw IoError(fmt::format("[load_safetensors] no *.safetensors files in {}", dir.string()));
  std::sort(files.begin(), files.end());
  for (const fs::path& p : files) add_all(out, SafetensorsFile::open(p), seen);
  return out;
}

void save_safetensors(const std::filesystem::path& path, const std::vector<TensorView>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  // Place wider dtypes first so that every tensor stays aligned to its element size.
  std::vector<const TensorView*> order;
  std::set<std::string_view> names;
  for (const TensorView& t : tensors) {
    const std::string where =
        fmt::format("[save_safetensors] {}: tensor '{}'", path.string(), t.name);
    if (t.name.empty() || t.name == "__metadata__") throw IoError(where + ": invalid name");
    if (!names.insert(t.name).second) throw IoError(where + ": duplicate name");
    if (!is_known_dtype(t.dtype))
      throw IoError(fmt::format("{}: unknown dtype '{}'", where, t.dtype));
    const uint64_t expected = byte_size(t.shape, dtype_bits(t.dtype), where);
    if (expected != t.nbytes)
      throw IoError(fmt::format("{}: nbytes is {} but {} {} needs {}", where, t.nbytes, t.dtype,
                                shape_str(t.shape), expected));
    if (t.nbytes > 0 && !t.data) throw IoError(where + ": null data");
    order.push_back(&t);
  }
  std::stable_sort(order.begin(), order.end(), [](const TensorView* a, const TensorView* b) {
    return dtype_bits(a->dtype) > dtype_bits(b->dtype);
  });
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const TensorView* t : order) {
    header[t->name] = {
        {"dtype", t->dtype}, {"shape", t->shape}, {"data_offsets", {offset, offset + t->nbytes}}};
    offset += t->nbytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(uint64_t{text.size()} >> (8 * i));

  static std::atomic<uint64_t> counter{0};
  const std::filesystem::path tmp =
      path.string() + fmt::format(".tmp-{}-{}", ::getpid(), counter.fetch_add(1));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    throw IoError(
        fmt::format("[save_safetensors] cannot create {}: {}", tmp.string(), std::strerror(errno)));
  try {
    write_all(fd, len, 8, tmp);
    write_all(fd, text.data(), text.size(), tmp);
    for (const TensorView* t : order) write_all(fd, t->data, t->nbytes, tmp);
    if (::fsync(fd) != 0)
      throw IoError(fmt::format("[save_safetensors] fsync {} failed: {}", tmp.string(),
                                std::strerror(errno)));
    if (::close(fd) != 0) {
      fd = -1;
      throw IoError(fmt::format("[save_safetensors] close {} failed: {}", tmp.string(),
                                std::strerror(errno)));
    }
    fd = -1;
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      throw IoError(fmt::format("[save_safetensors] cannot rename {} to {}: {}", tmp.string(),
                                path.string(), std::strerror(errno)));
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  // Make the rename itself durable.
  const std::filesystem::path parent = path.has_parent_path() ? path.parent_path() : ".";
  int dfd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::vector<std::filesystem::path> save_safetensors_dir(
    const std::filesystem::path& dir, const std::vector<TensorView>& tensors,
    const std::map<std::string, std::string>& metadata, uint64_t max_shard_bytes) {
  std::filesystem::create_directories(dir);
  std::vector<std::vector<TensorView>> shards(1);
  uint64_t shard_bytes = 0, total = 0;
  for (const TensorView& t : tensors) {
    if (!shards.back().empty() && shard_bytes + t.nbytes > max_shard_bytes) {
      shards.emplace_back();
      shard_bytes = 0;
    }
    shards.back().push_back(t);
    shard_bytes += t.nbytes;
    total += t.nbytes;
  }
  json index = {{"metadata", {{"total_size", total}}}, {"weight_map", json::object()}};
  std::vector<std::filesystem::path> written;
  for (size_t i = 0; i < shards.size(); ++i) {
    const std::string name = shards.size() == 1 ? "model.safetensors"
                                                : fmt::format("model-{:05d}-of-{:05d}.safetensors",
                                                              i + 1, shards.size());
    save_safetensors(dir / name, shards[i], metadata);
    for (const TensorView& t : shards[i]) index["weight_map"][t.name] = name;
    written.push_back(dir / name);
  }
  const std::string text = index.dump(4);
  const std::filesystem::path index_path = dir / "model.safetensors.index.json";
  const std::filesystem::path tmp = index_path.string() + fmt::format(".tmp-{}", ::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out.flush())
      throw IoError(fmt::format("[save_safetensors] cannot write {}", tmp.string()));
  }
  std::filesystem::rename(tmp, index_path);
  return written;
}

}  // namespace lmx::io
