// SPDX-License-Identifier: MIT
// KV caches through a real model: rotating and quantized caches against the standard one,
// trimming, and prompt caches saved and loaded.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "lmx/core/ops.h"
#include "lmx/generate/generate.h"
#include "lmx/generate/prompt_cache.h"
#include "tests/fixtures.h"

using namespace lmx;

namespace {

std::vector<float> step_logits(models::Model& m, nn::CacheList& cache, const std::vector<int32_t>& ids) {
  Array out = m(Array(ids, Shape{1, int64_t(ids.size())}), &cache);
  int64_t L = out.shape(1);
  return astype(slice(out, 1, L - 1, L), Dtype::float32).to_vector<float>();
}

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, double(std::abs(a[i] - b[i])));
  return d;
}

std::vector<int32_t> fixture_ids(const std::string& name) {
  auto ref = lmx::testing::read_json(lmx::testing::fixture_dir(name) / "reference.json");
  return ref["input_ids"].get<std::vector<int32_t>>();
}

}  // namespace

TEST(Caches, RotatingMatchesStandardWhileItFits) {
  LMX_REQUIRE_SHARED("fixtures/hf-tiny/llama");
  auto model = models::load_model(lmx::testing::fixture_dir("llama"), {.dtype = Dtype::float32});
  auto ids = fixture_ids("llama");
  auto full = model->make_cache();
  auto rot = model->make_cache({.max_kv_size = 64});
  // Prefill in two chunks, then single tokens.
  std::vector<int32_t> a(ids.begin(), ids.begin() + 10), b(ids.begin() + 10, ids.begin() + 20);
  EXPECT_LT(max_diff(step_logits(*model, full, a), step_logits(*model, rot, a)), 1e-5);
  EXPECT_LT(max_diff(step_logits(*model, full, b), step_logits(*model, rot, b)), 1e-5);
  for (size_t t = 20; t < ids.size(); ++t)
    EXPECT_LT(max_diff(step_logits(*model, full, {ids[t]}), step_logits(*model, rot, {ids[t]})), 1e-5);
}

TEST(Caches, RotatingStaysBoundedThroughAModel) {
  LMX_REQUIRE_SHARED("fixtures/hf-tiny/llama");
  auto model = models::load_model(lmx::testing::fixture_dir("llama"), {.dtype = Dtype::float32});
  auto ids = fixture_ids("llama");
  const int64_t W = 12;
  auto rot = model->make_cache({.max_kv_size = W});
  std::vector<float> last;
  for (size_t t = 0; t < ids.size(); ++t) last = step_logits(*model, rot, {ids[t]});
  EXPECT_EQ(rot[0]->offset(), int64_t(ids.size()));
  auto st = rot[0]->state();
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0].shape(2), W);
  for (float x : last) ASSERT_TRUE(std::isfinite(x));
}

TEST(Caches, QuantizedCacheIsCloseToFloat) {
  LMX_REQUIRE_SHARED("fixtures/hf-tiny/llama_headdim");
  auto dir = lmx::testing::fixture_dir("llama_headdim");  // head_dim 32
  auto model = models::load_model(dir, {.dtype = Dtype::float32});
  auto ids = fixture_ids("llama_headdim");
  auto full = model->make_cache();
  nn::CacheList q = model->make_cache();
  nn::CacheOptions opts{.kv_bits = 8, .kv_group_size = 32, .quantized_kv_start = 0};
  std::vector<int32_t> a(ids.begin(), ids.begin() + 16);
  step_logits(*model, full, a);
  step_logits(*model, q, a);
  nn::maybe_quantize_kv_cache(q, opts);
  EXPECT_EQ(q[0]->class_name(), "QuantizedKVCache");
  double worst = 0;
  for (size_t t = 16; t < ids.size(); ++t)
    worst = std::max(worst, max_diff(step_logits(*model, full, {ids[t]}), step_logits(*model, q, {ids[t]})));
  EXPECT_LT(worst, 5e-2);
  EXPECT_GT(worst, 0.0);  // it really is quantized
  EXPECT_EQ(q[0]->offset(), int64_t(ids.size()));
}

TEST(Caches, BoundedQuantizedCache) {
  LMX_REQUIRE_SHARED("fixtures/hf-tiny/llama_headdim");
  auto model = models::load_model(lmx::testing::fixture_dir("llama_headdim"), {.dtype = Dtype::float32});
  auto ids = fixture_ids("llama_headdim");
  nn::CacheOptions opts{.max_kv_size = 16, .kv_bits = 4, .kv_group_size = 32};
  auto cache = model->make_cache(opts);
  for (size_t t = 0; t < ids.size(); ++t) {
    auto l = step_logits(*model, cache, {ids[t]});
    nn::maybe_quantize_kv_cache(cache, opts);
    for (float x : l) ASSERT_TRUE(std::isfinite(x));
  }
  EXPECT_EQ(cache[0]->class_name(), "QuantizedKVCache");
  EXPECT_LE(cache[0]->state()[0].shape(2), 16);
}

