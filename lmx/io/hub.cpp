// SPDX-License-Identifier: MIT
#include "lmx/io/hub.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lmx/io/error.h"
#include "lmx/io/http.h"
#include "lmx/io/sha256.h"

namespace lmx::io {
namespace fs = std::filesystem;
namespace {

using nlohmann::json;

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::optional<std::string> read_text(const fs::path& p) {
  std::ifstream in(p);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool is_commit_hash(std::string_view s) {
  return s.size() == 40 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
         });
}

fs::path hf_home() {
  if (auto h = env("HF_HOME")) return *h;
  if (auto x = env("XDG_CACHE_HOME")) return fs::path(*x) / "huggingface";
  return fs::path(env("HOME").value_or("/")) / ".cache" / "huggingface";
}

std::optional<std::string> token_from_env() {
  if (auto t = env("HF_TOKEN")) return trim(*t);
  if (auto t = env("HUGGING_FACE_HUB_TOKEN")) return trim(*t);
  const fs::path file = env("HF_TOKEN_PATH").value_or((hf_home() / "token").string());
  if (auto t = read_text(file); t && !trim(*t).empty()) return trim(*t);
  return std::nullopt;
}

// What a checkpoint folder lacks: config.json and the weights (every indexed shard).
std::vector<std::string> checkpoint_missing(const fs::path& dir) {
  std::vector<std::string> missing;
  if (!fs::exists(dir / "config.json")) missing.push_back("config.json");
  const fs::path index = dir / "model.safetensors.index.json";
  if (fs::exists(index)) {
    try {
      std::ifstream in(index);
      json j = json::parse(in);
      std::vector<std::string> shards;
      for (const auto& [name, shard] : j.at("weight_map").items())
        if (shard.is_string()) shards.push_back(shard.get<std::string>());
      std::sort(shards.begin(), shards.end());
      shards.erase(std::unique(shards.begin(), shards.end()), shards.end());
      for (const std::string& s : shards)
        if (!fs::exists(dir / s)) missing.push_back(s);
    } catch (const json::exception&) {
      missing.push_back("a readable model.safetensors.index.json");
    }
    return missing;
  }
  bool any = false;
  for (const auto& e : fs::directory_iterator(dir))
    any = any || (e.path().extension() == ".safetensors" && fs::exists(e.path()));
  if (!any) missing.push_back("*.safetensors weights");
  return missing;
}

// Files of `siblings` to fetch: those matching a pattern, with the safetensors rule of
// kCheckpointPatterns (other *.safetensors only when there is no model*.safetensors).
std::vector<std::string> select_files(const std::vector<std::string>& siblings,
                                      const std::vector<std::string>& patterns) {
  auto matches = [](const std::string& pattern, const std::string& name) {
    return ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
  };
  const bool model_rule =
      std::find(patterns.begin(), patterns.end(), "model*.safetensors") != patterns.end();
  const bool has_model = std::any_of(siblings.begin(), siblings.end(), [&](const std::string& s) {
    return matches("model*.safetensors", s);
  });
  std::vector<std::string> out;
  for (const std::string& s : siblings) {
    bool take = std::any_of(patterns.begin(), patterns.end(),
                            [&](const std::string& p) { return matches(p, s); });
    if (!take && model_rule && !has_model)
      take = matches("*.safetensors", s) && s.find('/') == std::string::npos;
    if (take) out.push_back(s);
  }
  return out;
}

std::string human_bytes(double b) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000 && u < 4) b /= 1000, ++u;
  return u == 0 ? fmt::format("{:.0f} {}", b, units[u]) : fmt::format("{:.1f} {}", b, units[u]);
}

// One line on stderr, redrawn at most ten times a second.
class ProgressBar {
 public:
  ProgressBar(bool enabled, std::string name) : enabled_(enabled), name_(std::move(name)) {}
  void update(uint64_t now, uint64_t total, bool force = false) {
    if (!enabled_) return;
    const auto t = std::chrono::steady_clock::now();
    if (!force && t - last_ < std::chrono::milliseconds(100)) return;
    last_ = t;
    const double secs = std::chrono::duration<double>(t - start_).count();
    const double rate = secs > 0 ? static_cast<double>(now - std::min(now, first_)) / secs : 0;
    std::string pct = total ? fmt::format("{:3d}%", static_cast<int>(100.0 * now / total)) : "   ?";
    std::fprintf(stderr, "\r%-40.40s %s %10s / %-10s %10s/s ", name_.c_str(), pct.c_str(),
                 human_bytes(static_cast<double>(now)).c_str(),
                 total ? human_bytes(static_cast<double>(total)).c_str() : "?",
                 human_bytes(rate).c_str());
    std::fflush(stderr);
  }
  void start(uint64_t already) { first_ = already; }
  void finish(uint64_t total) {
    if (!enabled_) return;
    update(total, total, true);
    std::fputc('\n', stderr);
  }

