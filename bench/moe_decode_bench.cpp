// SPDX-License-Identifier: MIT
// Decode speed of a Qwen3-30B-A3B-shaped 4-bit MoE (hidden 2048, 128 experts of 768, 8
// active, 32 q / 4 kv heads of 128) with its layer count cut (LMX_MOE_BENCH_LAYERS,
// default 8), against two dense Qwen3 models of the same layers: one whose MLP holds as many
// bytes as all the experts (intermediate 128 * 768: what decoding would cost if every
// expert were read) and one as large as the active experts (8 * 768: the floor).
// Each checkpoint is built with pseudo-random weights, quantized with lmx::quantize (4-bit,
// group 64, bfloat16 scales), written with lmx::io::save_safetensors and loaded with
// load_model, then timed one token at a time after a 16-token prompt.
// Counters: tok/s; `GB/s` = weight bytes a decoded token reads (embedding row, attention,
// router, its 8 experts per layer, head) per second; `read_GB` = those bytes per token.
#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "lmx/core/allocator.h"
#include "lmx/core/ops.h"
#include "lmx/core/quantized.h"
#include "lmx/io/config.h"
#include "lmx/io/safetensors.h"
#include "lmx/models/load.h"
#include "lmx/models/model.h"

namespace fs = std::filesystem;
using namespace lmx;

