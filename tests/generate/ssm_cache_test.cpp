// SPDX-License-Identifier: MIT
// Recurrent-state caches (ArraysCache) through real state-space models: prompt caches
// saved and loaded in MLX-LM's layout continue exactly, and the caches refuse to trim.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "lmx/core/ops.h"
#include "lmx/generate/prompt_cache.h"
#include "lmx/io/safetensors.h"
#include "lmx/models/load.h"
#include "lmx/nn/ssm_cache.h"
#include "tests/fixtures.h"

using namespace lmx;

namespace {

// Runs `ids` through the model and returns the last position's logits.
std::vector<float> last_logits(models::Model& m, nn::CacheList& cache,
                               const std::vector<int32_t>& ids) {
  Array out = m(Array(ids, Shape{1, int64_t(ids.size())}), &cache);
  int64_t L = out.shape(1);
  return astype(slice(out, 1, L - 1, L), Dtype::float32).to_vector<float>();
}

int32_t argmax_of(const std::vector<float>& v) {
  return int32_t(std::max_element(v.begin(), v.end()) - v.begin());
}

// Feeds `ids`, then generates `n` greedy tokens.
std::vector<int32_t> continue_greedy(models::Model& m, nn::CacheList& cache,
                                     const std::vector<int32_t>& ids, int n) {
  std::vector<int32_t> out;
  int32_t tok = argmax_of(last_logits(m, cache, ids));
  for (int i = 0; i < n; ++i) {
    out.push_back(tok);
    tok = argmax_of(last_logits(m, cache, {tok}));
  }
  return out;
}

struct Fixture {
  std::shared_ptr<models::Model> model;
  std::vector<int32_t> ids;
  nlohmann::json ref;
};

Fixture load_fixture(const std::string& name) {
  auto dir = lmx::testing::fixture_dir(name);
  Fixture f{models::load_model(dir, {.dtype = Dtype::float32}),
            {},
            lmx::testing::read_json(dir / "reference.json")};
  f.ids = f.ref["input_ids"].get<std::vector<int32_t>>();
  return f;
}

// Caches the first `split` prompt tokens, saves and loads them, and checks that both the
// live and the loaded cache continue with the reference's greedy tokens.
void check_round_trip(const std::string& name, size_t split) {
  auto f = load_fixture(name);
  std::vector<int32_t> head(f.ids.begin(), f.ids.begin() + split),
      rest(f.ids.begin() + split, f.ids.end());
  auto cache = f.model->make_cache();
  f.model->operator()(Array(head, Shape{1, int64_t(head.size())}), &cache);
  auto path = std::filesystem::temp_directory_path() / ("lmx_ssm_cache_" + name + ".safetensors");
  save_prompt_cache(path.string(), cache, {{"model", name}});
  std::map<std::string, std::string> meta;
  auto loaded = load_prompt_cache(path.string(), &meta);
  std::filesystem::remove(path);
  EXPECT_EQ(meta["model"], name);
  ASSERT_EQ(loaded.size(), cache.size());
  // Attention layers restore their token count; recurrent ones take it from them (a pure
  // state-space model has none to take, as in MLX-LM's layout).
  const bool hybrid = std::any_of(cache.begin(), cache.end(),
                                  [](const auto& c) { return c->class_name() != "ArraysCache"; });
  for (size_t i = 0; i < cache.size(); ++i) {
    EXPECT_EQ(loaded[i]->class_name(), cache[i]->class_name());
    if (hybrid) {
      EXPECT_EQ(loaded[i]->offset(), int64_t(split)) << "layer " << i;
    }
  }
  auto want = continue_greedy(*f.model, cache, rest, 24);
  auto got = continue_greedy(*f.model, loaded, rest, 24);
  EXPECT_EQ(got, want) << name;
  std::vector<int> as_int(want.begin(), want.end());
  EXPECT_TRUE(lmx::testing::greedy_matches(as_int, f.ref)) << name;
}

}  // namespace

TEST(SsmCache, MambaPromptCacheRoundTrips) {
  LMX_REQUIRE_SHARED("fixtures/hf-tiny/mamba");
  check_round_trip("mamba", 17);
}

TEST(SsmCache, HybridPromptCacheRoundTrips) {
  LMX_REQUIRE_SHARED("fixtures/hf-tiny/lfm2");
  check_round_trip("lfm2", 23);
}

TEST(SsmCache, SavesMlxLmArraysCacheLayout) {
  LMX_REQUIRE_SHARED("fixtures/hf-tiny/mamba");
  auto f = load_fixture("mamba");
  auto cache = f.model->make_cache();
  last_logits(*f.model, cache, f.ids);
  auto path = std::filesystem::temp_directory_path() / "lmx_ssm_cache_layout.safetensors";
  save_prompt_cache(path.string(), cache);
  auto file = io::SafetensorsFile::open(path);
  // (conv window, SSM state), then MLX-LM's empty left_padding and lengths.
  EXPECT_EQ(file.get("0.0.0").shape, (std::vector<int64_t>{1, 3, 128}));
  EXPECT_EQ(file.get("0.0.1").shape, (std::vector<int64_t>{1, 128, 8}));
  EXPECT_EQ(file.get("0.1").shape, (std::vector<int64_t>{0}));
  EXPECT_EQ(file.get("0.2").shape, (std::vector<int64_t>{0}));
  EXPECT_EQ(file.metadata().at("2.1"), "ArraysCache");
  std::filesystem::remove(path);
}

TEST(SsmCache, LoadsTheOlderMambaCacheLayout) {
  LMX_REQUIRE_SHARED("fixtures/hf-tiny/mamba");
  auto f = load_fixture("mamba");
  auto cache = f.model->make_cache();
  auto want = last_logits(*f.model, cache, f.ids);
  // "<layer>.<j>" tensors and the class name MambaCache, as MLX-LM wrote them before.
  std::vector<io::TensorView> views;
  std::vector<Array> keep;
  std::map<std::string, std::string> meta;
  for (size_t i = 0; i < cache.size(); ++i) {
    auto st = cache[i]->state();
    for (size_t j = 0; j < st.size(); ++j) {
      Array a = contiguous(st[j]);
      keep.push_back(a);
      views.push_back({std::to_string(i) + "." + std::to_string(j), "F32", a.shape(), a.raw_data(),
                       a.nbytes(), nullptr});
    }
    meta["0." + std::to_string(i)] = "";
    meta["2." + std::to_string(i)] = "MambaCache";
  }
  auto path = std::filesystem::temp_directory_path() / "lmx_ssm_cache_legacy.safetensors";
  io::save_safetensors(path, views, meta);
  auto loaded = load_prompt_cache(path.string());
  std::filesystem::remove(path);
  auto a = last_logits(*f.model, cache, {7});
  auto b = last_logits(*f.model, loaded, {7});
  for (size_t v = 0; v < a.size(); ++v) ASSERT_NEAR(a[v], b[v], 1e-5);
}

TEST(SsmCache, CannotBeTrimmed) {
  LMX_REQUIRE_SHARED("fixtures/hf-tiny/mamba");
  auto f = load_fixture("mamba");
  auto cache = f.model->make_cache();
  last_logits(*f.model, cache, f.ids);
  auto before = cache[0]->state()[1].to_vector<float>();
  for (auto& c : cache) {
    EXPECT_FALSE(c->is_trimmable());
    EXPECT_EQ(c->trim(4), 0);
    EXPECT_EQ(c->offset(), int64_t(f.ids.size()));
  }
  EXPECT_EQ(cache[0]->state()[1].to_vector<float>(), before);
}