 private:
  bool enabled_;
  std::string name_;
  uint64_t first_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_{};
};

struct Hub {
  std::string repo, endpoint;
  std::optional<std::string> token;
  fs::path folder;  // <cache>/models--org--name
  bool progress;

  std::vector<std::string> auth() const {
    if (!token) return {};
    return {"Authorization: Bearer " + *token};
  }

  [[noreturn]] void fail(const std::string& what, const HttpResponse& r) const {
    const std::string head = fmt::format("[hub] {}: {}", repo, what);
    if (!r.error.empty())
      throw IoError(
          fmt::format("{} failed: cannot reach {}: {} (HF_HUB_OFFLINE=1 uses only the "
                      "local cache)",
                      head, endpoint, r.error));
    switch (r.status) {
      case 401:
        throw IoError(
            fmt::format("{}: 401 Unauthorized: the repo does not exist, or is private "
                        "or gated and needs HF_TOKEN{}",
                        head, token ? " (the token given was refused)" : ""));
      case 403:
        throw IoError(
            fmt::format("{}: 403 Forbidden: a gated repo; accept its terms on the Hub "
                        "and set HF_TOKEN",
                        head));
      case 404:
        throw IoError(fmt::format("{}: 404 Not Found: no such repo, revision or file", head));
      default:
        throw IoError(fmt::format("{}: HTTP {} {}", head, r.status, r.body.substr(0, 200)));
    }
  }

  void download(const std::string& commit, const std::string& file, const fs::path& snapshot) const;
  void fetch_blob(const std::string& url, const std::string& file, const fs::path& blob,
                  std::optional<uint64_t> expected) const;
};

std::string strip_etag(std::string e) {
  if (e.rfind("W/", 0) == 0) e = e.substr(2);
  if (e.size() >= 2 && e.front() == '"' && e.back() == '"') e = e.substr(1, e.size() - 2);
  return e;
}

std::optional<uint64_t> header_size(const HttpResponse& r, const char* name) {
  auto it = r.headers.find(name);
  if (it == r.headers.end()) return std::nullopt;
  try {
    return std::stoull(it->second);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

uint64_t file_size_or_zero(const fs::path& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

void Hub::fetch_blob(const std::string& url, const std::string& file, const fs::path& blob,
                     std::optional<uint64_t> expected) const {
  const fs::path part = blob.string() + ".incomplete";
  // LFS blobs are named by their SHA-256: check it (a bad resume must not go unnoticed).
  const std::string etag = blob.filename().string();
  const bool lfs = etag.size() == 64 && std::all_of(etag.begin(), etag.end(), [](char c) {
                     return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
                   });
  ProgressBar bar(progress, file);
  constexpr int kAttempts = 5;
  for (int attempt = 0;; ++attempt) {
    const bool last = attempt + 1 >= kAttempts;
    uint64_t have = file_size_or_zero(part);
    if (expected && have > *expected) {
      fs::resize_file(part, 0);
      have = 0;
    }
    if (!expected || have < *expected) {  // else a complete .incomplete: only verify it
      const int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) throw IoError(fmt::format("[hub] {}: cannot create {}", repo, part.string()));
      bar.start(have);
      HttpRequest req{.url = url, .headers = auth(), .resume_from = have, .fd = fd};
      req.progress = [&](uint64_t now, uint64_t total) {
        bar.update(now, total ? total : expected.value_or(0));
      };
      HttpResponse r = http_request(req);
      ::fsync(fd);
      ::close(fd);
      const bool retry = r.transient || r.status == 416 || r.status >= 500;
      if (r.status == 416) fs::resize_file(part, 0);  // our partial file does not fit: restart
      if (retry && !last) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200 << attempt));
        continue;
      }
      if (!r.error.empty() || (r.status != 200 && r.status != 206)) fail("downloading " + file, r);
    }
    const uint64_t now = file_size_or_zero(part);
    if (expected && now < *expected && !last) continue;  // cut short: resume
    if (expected && now != *expected)
      throw IoError(fmt::format("[hub] {}: {} has {} bytes, the Hub announced {}", repo, file, now,
                                *expected));
    if (lfs) {
      if (const std::string got = sha256_file(part); got != etag) {
        fs::resize_file(part, 0);
        if (!last) continue;  // start over from the first byte
        throw IoError(fmt::format("[hub] {}: {} has SHA-256 {}, the Hub announced {}", repo, file,
                                  got, etag));
      }
    }
    break;
  }
  bar.finish(file_size_or_zero(part));
  fs::rename(part, blob);
}

