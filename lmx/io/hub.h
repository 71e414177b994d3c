// SPDX-License-Identifier: MIT
// Hugging Face Hub: the local cache as huggingface_hub lays it out, and downloads into it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lmx::io {

// The files a checkpoint needs (fnmatch patterns, '*' also matches '/'). Safetensors beyond
// model*.safetensors are taken only when a repo has no model*.safetensors.
inline const std::vector<std::string> kCheckpointPatterns = {
    "*.json", "model*.safetensors", "tokenizer.model", "*.tiktoken", "tiktoken.model", "*.txt",
    "*.jinja"};

// Where and how to reach the Hub. Every unset field takes its value from the environment,
// as huggingface_hub does (see each field).
struct HubOptions {
  std::string revision;                        // "" = "main"; a branch, tag or commit hash
  std::optional<std::filesystem::path> cache;  // default hub_cache_dir()
  std::optional<std::string> endpoint;         // $HF_ENDPOINT, else https://huggingface.co
  std::optional<std::string> token;            // $HF_TOKEN, else $HF_HOME/token
  std::optional<bool> offline;                 // $HF_HUB_OFFLINE
  std::vector<std::string> allow_patterns = kCheckpointPatterns;
  std::optional<bool> progress;  // a progress bar on stderr; default: stderr is a terminal
};

// $HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
// ~/.cache/huggingface/hub.
std::filesystem::path hub_cache_dir();

// Whether $HF_HUB_OFFLINE is 1/true/yes/on.
bool hub_offline_from_env();

// Whether `s` is a valid Hub repo id: "name" or "org/name" of [A-Za-z0-9._-], no "--" or
// "..", at most 96 characters.
bool is_repo_id(std::string_view s);

// The cache folder of a model repo: <cache>/models--org--name.
std::filesystem::path repo_cache_folder(const std::filesystem::path& cache,
                                        std::string_view repo_id);

// The cached snapshot folder of `repo_id` at options.revision (via refs/<revision>, or the
// commit hash itself), or nullopt when that revision is not cached. Never uses the network.
std::optional<std::filesystem::path> cached_snapshot(std::string_view repo_id,
                                                     const HubOptions& options = {});

// Downloads the files of `repo_id` matching options.allow_patterns into the cache (blobs,
// snapshot symlinks, refs/<revision>) and returns the snapshot folder. Resumes partial
// downloads (.incomplete files). Throws IoError when offline, unreachable or refused.
std::filesystem::path snapshot_download(std::string_view repo_id, const HubOptions& options = {});

// A local folder as it is; else a repo id ("org/name", or "org/name@revision" overriding
// options.revision): its cached snapshot when it holds a checkpoint (config.json and the
// weights), else downloaded unless offline. Throws IoError naming the path or repo.
std::filesystem::path resolve_model_path(std::string_view path_or_repo,
                                         const HubOptions& options = {});

}  // namespace lmx::io
