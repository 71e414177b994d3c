// SPDX-License-Identifier: MIT
#include "lmx/io/hub.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "lmx/io/config.h"
#include "lmx/io/error.h"
#include "lmx/io/safetensors.h"
#include "lmx/io/sha256.h"
#include "tests/io/temp_dir.h"

namespace lmx::io {
namespace {

namespace fs = std::filesystem;
using lmx::testing::read_file;
using lmx::testing::TempDir;
using lmx::testing::write_file;

template <class Fn>
void expect_error(Fn&& fn, std::initializer_list<std::string> parts) {
  try {
    fn();
    ADD_FAILURE() << "no IoError thrown";
  } catch (const IoError& e) {
    for (const std::string& p : parts)
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos)
          << "message '" << e.what() << "' lacks '" << p << "'";
  }
}

const std::string kRepo = "test-org/tiny-model";
const std::string kCommit = "0123456789abcdef0123456789abcdef01234567";

// A hex string of `n` digits derived from `s` (a stand-in for git/LFS hashes).
std::string fake_hash(const std::string& s, size_t n) {
  std::string out;
  size_t h = std::hash<std::string>{}(s);
  while (out.size() < n) {
    out += fmt::format("{:016x}", h);
    h = h * 6364136223846793005ull + 1442695040888963407ull;
  }
  return out.substr(0, n);
}

std::string sha256_of(const std::string& s) {
  Sha256 h;
  h.update(s.data(), s.size());
  return h.hex_digest();
}

// Serves one repo the way the Hub does: the revision API, and resolve/<rev>/<file> with
// ETag / X-Linked-Etag / X-Repo-Commit headers and Range support, on 127.0.0.1.
class FakeHub {
 public:
  explicit FakeHub(std::map<std::string, std::string> files) : files_(std::move(files)) {
    server_.Get(R"(/api/models/([^/]+/[^/]+)/revision/([^/]+))", [this](const httplib::Request& req,
                                                                        httplib::Response& res) {
      log(req);
      if (!authorized(req, res)) return;
      if (req.matches[1] != kRepo) return void(res.status = 404);
      nlohmann::json siblings = nlohmann::json::array();
      for (const auto& [name, _] : files_) siblings.push_back({{"rfilename", name}});
      res.set_content(
          nlohmann::json{{"id", kRepo}, {"sha", kCommit}, {"siblings", siblings}}.dump(),
          "application/json");
    });
    server_.Get(R"(/([^/]+/[^/]+)/resolve/([^/]+)/(.+))", [this](const httplib::Request& req,
                                                                 httplib::Response& res) {
      log(req);
      if (!authorized(req, res)) return;
      auto it = files_.find(req.matches[3]);
      if (req.matches[1] != kRepo || it == files_.end()) return void(res.status = 404);
      const std::string& body = it->second;
      res.set_header("X-Repo-Commit", kCommit);
      if (it->first.ends_with(".safetensors")) {  // an LFS file
        res.set_header("X-Linked-Etag", "\"" + sha256_of(body) + "\"");
        res.set_header("X-Linked-Size", std::to_string(body.size()));
      }
      res.set_header("ETag", "\"" + fake_hash(body, 40) + "\"");
      res.set_header("Accept-Ranges", "bytes");
      if (req.method == "GET" && cut_next_get_.exchange(false) && !req.has_header("Range")) {
        // Send half of the file, then drop the connection.
        res.set_content_provider(body.size(), "application/octet-stream",
                                 [&body](size_t offset, size_t, httplib::DataSink& sink) {
                                   if (offset > 0) return false;
                                   sink.write(body.data(), body.size() / 2);
                                   return true;
                                 });
        return;
      }
      res.set_content(body, "application/octet-stream");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeHub() { stop(); }
  void stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string endpoint() const { return fmt::format("http://127.0.0.1:{}", port_); }
  std::vector<std::string> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  void clear_requests() {
    std::lock_guard lock(mu_);
    requests_.clear();
  }
  std::string token;  // when set, requests must carry "Authorization: Bearer <token>"
  void cut_next_get() { cut_next_get_ = true; }

 private:
  void log(const httplib::Request& req) {
    std::lock_guard lock(mu_);
    std::string line = req.method + " " + req.path;
    if (req.has_header("Range")) line += " " + req.get_header_value("Range");
    requests_.push_back(line);
  }
  bool authorized(const httplib::Request& req, httplib::Response& res) {
    if (token.empty() || req.get_header_value("Authorization") == "Bearer " + token) return true;
    res.status = 401;
    return false;
  }

  std::map<std::string, std::string> files_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<std::string> requests_;
  std::atomic<bool> cut_next_get_{false};
};

// A small checkpoint's files, plus some a download must skip.
std::map<std::string, std::string> repo_files(const TempDir& scratch) {
  std::vector<float> w(64 * 1024);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i % 977) * 0.5f;
  save_safetensors(
      scratch / "model.safetensors",
      {{"model.embed_tokens.weight", "F32", {256, 256}, w.data(), w.size() * 4, nullptr}});
  return {
      {"config.json", R"({"model_type": "llama", "hidden_size": 256, "num_attention_heads": 4})"},
      {"generation_config.json", R"({"eos_token_id": [1, 2]})"},
      {"tokenizer.json", R"({"model": {"type": "BPE"}})"},
      {"tokenizer_config.json", "{}"},
      {"chat_template.jinja", "{{ messages }}"},
      {"model.safetensors", read_file(scratch / "model.safetensors")},
      {"extra/nested.json", "[]"},
      {"README.md", "# not needed"},
      {"consolidated.safetensors", "not needed either"},
      {"original/params.bin", "nor this"},
  };
}

HubOptions options_for(const FakeHub& hub, const TempDir& cache) {
  HubOptions o;
  o.cache = cache.path();
  o.endpoint = hub.endpoint();
  o.offline = false;
  o.progress = false;
  o.token = "";
  return o;
}

TEST(Hub, RepoIdsAndCacheFolder) {
  EXPECT_TRUE(is_repo_id("meta-llama/Llama-3.2-1B-Instruct"));
  EXPECT_TRUE(is_repo_id("mlx-community/Qwen3-0.6B-4bit"));
  EXPECT_TRUE(is_repo_id("gpt2"));
  EXPECT_FALSE(is_repo_id("a/b/c"));
  EXPECT_FALSE(is_repo_id("/abs/path"));
  EXPECT_FALSE(is_repo_id("./local"));
  EXPECT_FALSE(is_repo_id("org/na--me"));
  EXPECT_FALSE(is_repo_id("org/name with space"));
  EXPECT_FALSE(is_repo_id(""));
  EXPECT_EQ(repo_cache_folder("/c", "org/name"), fs::path("/c/models--org--name"));
}

// Sets an environment variable for the scope of a test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(Hub, CacheDirFromEnvironment) {
  ScopedEnv a("HF_HUB_CACHE", nullptr), b("HUGGINGFACE_HUB_CACHE", nullptr), c("HF_HOME", nullptr),
      d("XDG_CACHE_HOME", nullptr), e("HOME", "/home/u");
  EXPECT_EQ(hub_cache_dir(), fs::path("/home/u/.cache/huggingface/hub"));
  ScopedEnv f("XDG_CACHE_HOME", "/xdg");
  EXPECT_EQ(hub_cache_dir(), fs::path("/xdg/huggingface/hub"));
  ScopedEnv g("HF_HOME", "/hf");
  EXPECT_EQ(hub_cache_dir(), fs::path("/hf/hub"));
  ScopedEnv h("HF_HUB_CACHE", "/hubcache");
  EXPECT_EQ(hub_cache_dir(), fs::path("/hubcache"));
  ScopedEnv off("HF_HUB_OFFLINE", "1");
  EXPECT_TRUE(hub_offline_from_env());
  ScopedEnv off2("HF_HUB_OFFLINE", "0");
  EXPECT_FALSE(hub_offline_from_env());
}

TEST(Hub, FindsWhatOtherToolsCached) {
  TempDir cache;
  const fs::path folder = repo_cache_folder(cache.path(), kRepo);
  write_file(folder / "refs/main", kCommit + "\n");
  write_file(folder / "blobs/abc", R"({"model_type": "qwen2"})");
  write_file(folder / "blobs/def", "weights");
  fs::create_directories(folder / "snapshots" / kCommit);
  fs::create_symlink("../../blobs/abc", folder / "snapshots" / kCommit / "config.json");
  fs::create_symlink("../../blobs/def", folder / "snapshots" / kCommit / "model.safetensors");
  HubOptions o;
  o.cache = cache.path();
  o.offline = true;
  const fs::path expected = folder / "snapshots" / kCommit;
  EXPECT_EQ(cached_snapshot(kRepo, o), expected);
  EXPECT_EQ(resolve_model_path(kRepo, o), expected);
  EXPECT_EQ(ModelConfig::load(resolve_model_path(kRepo, o)).model_type(), "qwen2");
  EXPECT_EQ(resolve_model_path(kRepo + "@" + kCommit, o), expected);  // a commit needs no ref
  HubOptions v2 = o;
  v2.revision = "v2";
  EXPECT_FALSE(cached_snapshot(kRepo, v2).has_value());
  expect_error([&] { resolve_model_path(kRepo + "@v2", o); }, {kRepo, "HF_HUB_OFFLINE"});
  // A snapshot without weights is not a checkpoint.
  fs::remove(folder / "snapshots" / kCommit / "model.safetensors");
  expect_error([&] { resolve_model_path(kRepo, o); }, {"lacks *.safetensors"});
  // Local folders win, and bad names are explained.
  EXPECT_EQ(resolve_model_path(cache.path().string(), o), cache.path());
  expect_error([&] { resolve_model_path("./no/such/dir", o); }, {"no such file or folder"});
}

TEST(Hub, OfflineNeverTouchesTheNetwork) {
  TempDir scratch, cache;
  FakeHub hub(repo_files(scratch));
  HubOptions o = options_for(hub, cache);
  o.offline.reset();
  ScopedEnv off("HF_HUB_OFFLINE", "1");
  expect_error([&] { resolve_model_path(kRepo, o); },
               {kRepo, "not in the Hugging Face cache", "HF_HUB_OFFLINE"});
  expect_error([&] { snapshot_download(kRepo, o); }, {kRepo, "HF_HUB_OFFLINE"});
  EXPECT_TRUE(hub.requests().empty());
}

TEST(Hub, DownloadsLikeHuggingfaceHub) {
  TempDir scratch, cache;
  auto files = repo_files(scratch);
  FakeHub hub(files);
  HubOptions o = options_for(hub, cache);
  const fs::path snapshot = resolve_model_path(kRepo, o);
  const fs::path folder = repo_cache_folder(cache.path(), kRepo);
  EXPECT_EQ(snapshot, fs::absolute(folder / "snapshots" / kCommit));
  EXPECT_EQ(read_file(folder / "refs/main"), kCommit);
  for (const char* name :
       {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
        "chat_template.jinja", "model.safetensors", "extra/nested.json"}) {
    SCOPED_TRACE(name);
    const fs::path link = snapshot / name;
    ASSERT_TRUE(fs::is_symlink(link));
    const fs::path target = fs::read_symlink(link);
    EXPECT_TRUE(target.is_relative());
    EXPECT_EQ(fs::canonical(link).parent_path(), fs::canonical(folder / "blobs"));
    EXPECT_EQ(read_file(link), files.at(name));
  }
  // The LFS file's blob is named by its sha256-style X-Linked-Etag.
  EXPECT_TRUE(fs::exists(folder / "blobs" / sha256_of(files.at("model.safetensors"))));
  for (const char* skipped : {"README.md", "consolidated.safetensors", "original/params.bin"})
    EXPECT_FALSE(fs::exists(snapshot / skipped)) << skipped;
  EXPECT_EQ(load_safetensors_dir(snapshot).at("model.embed_tokens.weight").shape,
            (std::vector<int64_t>{256, 256}));
  EXPECT_EQ(ModelConfig::load(snapshot).eos_token_ids(), (std::vector<int64_t>{1, 2}));
  // A second resolve is served by the cache alone, online or not.
  hub.clear_requests();
  EXPECT_EQ(resolve_model_path(kRepo, o), snapshot);
  EXPECT_TRUE(hub.requests().empty());
  hub.stop();
  o.offline = true;
  EXPECT_EQ(resolve_model_path(kRepo, o), snapshot);
}

TEST(Hub, ResumesAPartialDownload) {
  TempDir scratch, cache;
  auto files = repo_files(scratch);
  FakeHub hub(files);
  const std::string& weights = files.at("model.safetensors");
  const fs::path blobs = repo_cache_folder(cache.path(), kRepo) / "blobs";
  const std::string etag = sha256_of(weights);
  const size_t half = weights.size() / 2 + 123;
  write_file(blobs / (etag + ".incomplete"), weights.substr(0, half));
  const fs::path snapshot = snapshot_download(kRepo, options_for(hub, cache));
  EXPECT_EQ(read_file(snapshot / "model.safetensors"), weights);
  EXPECT_FALSE(fs::exists(blobs / (etag + ".incomplete")));
  const auto reqs = hub.requests();
  EXPECT_NE(std::find(reqs.begin(), reqs.end(),
                      fmt::format("GET /{}/resolve/{}/model.safetensors bytes={}-", kRepo, kCommit,
                                  half)),
            reqs.end());
}

TEST(Hub, ACorruptPartialFileIsCaughtAndRefetched) {
  TempDir scratch, cache;
  auto files = repo_files(scratch);
  FakeHub hub(files);
  const std::string& weights = files.at("model.safetensors");
  const fs::path blobs = repo_cache_folder(cache.path(), kRepo) / "blobs";
  const std::string etag = sha256_of(weights);
  write_file(blobs / (etag + ".incomplete"), std::string(weights.size() / 2, 'x'));
  const fs::path snapshot = snapshot_download(kRepo, options_for(hub, cache));
  EXPECT_EQ(read_file(snapshot / "model.safetensors"), weights);
  // A full-size but wrong file is verified, discarded and fetched again as well.
  TempDir cache2;
  write_file(repo_cache_folder(cache2.path(), kRepo) / "blobs" / (etag + ".incomplete"),
             std::string(weights.size(), 'y'));
  EXPECT_EQ(read_file(snapshot_download(kRepo, options_for(hub, cache2)) / "model.safetensors"),
            weights);
}

TEST(Hub, Sha256) {
  auto hex = [](const std::string& s) { return sha256_of(s); };
  EXPECT_EQ(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Sha256 million;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) million.update(chunk.data(), chunk.size());
  EXPECT_EQ(million.hex_digest(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // Odd-sized pieces give the same digest as one piece.
  const std::string text(1234, 'q');
  Sha256 pieces;
  for (size_t i = 0; i < text.size(); i += 37)
    pieces.update(text.data() + i, std::min<size_t>(37, text.size() - i));
  EXPECT_EQ(pieces.hex_digest(), hex(text));
}

TEST(Hub, RetriesAnInterruptedTransfer) {
  TempDir scratch, cache;
  auto files = repo_files(scratch);
  FakeHub hub({{"config.json", files.at("config.json")},
               {"model.safetensors", files.at("model.safetensors")}});
  hub.cut_next_get();
  HubOptions o = options_for(hub, cache);
  o.progress = true;  // exercise the progress bar too
  const fs::path snapshot = snapshot_download(kRepo, o);
  EXPECT_EQ(read_file(snapshot / "config.json"), files.at("config.json"));
  EXPECT_EQ(read_file(snapshot / "model.safetensors"), files.at("model.safetensors"));
}

TEST(Hub, TokensAndErrors) {
  TempDir scratch, cache;
  FakeHub hub(repo_files(scratch));
  hub.token = "secret";
  HubOptions o = options_for(hub, cache);
  expect_error([&] { snapshot_download(kRepo, o); }, {kRepo, "401", "HF_TOKEN"});
  o.token = "wrong";
  expect_error([&] { snapshot_download(kRepo, o); }, {"401", "refused"});
  o.token = "secret";
  EXPECT_TRUE(fs::exists(snapshot_download(kRepo, o) / "model.safetensors"));
  // HF_TOKEN from the environment.
  TempDir cache2;
  HubOptions e = options_for(hub, cache2);
  e.token.reset();
  ScopedEnv t("HF_TOKEN", "secret");
  EXPECT_TRUE(fs::exists(snapshot_download(kRepo, e) / "config.json"));
  expect_error([&] { snapshot_download("test-org/other", o); }, {"test-org/other", "404"});
  expect_error([&] { resolve_model_path("test-org/other", o); }, {"404", "no local folder"});
  expect_error([&] { snapshot_download("not a repo", o); }, {"not a valid repo id"});
  hub.stop();
  expect_error([&] { snapshot_download(kRepo, o); },
               {"cannot reach", hub.endpoint(), "HF_HUB_OFFLINE"});
}

}  // namespace
}  // namespace lmx::io
