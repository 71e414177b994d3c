// SPDX-License-Identifier: MIT
// Materializes a random-weight checkpoint in the exact shapes of a real model, for speed
// measurements (lmx benchmark, and the same shapes written as GGUF for llama.cpp).
//
//   make_checkpoint --config bench/configs/Llama-3.2-1B/config.json --out DIR
//                   [--dtype bfloat16|float16|float32] [--bits 0|4|8] [--group-size 64]
//                   [--seed N] [--tokenizer DIR] [--shard-gb 2]
//
// The architecture is built from config.json and every parameter it declares is filled:
// norm weights with ones, everything else uniformly with the std of initializer_range.
// With --bits, each Linear and Embedding whose input width divides by the group size is
// quantized with lmx::quantize (MLX's affine format, scales and biases in --dtype) and
// config.json gets MLX's "quantization" entry. The tokenizer files are copied from a small
// real tokenizer (default: the repository's default model); its vocabulary is smaller
// than the model's, which benchmarks on random ids do not mind.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "lmx/core/dtype.h"
#include "lmx/core/ops.h"
#include "lmx/core/quantized.h"
#include "lmx/io/config.h"
#include "lmx/io/safetensors.h"
#include "lmx/models/model.h"
#include "lmx/nn/layers.h"

namespace fs = std::filesystem;
using namespace lmx;

namespace {

struct Options {
  fs::path config, out, tokenizer = fs::path(LMX_SOURCE_DIR) / "models" / "default";
  Dtype dtype = Dtype::bfloat16;
  int bits = 0, group_size = 64;
  uint64_t seed = 0;
  double shard_gb = 2.0;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "make_checkpoint: %s\nusage: make_checkpoint --config CONFIG.json --out DIR "
               "[--dtype bfloat16|float16|float32] [--bits 0|4|8] [--group-size 64] [--seed N] "
               "[--tokenizer DIR] [--shard-gb 2]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value after " + a).c_str());
      return argv[++i];
    };
    if (a == "--config") o.config = val();
    else if (a == "--out") o.out = val();
    else if (a == "--tokenizer") o.tokenizer = val();
    else if (a == "--dtype") o.dtype = dtype_from_name(val());
    else if (a == "--bits") o.bits = std::stoi(val());
    else if (a == "--group-size") o.group_size = std::stoi(val());
    else if (a == "--seed") o.seed = std::stoull(val());
    else if (a == "--shard-gb") o.shard_gb = std::stod(val());
    else usage(("unknown argument " + a).c_str());
  }
  if (o.config.empty() || o.out.empty()) usage("--config and --out are required");
  if (o.bits != 0 && o.bits != 2 && o.bits != 3 && o.bits != 4 && o.bits != 5 && o.bits != 6 &&
      o.bits != 8)
    usage("--bits must be 0 (unquantized) or 2, 3, 4, 5, 6, 8");
  return o;
}

// splitmix64: fast, good enough for benchmark weights.
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [-a, a).
  float uniform(float a) { return (float(next() >> 40) * (1.0f / 16777216.0f) * 2.0f - 1.0f) * a; }
};

Array random_array(const Shape& shape, Dtype dt, float a, bool ones, Rng& rng) {
  Array arr = Array::empty(shape, dt);
  int64_t n = arr.size();
  for (int64_t i = 0; i < n; ++i) {
    float v = ones ? 1.0f : rng.uniform(a);
    switch (dt) {
      case Dtype::float32: arr.data<float>()[i] = v; break;
      case Dtype::bfloat16: arr.data<uint16_t>()[i] = bfloat16(v).bits; break;
      case Dtype::float16: arr.data<uint16_t>()[i] = float16(v).bits; break;
      default: throw std::runtime_error("unsupported dtype");
    }
  }
  return arr;
}

std::string st_code(Dtype dt) {
  switch (dt) {
    case Dtype::float32: return "F32";
    case Dtype::bfloat16: return "BF16";
    case Dtype::float16: return "F16";
    case Dtype::uint32: return "U32";
    default: throw std::runtime_error("unsupported dtype");
  }
}

io::TensorView view_of(const std::string& name, const Array& a) {
  io::TensorView v;
  v.name = name;
  v.dtype = st_code(a.dtype());
  v.shape.assign(a.shape().begin(), a.shape().end());
  v.data = a.raw_data();
  v.nbytes = a.nbytes();
  return v;
}

}  // namespace