void Hub::download(const std::string& commit, const std::string& file,
                   const fs::path& snapshot) const {
  const std::string url = fmt::format("{}/{}/resolve/{}/{}", endpoint, repo,
                                      url_quote(commit, false), url_quote(file, true));
  HttpResponse head =
      http_request({.url = url, .head = true, .headers = auth(), .follow_redirects = false});
  if (!head.error.empty() || head.status >= 400) fail("looking up " + file, head);
  std::string etag;
  if (auto it = head.headers.find("x-linked-etag"); it != head.headers.end())
    etag = it->second;
  else if (auto it2 = head.headers.find("etag"); it2 != head.headers.end())
    etag = it2->second;
  etag = strip_etag(etag);
  if (etag.empty() || etag.find('/') != std::string::npos || etag == "." || etag == "..")
    throw IoError(fmt::format("[hub] {}: the Hub sent no usable ETag for {}", repo, file));
  std::optional<uint64_t> expected = header_size(head, "x-linked-size");
  if (!expected && head.status == 200) expected = header_size(head, "content-length");

  const fs::path blob = folder / "blobs" / etag;
  if (!fs::exists(blob)) {
    fs::create_directories(blob.parent_path());
    // One process per blob: huggingface_hub's lock file layout.
    const fs::path lock = folder.parent_path() / ".locks" / folder.filename() / (etag + ".lock");
    fs::create_directories(lock.parent_path());
    const int lfd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lfd >= 0) ::flock(lfd, LOCK_EX);
    try {
      if (!fs::exists(blob)) fetch_blob(url, file, blob, expected);
    } catch (...) {
      if (lfd >= 0) ::close(lfd);
      throw;
    }
    if (lfd >= 0) ::close(lfd);
  }
  const fs::path link = snapshot / file;
  fs::create_directories(link.parent_path());
  std::error_code ec;
  fs::remove(link, ec);
  fs::create_symlink(blob.lexically_relative(link.parent_path()), link, ec);
  if (ec) fs::copy_file(blob, link, fs::copy_options::overwrite_existing);
}

void write_atomically(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  const fs::path tmp = path.string() + fmt::format(".tmp-{}", ::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) throw IoError(fmt::format("[hub] cannot write {}", tmp.string()));
  }
  fs::rename(tmp, path);
}

}  // namespace

fs::path hub_cache_dir() {
  if (auto c = env("HF_HUB_CACHE")) return *c;
  if (auto c = env("HUGGINGFACE_HUB_CACHE")) return *c;
  return hf_home() / "hub";
}

bool hub_offline_from_env() {
  auto v = env("HF_HUB_OFFLINE");
  if (!v) return false;
  std::string s = trim(*v);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s == "1" || s == "true" || s == "yes" || s == "on";
}