TEST(Caches, TrimRewinds) {
  LMX_REQUIRE_SHARED("fixtures/hf-tiny/llama");
  auto model = models::load_model(lmx::testing::fixture_dir("llama"), {.dtype = Dtype::float32});
  auto ids = fixture_ids("llama");
  auto c1 = model->make_cache(), c2 = model->make_cache();
  std::vector<int32_t> a(ids.begin(), ids.begin() + 10);
  step_logits(*model, c1, a);
  step_logits(*model, c1, {ids[10], ids[11], ids[12]});
  for (auto& c : c1) EXPECT_EQ(c->trim(3), 3);
  step_logits(*model, c2, a);
  EXPECT_LT(max_diff(step_logits(*model, c1, {ids[10]}), step_logits(*model, c2, {ids[10]})), 1e-5);
}

TEST(Caches, PromptCacheRoundTripGivesTheSameTokens) {
  LMX_REQUIRE_SHARED("models/stories260K/hf");
  auto m = load((lmx::testing::shared_dir() / "models/stories260K/hf").string());
  auto prompt = m.tokenizer.encode("Once upon a time, there was a little girl named Lily.", true);
  auto rest = m.tokenizer.encode(" She", false);
  GenerateOptions opts;
  opts.max_tokens = 16;
  // Reference: everything at once.
  std::vector<int32_t> all = prompt;
  all.insert(all.end(), rest.begin(), rest.end());
  std::vector<int32_t> want, got;
  stream_generate(*m.model, m.tokenizer, all, opts, [&](const GenerationResponse& r) {
    want.push_back(r.token);
    return true;
  });
  // Cache the prefix, save, load, continue.
  auto cache = m.model->make_cache();
  (*m.model)(Array(prompt, Shape{1, int64_t(prompt.size())}), &cache);
  auto path = std::filesystem::temp_directory_path() / "lmx_prompt_cache_test.safetensors";
  save_prompt_cache(path.string(), cache, {{"model", "stories260K"}});
  std::map<std::string, std::string> meta;
  auto loaded = load_prompt_cache(path.string(), &meta);
  EXPECT_EQ(meta["model"], "stories260K");
  ASSERT_EQ(loaded.size(), cache.size());
  EXPECT_EQ(loaded[0]->offset(), int64_t(prompt.size()));
  opts.prompt_cache = &loaded;
  stream_generate(*m.model, m.tokenizer, rest, opts, [&](const GenerationResponse& r) {
    got.push_back(r.token);
    return true;
  });
  EXPECT_EQ(got, want);
  std::filesystem::remove(path);
}

TEST(Caches, RotatingAndQuantizedPromptCachesRoundTrip) {
  LMX_REQUIRE_SHARED("fixtures/hf-tiny/llama_headdim");
  auto model = models::load_model(lmx::testing::fixture_dir("llama_headdim"), {.dtype = Dtype::float32});
  auto ids = fixture_ids("llama_headdim");
  for (nn::CacheOptions opts : {nn::CacheOptions{.max_kv_size = 12},
                                nn::CacheOptions{.kv_bits = 8, .kv_group_size = 32}}) {
    auto cache = model->make_cache(opts);
    for (size_t t = 0; t < 20; ++t) {
      step_logits(*model, cache, {ids[t]});
      nn::maybe_quantize_kv_cache(cache, opts);
    }
    auto path = std::filesystem::temp_directory_path() / "lmx_cache_rt.safetensors";
    save_prompt_cache(path.string(), cache);
    auto loaded = load_prompt_cache(path.string());
    EXPECT_EQ(loaded[0]->class_name(), cache[0]->class_name());
    auto a = step_logits(*model, cache, {ids[20]});
    auto b = step_logits(*model, loaded, {ids[20]});
    EXPECT_LT(max_diff(a, b), 1e-5) << cache[0]->class_name();
    std::filesystem::remove(path);
  }
}

TEST(Caches, LoadingGarbageIsAClearError) {
  auto path = std::filesystem::temp_directory_path() / "lmx_not_a_cache.safetensors";
  { std::ofstream(path) << "not a safetensors file"; }
  EXPECT_THROW(load_prompt_cache(path.string()), std::exception);
  std::filesystem::remove(path);
}
