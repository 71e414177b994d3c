// SPDX-License-Identifier: MIT
#include "lmx/generate/prompt_cache.h"

#include <algorithm>
#include <memory>

#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/io/safetensors.h"
#include "lmx/models/load.h"
#include "lmx/nn/ssm_cache.h"

namespace lmx {

namespace {

std::string code_of(Dtype t) {
  switch (t) {
    case Dtype::float32: return "F32";
    case Dtype::float16: return "F16";
    case Dtype::bfloat16: return "BF16";
    case Dtype::uint32: return "U32";
    case Dtype::int32: return "I32";
    case Dtype::int64: return "I64";
    case Dtype::uint8: return "U8";
    case Dtype::int8: return "I8";
    case Dtype::uint16: return "U16";
    case Dtype::int16: return "I16";
    case Dtype::bool_: return "BOOL";
  }
  return "F32";
}

std::vector<std::string> split_dots(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == '.') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

}  // namespace

void save_prompt_cache(const std::string& path, const nn::CacheList& cache,
                       const std::map<std::string, std::string>& metadata) {
  std::vector<io::TensorView> views;
  std::vector<Array> keep_alive;
  std::map<std::string, std::string> meta;
  for (size_t i = 0; i < cache.size(); ++i) {
    const auto& c = cache[i];
    auto state = c->state();
    bool quantized = c->class_name() == "QuantizedKVCache";
    // MLX-LM's ArraysCache state is (arrays, left_padding, lengths): "<layer>.0.<j>", then
    // "<layer>.1" and "<layer>.2", empty when unused.
    bool arrays = c->class_name() == "ArraysCache";
    auto add = [&](const std::string& name, const Array& s) {
      Array a = contiguous(to_device(s, kCpu));
      keep_alive.push_back(a);
      views.push_back({name, code_of(a.dtype()), a.shape(), a.raw_data(), a.nbytes(), nullptr});
    };
    for (size_t j = 0; j < state.size(); ++j) {
      std::string name = std::to_string(i) + "." +
                         (quantized ? std::to_string(j / 3) + "." + std::to_string(j % 3)
                          : arrays  ? "0." + std::to_string(j)
                                    : std::to_string(j));
      add(name, state[j]);
    }
    if (arrays && !state.empty())
      for (const char* s : {".1", ".2"}) add(std::to_string(i) + s, zeros({0}));
    auto ms = c->meta_state();
    if (ms.empty()) {
      meta["0." + std::to_string(i)] = "";
    } else {
      for (size_t j = 0; j < ms.size(); ++j)
        meta["0." + std::to_string(i) + "." + std::to_string(j)] = ms[j];
    }
    meta["2." + std::to_string(i)] = c->class_name();
  }
  for (const auto& [k, v] : metadata) meta["1." + k] = v;
  io::save_safetensors(path, views, meta);
}

nn::CacheList load_prompt_cache(const std::string& path,
                                std::map<std::string, std::string>* metadata) {
  auto file = io::SafetensorsFile::open(path);
  const auto& meta = file.metadata();
  // Class names give the number of layers.
  std::map<int, std::string> classes;
  std::map<int, std::vector<std::string>> metas;
  for (const auto& [k, v] : meta) {
    auto parts = split_dots(k);
    try {
      if (parts[0] == "2" && parts.size() == 2) classes[std::stoi(parts[1])] = v;
      if (parts[0] == "0" && parts.size() == 3) {
        auto& m = metas[std::stoi(parts[1])];
        size_t j = std::stoul(parts[2]);
        if (m.size() <= j) m.resize(j + 1);
        m[j] = v;
      }
    } catch (const std::exception&) {
      raise<ValueError>("load_prompt_cache", "{}: bad metadata key '{}'", path, k);
    }
    if (parts[0] == "1" && parts.size() >= 2 && metadata)
      (*metadata)[k.substr(2)] = v;
  }
  LMX_CHECK(!classes.empty(), ValueError, "load_prompt_cache",
            "{} is not a prompt cache (no cache classes in its metadata)", path);
  nn::CacheList out;
  for (int i = 0; i < int(classes.size()); ++i) {
    auto it = classes.find(i);
    LMX_CHECK(it != classes.end(), ValueError, "load_prompt_cache", "{}: layer {} is missing",
              path, i);
    const std::string& cls = it->second;
    std::shared_ptr<nn::Cache> c;
    std::vector<Array> state;
    auto get = [&](const std::string& name) {
      LMX_CHECK(file.contains(name), ValueError, "load_prompt_cache", "{}: tensor '{}' is missing",
                path, name);
      return copy(models::to_array(file.get(name)));
    };
    std::string p = std::to_string(i) + ".";
    if (cls == "KVCache" || cls == "RotatingKVCache") {
      if (file.contains(p + "0")) state = {get(p + "0"), get(p + "1")};
      if (cls == "KVCache")
        c = std::make_shared<nn::KVCache>();
      else
        c = std::make_shared<nn::RotatingKVCache>(2, 0);  // replaced by set_state
    } else if (cls == "QuantizedKVCache") {
      if (file.contains(p + "0.0"))
        for (const char* s : {"0.0", "0.1", "0.2", "1.0", "1.1", "1.2"}) state.push_back(get(p + s));
      c = std::make_shared<nn::QuantizedKVCache>();
    } else if (cls == "ArraysCache" || cls == "MambaCache") {
      // "<layer>.0.<j>" (MLX-LM now) or "<layer>.<j>" (older MLX-LM, and its MambaCache).
      bool nested = file.contains(p + "0.0");
      for (int j = 0;; ++j) {
        std::string name = p + (nested ? "0." : "") + std::to_string(j);
        if (!file.contains(name)) break;
        state.push_back(get(name));
      }
      c = std::make_shared<nn::ArraysCache>(std::max<int>(1, int(state.size())));
    } else {
      raise<ValueError>("load_prompt_cache", "{}: cache class '{}' is not supported", path, cls);
    }
    c->set_state(std::move(state), metas[i]);
    out.push_back(std::move(c));
  }
  // MLX-LM's layout keeps no token count for recurrent layers: in a hybrid model they have
  // seen as many tokens as its attention layers.
  int64_t seen = 0;
  for (const auto& c : out)
    if (!dynamic_cast<const nn::ArraysCache*>(c.get())) seen = std::max(seen, c->offset());
  for (auto& c : out)
    if (auto* a = dynamic_cast<nn::ArraysCache*>(c.get())) a->advance(seen - a->offset());
  return out;
}

}  // namespace lmx
