// SPDX-License-Identifier: MIT
// Every supported fixture: the model's logits for the reference prompt match
// transformers' float32 logits within 1e-3.
#include <gtest/gtest.h>

#include <algorithm>

#include "lmx/core/ops.h"
#include "lmx/io/safetensors.h"
#include "lmx/models/load.h"
#include "tests/fixtures.h"

using namespace lmx;

class FixtureLogits : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureLogits, MatchesTransformers) {
  auto dir = lmx::testing::fixture_dir(GetParam());
  auto config = io::ModelConfig::load(dir);
  auto types = models::supported_model_types();
  if (std::find(types.begin(), types.end(), config.model_type()) == types.end())
    GTEST_SKIP() << "model_type " << config.model_type() << " is not supported yet";
  auto ref = lmx::testing::read_json(dir / "reference.json");
  auto model = models::load_model(dir, {.dtype = Dtype::float32});
  auto ids = ref["input_ids"].get<std::vector<int32_t>>();
  Array logits = (*model)(Array(ids, Shape{1, int64_t(ids.size())}), nullptr);
  auto want = models::to_array(io::load_safetensors(dir / "reference_logits.safetensors").begin()->second);
  ASSERT_EQ(logits.shape(), (Shape{1, want.shape(0), want.shape(1)}));
  auto got = astype(logits, Dtype::float32).to_vector<float>();
  auto exp = want.to_vector<float>();
  double max_err = 0;
  for (size_t i = 0; i < got.size(); ++i) max_err = std::max(max_err, double(std::abs(got[i] - exp[i])));
  EXPECT_LT(max_err, 1e-3) << GetParam();

  // The same logits again, one token at a time through the KV cache.
  auto cache = model->make_cache();
  std::vector<float> last;
  for (size_t t = 0; t < ids.size(); ++t) {
    Array out = (*model)(Array(&ids[t], Shape{1, 1}, Dtype::int32), &cache);
    last = astype(out, Dtype::float32).to_vector<float>();
    double err = 0;
    for (size_t v = 0; v < last.size(); ++v)
      err = std::max(err, double(std::abs(last[v] - exp[t * last.size() + v])));
    ASSERT_LT(err, 1e-3) << GetParam() << " at position " << t << " with the cache";
  }
}

INSTANTIATE_TEST_SUITE_P(HfTiny, FixtureLogits, ::testing::ValuesIn(lmx::testing::fixture_names()),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(FixtureLogits);