int main(int argc, char** argv) try {
  Options o = parse(argc, argv);
  std::ifstream cin_(o.config);
  if (!cin_) usage(("cannot read " + o.config.string()).c_str());
  nlohmann::ordered_json cfg = nlohmann::ordered_json::parse(cin_);
  fs::create_directories(o.out);
  {
    std::ofstream f(o.out / "config.json");
    f << cfg.dump(2) << "\n";
  }
  io::ModelConfig config = io::ModelConfig::load(o.out);
  auto model = models::create_model(config);
  // Paths of the modules MLX-LM would quantize.
  std::set<std::string> quantizable;
  model->apply_to_modules([&](const std::string& path, nn::Module& m) {
    if (auto* l = dynamic_cast<nn::Linear*>(&m)) {
      if (l->in_features() % o.group_size == 0) quantizable.insert(path);
    } else if (auto* e = dynamic_cast<nn::Embedding*>(&m)) {
      if (e->dims() % o.group_size == 0) quantizable.insert(path);
    }
  });
  float init = float(cfg.value("initializer_range", 0.02)) * std::sqrt(3.0f);
  Rng rng{o.seed * 0x2545f4914f6cdd1dull + 1};

  // Shards are written as they fill, then renamed model-0000i-of-0000n.safetensors.
  const double shard_bytes = o.shard_gb * 1e9;
  std::vector<std::pair<std::string, Array>> pending;
  size_t pending_bytes = 0, total_bytes = 0;
  std::vector<fs::path> shard_tmp;
  std::vector<std::vector<std::string>> shard_names;
  auto flush = [&] {
    if (pending.empty()) return;
    std::vector<io::TensorView> views;
    std::vector<std::string> names;
    for (auto& [n, a] : pending) {
      views.push_back(view_of(n, a));
      names.push_back(n);
    }
    fs::path tmp = o.out / fmt::format("shard-{}.tmp.safetensors", shard_tmp.size());
    io::save_safetensors(tmp, views, {{"format", "mlx"}});
    shard_tmp.push_back(tmp);
    shard_names.push_back(std::move(names));
    pending.clear();
    pending_bytes = 0;
  };
  auto add = [&](const std::string& name, Array a) {
    pending_bytes += a.nbytes();
    total_bytes += a.nbytes();
    pending.emplace_back(name, std::move(a));
    if (double(pending_bytes) >= shard_bytes) flush();
  };

  auto params = model->parameters();
  int64_t count = 0;
  for (auto& [name, p] : params) {
    std::string path = name.substr(0, name.rfind('.'));
    std::string leaf = name.substr(name.rfind('.') + 1);
    bool is_norm = leaf == "weight" && p->ndim() == 1 && path.find("norm") != std::string::npos;
    Array a = random_array(p->shape(), o.dtype, init, is_norm, rng);
    count += a.size();
    if (o.bits > 0 && leaf == "weight" && quantizable.count(path)) {
      auto [wq, scales, biases] = quantize(a, o.group_size, o.bits);
      a = Array();
      add(path + ".weight", wq);
      add(path + ".scales", scales);
      add(path + ".biases", biases);
    } else {
      add(name, a);
    }
  }
  flush();
  nlohmann::ordered_json index = {{"metadata", {{"total_size", total_bytes}}},
                                  {"weight_map", nlohmann::ordered_json::object()}};
  for (size_t i = 0; i < shard_tmp.size(); ++i) {
    std::string fname = shard_tmp.size() == 1
                            ? std::string("model.safetensors")
                            : fmt::format("model-{:05d}-of-{:05d}.safetensors", i + 1, shard_tmp.size());
    fs::rename(shard_tmp[i], o.out / fname);
    for (auto& n : shard_names[i]) index["weight_map"][n] = fname;
  }
  if (shard_tmp.size() > 1) {
    std::ofstream f(o.out / "model.safetensors.index.json");
    f << index.dump(2) << "\n";
  }
  cfg["torch_dtype"] = dtype_name(o.dtype);
  if (o.bits > 0) {
    nlohmann::ordered_json q = {{"group_size", o.group_size}, {"bits", o.bits}, {"mode", "affine"}};
    cfg["quantization"] = q;
    cfg["quantization_config"] = q;
  }
  {
    std::ofstream f(o.out / "config.json");
    f << cfg.dump(2) << "\n";
  }
  for (const char* f : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"})
    if (fs::exists(o.tokenizer / f))
      fs::copy_file(o.tokenizer / f, o.out / f, fs::copy_options::overwrite_existing);
  std::printf("%s: %lld parameters, %.3f GB of weights in %zu file(s)\n", o.out.c_str(),
              static_cast<long long>(count), double(total_bytes) / 1e9, shard_tmp.size());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "make_checkpoint: %s\n", e.what());
  return 1;
}