bool is_repo_id(std::string_view s) {
  if (s.empty() || s.size() > 96) return false;
  if (s.find("--") != std::string_view::npos || s.find("..") != std::string_view::npos)
    return false;
  const size_t slash = s.find('/');
  if (slash != std::string_view::npos && s.find('/', slash + 1) != std::string_view::npos)
    return false;
  auto part_ok = [](std::string_view p) {
    if (p.empty() || p.front() == '-' || p.front() == '.' || p.back() == '-' || p.back() == '.')
      return false;
    return std::all_of(p.begin(), p.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
  };
  if (slash == std::string_view::npos) return part_ok(s);
  return part_ok(s.substr(0, slash)) && part_ok(s.substr(slash + 1));
}

fs::path repo_cache_folder(const fs::path& cache, std::string_view repo_id) {
  std::string name = "models--";
  for (char c : repo_id) name += c == '/' ? std::string("--") : std::string(1, c);
  return cache / name;
}

std::optional<fs::path> cached_snapshot(std::string_view repo_id, const HubOptions& options) {
  const fs::path folder = repo_cache_folder(options.cache.value_or(hub_cache_dir()), repo_id);
  const std::string revision = options.revision.empty() ? "main" : options.revision;
  std::string commit = revision;
  if (!is_commit_hash(revision)) {
    if (revision.find("..") != std::string::npos) return std::nullopt;
    auto ref = read_text(folder / "refs" / revision);
    if (!ref) return std::nullopt;
    commit = trim(*ref);
    if (!is_commit_hash(commit)) return std::nullopt;
  }
  const fs::path snapshot = folder / "snapshots" / commit;
  if (!fs::is_directory(snapshot)) return std::nullopt;
  return snapshot;
}

fs::path snapshot_download(std::string_view repo_id, const HubOptions& options) {
  if (!is_repo_id(repo_id))
    throw IoError(fmt::format("[hub] '{}' is not a valid repo id (org/name)", repo_id));
  const std::string revision = options.revision.empty() ? "main" : options.revision;
  const fs::path cache = fs::absolute(options.cache.value_or(hub_cache_dir()));
  if (options.offline.value_or(hub_offline_from_env())) {
    if (auto s = cached_snapshot(repo_id, options)) return *s;
    throw IoError(
        fmt::format("[hub] {}: revision '{}' is not in the cache {} and HF_HUB_OFFLINE "
                    "forbids downloading it",
                    repo_id, revision, cache.string()));
  }
  Hub hub{std::string(repo_id),
          options.endpoint.value_or(env("HF_ENDPOINT").value_or("https://huggingface.co")),
          options.token ? options.token : token_from_env(), repo_cache_folder(cache, repo_id),
          options.progress.value_or(::isatty(STDERR_FILENO) != 0)};
  while (!hub.endpoint.empty() && hub.endpoint.back() == '/') hub.endpoint.pop_back();
  if (hub.token && hub.token->empty()) hub.token.reset();  // "" means: send no token

  const std::string api = fmt::format("{}/api/models/{}/revision/{}", hub.endpoint, hub.repo,
                                      url_quote(revision, false));
  HttpResponse info = http_request({.url = api, .headers = hub.auth()});
  if (!info.error.empty() || info.status != 200) hub.fail("listing revision " + revision, info);
  std::string commit;
  std::vector<std::string> siblings;
  try {
    json j = json::parse(info.body);
    commit = j.at("sha").get<std::string>();
    for (const json& s : j.at("siblings")) siblings.push_back(s.at("rfilename").get<std::string>());
  } catch (const json::exception& e) {
    throw IoError(fmt::format("[hub] {}: unexpected answer from {}: {}", hub.repo, api, e.what()));
  }
  if (!is_commit_hash(commit))
    throw IoError(fmt::format("[hub] {}: the Hub sent a bad commit hash '{}'", hub.repo, commit));
  std::vector<std::string> files = select_files(siblings, options.allow_patterns);
  for (const std::string& f : files) {
    const fs::path p(f);
    if (p.is_absolute() ||
        std::any_of(p.begin(), p.end(), [](const fs::path& c) { return c == ".."; }))
      throw IoError(fmt::format("[hub] {}: refusing file name '{}'", hub.repo, f));
  }
  const fs::path snapshot = hub.folder / "snapshots" / commit;
  fs::create_directories(snapshot);
  if (hub.progress)
    std::fprintf(stderr, "Fetching %zu files from %s (%s)\n", files.size(), hub.repo.c_str(),
                 commit.substr(0, 8).c_str());
  for (const std::string& f : files) hub.download(commit, f, snapshot);
  if (revision != commit) write_atomically(hub.folder / "refs" / revision, commit);
  return snapshot;
}

fs::path resolve_model_path(std::string_view path_or_repo, const HubOptions& options) {
  const std::string arg(path_or_repo);
  if (fs::exists(arg)) return arg;
  HubOptions opts = options;
  std::string repo = arg;
  if (const size_t at = arg.rfind('@'); at != std::string::npos && is_repo_id(arg.substr(0, at))) {
    repo = arg.substr(0, at);
    opts.revision = arg.substr(at + 1);
  }
  if (!is_repo_id(repo))
    throw IoError(
        fmt::format("[load] {}: no such file or folder (and not a Hugging Face repo id)", arg));
  const bool offline = opts.offline.value_or(hub_offline_from_env());
  const auto cached = cached_snapshot(repo, opts);
  if (cached && checkpoint_missing(*cached).empty()) return *cached;
  if (offline) {
    const fs::path cache = opts.cache.value_or(hub_cache_dir());
    if (cached)
      throw IoError(
          fmt::format("[load] {}: the cached snapshot {} lacks {}, and HF_HUB_OFFLINE "
                      "forbids downloading",
                      arg, cached->string(), fmt::join(checkpoint_missing(*cached), ", ")));
    throw IoError(
        fmt::format("[load] {}: no local folder of that name, not in the Hugging Face "
                    "cache {}, and HF_HUB_OFFLINE forbids downloading",
                    arg, cache.string()));
  }
  fs::path snapshot;
  try {
    snapshot = snapshot_download(repo, opts);
  } catch (const IoError& e) {
    throw IoError(fmt::format("{} (no local folder '{}' either)", e.what(), arg));
  }
  if (auto missing = checkpoint_missing(snapshot); !missing.empty())
    throw IoError(fmt::format("[load] {}: the repo has no {}", arg, fmt::join(missing, ", ")));
  return snapshot;
}

}  // namespace lmx::io