namespace {

constexpr int kGroup = 64, kBits = 4;
constexpr int64_t kExperts = 128, kActive = 8, kMoeInter = 768, kPrompt = 16;

int64_t num_layers() {
  const char* s = std::getenv("LMX_MOE_BENCH_LAYERS");
  return s ? std::atoll(s) : 8;
}

// Qwen3-30B-A3B's config.json with `layers`; dense_inter > 0 makes it a dense qwen3.
nlohmann::json make_config(int64_t layers, int64_t dense_inter) {
  nlohmann::json c = {{"hidden_size", 2048},
                      {"num_attention_heads", 32},
                      {"num_key_value_heads", 4},
                      {"head_dim", 128},
                      {"num_hidden_layers", layers},
                      {"vocab_size", 151936},
                      {"rms_norm_eps", 1e-6},
                      {"rope_theta", 1000000.0},
                      {"max_position_embeddings", 40960},
                      {"tie_word_embeddings", false},
                      {"quantization", {{"group_size", kGroup}, {"bits", kBits}}}};
  if (dense_inter > 0) {
    c["model_type"] = "qwen3";
    c["intermediate_size"] = dense_inter;
  } else {
    c["model_type"] = "qwen3_moe";
    c["intermediate_size"] = 6144;
    c["moe_intermediate_size"] = kMoeInter;
    c["num_experts"] = kExperts;
    c["num_experts_per_tok"] = kActive;
    c["norm_topk_prob"] = true;
  }
  return c;
}

// A safetensors view of a fresh copy of `a` (so that no graph keeps the float weights).
io::TensorView view(const std::string& name, const Array& a) {
  static const std::map<Dtype, std::string> codes = {
      {Dtype::uint32, "U32"}, {Dtype::bfloat16, "BF16"}, {Dtype::float32, "F32"}};
  Array ac = contiguous(a);
  Array c(ac.raw_data(), ac.shape(), ac.dtype());
  return {.name = name,
          .dtype = codes.at(c.dtype()),
          .shape = c.shape(),
          .data = c.raw_data(),
          .nbytes = c.nbytes(),
          .owner = std::shared_ptr<const void>(c.buffer(), c.raw_data())};
}

// Weights of std ~0.02 for a parameter of `shape` (..., out, in): a seeded sine pattern of
// at most 768 rows, repeated down the rows and over the leading (expert) axes, each copy in
// its own memory so decoding reads as much as from distinct weights. (Threefry random
// numbers, or one sine per element, for 30B-shaped layers take many minutes here.)
constexpr int64_t kPatternRows = 768;

Array pattern(const Shape& shape, int seed) {
  int64_t rows = std::min(shape[shape.size() - 2], kPatternRows), in = shape.back();
  Array i = astype(remainder(arange(rows * in, Dtype::int32), Array(4099)), Dtype::float32);
  Array w =
      multiply(sin(add(multiply(i, Array(0.7548f + 0.013f * float(seed))), Array(float(seed)))),
               Array(0.028f));
  return astype(reshape(w, {rows, in}), Dtype::bfloat16);
}

// a (rows, cols) repeated to shape's leading axes and out rows, cols kept.
Array repeat_to(const Array& a, const Shape& shape) {
  int64_t out = shape[shape.size() - 2], rows = a.shape(0);
  Array r = a;
  if (out > rows) r = slice(tile(a, {(out + rows - 1) / rows, 1}), 0, 0, out);
  Shape s = shape;
  s.back() = a.shape(-1);
  return contiguous(broadcast_to(r, s));
}

// Writes a random 4-bit checkpoint for `config` into `dir` (norms are ones; every matrix
// whose rows divide by the group size is quantized, one tensor at a time).
void write_checkpoint(const fs::path& dir, const nlohmann::json& config) {
  fs::create_directories(dir);
  std::ofstream(dir / "config.json") << config.dump(2);
  auto model = models::create_model(io::ModelConfig::load(dir));
  std::vector<io::TensorView> views;
  int seed = 0;
  for (auto& [name, p] : model->parameters()) {
    if (p->ndim() >= 2 && p->shape(-1) % kGroup == 0) {
      auto [wq, s, b] = quantize(pattern(p->shape(), ++seed), kGroup, kBits);
      wq = repeat_to(wq, p->shape());
      s = repeat_to(s, p->shape());
      b = repeat_to(b, p->shape());
      std::string stem = name.substr(0, name.size() - std::string(".weight").size());
      views.push_back(view(name, wq));
      views.push_back(view(stem + ".scales", s));
      views.push_back(view(stem + ".biases", b));
    } else {
      views.push_back(view(name, ones(p->shape(), Dtype::bfloat16)));
    }
  }
  io::save_safetensors_dir(dir, views, {{"format", "mlx"}});
}

// Bytes of the weights one decoded token reads: everything except the experts it was not
// routed to (and all but one embedding row).
double bytes_read_per_token(models::Model& m, bool moe) {
  double total = 0;
  for (auto& [name, p] : m.parameters()) {
    double b = double(p->nbytes());
    if (name.find("embed_tokens") != std::string::npos) b /= double(p->shape(0));
    if (moe && name.find("switch_mlp") != std::string::npos) b *= double(kActive) / kExperts;
    total += b;
  }
  return total;
}

void BM_decode(benchmark::State& st, int64_t dense_inter) {
  int64_t layers = num_layers();
  fs::path dir = fs::temp_directory_path() /
                 ("lmx_moe_bench_" + std::to_string(layers) + "_" + std::to_string(dense_inter));
  if (!fs::exists(dir / "model.safetensors") && !fs::exists(dir / "model.safetensors.index.json"))
    write_checkpoint(dir, make_config(layers, dense_inter));
  clear_cache();  // the generation's float buffers
  auto model = models::load_model(dir, {.dtype = Dtype::bfloat16});
  double bytes = bytes_read_per_token(*model, dense_inter == 0);
  auto cache = model->make_cache();
  std::vector<int32_t> prompt(kPrompt);
  for (int64_t i = 0; i < kPrompt; ++i) prompt[size_t(i)] = int32_t(1000 + 37 * i);
  Array logits = (*model)(Array(prompt, Shape{1, kPrompt}), &cache);
  int32_t tok = argmax(logits).item<int32_t>() % 151936;
  for (auto _ : st) {
    Array out = (*model)(Array(&tok, Shape{1, 1}, Dtype::int32), &cache);
    tok = argmax(out).item<int32_t>();  // greedy: routing follows real token choices
    if (cache[0]->offset() > 512) {
      st.PauseTiming();
      for (auto& c : cache) c->trim(c->offset() - kPrompt);
      st.ResumeTiming();
    }
  }
  double it = double(st.iterations());
  st.counters["tok/s"] = benchmark::Counter(it, benchmark::Counter::kIsRate);
  st.counters["GB/s"] = benchmark::Counter(it * bytes / 1e9, benchmark::Counter::kIsRate);
  st.counters["read_GB"] = bytes / 1e9;
  st.counters["layers"] = double(layers);
}

}  // namespace

BENCHMARK_CAPTURE(BM_decode, moe_4bit, int64_t(0))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_decode, dense_all_experts_4bit, kExperts* kMoeInter)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_decode, dense_active_experts_4bit, kActive* kMoeInter)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
