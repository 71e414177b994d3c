// SPDX-License-Identifier: MIT
// Tokenizer speed: loading tokenizer.json files and encoding/decoding TinyStories text
// (../shared; LMX_SHARED overrides). Google Benchmark; --benchmark_format=json for JSON.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lmx/tokenizer/tokenizer.h"

namespace {

namespace fs = std::filesystem;

fs::path shared() {
  if (const char* env = std::getenv("LMX_SHARED")) return env;
  return fs::path(__FILE__).parent_path() / ".." / ".." / "shared";
}

std::string text_794k() {
  std::ifstream f(shared() / "text" / "tinystories_val_794k.txt", std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void BM_Load(benchmark::State& state, const char* name) {
  auto path = shared() / "tokenizers" / name / "tokenizer.json";
  if (!fs::exists(path)) return state.SkipWithError("tokenizer.json is absent");
  for (auto _ : state) benchmark::DoNotOptimize(lmx::Tokenizer::load(path));
  state.counters["MB"] = (double)fs::file_size(path) / 1e6;
}
BENCHMARK_CAPTURE(BM_Load, llama3, "llama3")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Load, qwen3, "qwen3")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Load, gptoss, "gptoss")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Load, gemma3, "gemma3")->Unit(benchmark::kMillisecond);

// Encodes the 794 kB text; `cold` rebuilds the tokenizer each time (empty word cache).
void BM_Encode(benchmark::State& state, const char* name, bool cold) {
  auto path = shared() / "tokenizers" / name / "tokenizer.json";
  std::string text = text_794k();
  if (!fs::exists(path) || text.empty()) return state.SkipWithError("reference data is absent");
  auto tok = lmx::Tokenizer::load(path);
  size_t n = 0;
  for (auto _ : state) {
    if (cold) {
      state.PauseTiming();
      tok = lmx::Tokenizer::load(path);
      state.ResumeTiming();
    }
    n = tok.encode(text).size();
  }
  state.SetBytesProcessed((int64_t)(state.iterations() * text.size()));
  state.counters["tokens"] = (double)n;
}
BENCHMARK_CAPTURE(BM_Encode, llama3_warm, "llama3", false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, llama3_cold, "llama3", true)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, gemma3_warm, "gemma3", false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, llama2_warm, "llama2", false)->Unit(benchmark::kMillisecond);

void BM_Decode(benchmark::State& state) {
  auto path = shared() / "tokenizers" / "llama3" / "tokenizer.json";
  std::string text = text_794k();
  if (!fs::exists(path) || text.empty()) return state.SkipWithError("reference data is absent");
  auto tok = lmx::Tokenizer::load(path);
  auto ids = tok.encode(text);
  for (auto _ : state) benchmark::DoNotOptimize(tok.decode(ids));
  state.SetBytesProcessed((int64_t)(state.iterations() * text.size()));
}
BENCHMARK(BM_Decode)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
