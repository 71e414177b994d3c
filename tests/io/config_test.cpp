// SPDX-License-Identifier: MIT
#include "lmx/io/config.h"

#include <gtest/gtest.h>

#include "tests/io/temp_dir.h"
#include "tests/shared_data.h"

namespace lmx::io {
namespace {

using nlohmann::json;

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

ModelConfig fixture(const std::string& name) {
  return ModelConfig::load(lmx::testing::shared_dir() / "fixtures/hf-tiny" / name);
}

TEST(Config, EveryFixtureLoads) {
  LMX_REQUIRE_SHARED("fixtures/hf-tiny");
  int n = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(lmx::testing::shared_dir() / "fixtures/hf-tiny")) {
    SCOPED_TRACE(e.path().string());
    ModelConfig c = ModelConfig::load(e.path());
    EXPECT_EQ(c.model_type(), c.root().at("model_type").get<std::string>());
    EXPECT_FALSE(c.eos_token_ids().empty());
    if (c.has("hidden_size") && c.has("num_attention_heads")) {
      EXPECT_GT(c.head_dim(), 0);
    }
    RopeConfig r = c.rope();
    EXPECT_GT(r.theta, 0);
    EXPECT_GT(r.partial_rotary_factor, 0);
    for (const std::string& t : c.layer_types()) c.rope(t);
    if (auto q = c.quantization()) {
      EXPECT_EQ(q->method, "mlx");
      EXPECT_EQ(q->defaults.mode, "affine");
      EXPECT_EQ(q->for_module("model.layers.0.self_attn.q_proj"), q->defaults);
    }
    ++n;
  }
  EXPECT_GT(n, 40);
}

TEST(Config, FixtureRopeVariants) {
  LMX_REQUIRE_SHARED("fixtures/hf-tiny");
  RopeConfig l3 = fixture("llama_rope_llama3").rope();
  EXPECT_EQ(l3.type, "llama3");
  EXPECT_EQ(l3.theta, 500000.0);
  EXPECT_EQ(l3.factor, 8.0);
  EXPECT_EQ(l3.low_freq_factor, 1.0);
  EXPECT_EQ(l3.high_freq_factor, 4.0);
  EXPECT_EQ(l3.original_max_position_embeddings, 32);
  RopeConfig yarn = fixture("llama_rope_yarn").rope();
  EXPECT_EQ(yarn.type, "yarn");
  EXPECT_EQ(yarn.factor, 4.0);
  EXPECT_EQ(yarn.original_max_position_embeddings, 64);
  EXPECT_EQ(yarn.beta_fast, 32.0);
  EXPECT_FALSE(yarn.attention_factor.has_value());
  RopeConfig lin = fixture("llama_rope_linear").rope();  // older rope_theta + rope_scaling
  EXPECT_EQ(lin.type, "linear");
  EXPECT_EQ(lin.factor, 2.0);
  EXPECT_EQ(lin.theta, 10000.0);
  RopeConfig oss = fixture("gpt_oss").rope("sliding_attention");
  EXPECT_EQ(oss.type, "yarn");
  EXPECT_EQ(oss.theta, 150000.0);
  EXPECT_EQ(oss.factor, 32.0);
  EXPECT_FALSE(oss.truncate);
  EXPECT_EQ(fixture("glm4").rope().partial_rotary_factor, 0.5);
  EXPECT_EQ(fixture("gpt_neox").rope().partial_rotary_factor, 0.25);
  EXPECT_EQ(fixture("stablelm").rope().partial_rotary_factor, 0.25);
  EXPECT_EQ(fixture("qwen3").rope().type, "default");
  EXPECT_EQ(fixture("mixtral").rope().theta, 1e6);
  ModelConfig g3 = fixture("gemma3_text");
  EXPECT_EQ(g3.rope().theta, 1e6);
  EXPECT_EQ(g3.rope("full_attention").theta, 1e6);
  EXPECT_EQ(g3.rope("sliding_attention").theta, 10000.0);
  EXPECT_EQ(g3.layer_types().size(), 3u);
}

TEST(Config, FixtureHeadDimEosAndQuantization) {
  LMX_REQUIRE_SHARED("fixtures/hf-tiny");
  ModelConfig mixtral = fixture("mixtral");  // "head_dim": null
  EXPECT_FALSE(mixtral.has("head_dim"));
  EXPECT_EQ(mixtral.head_dim(),
            mixtral.get<int64_t>("hidden_size") / mixtral.get<int64_t>("num_attention_heads"));
  EXPECT_EQ(fixture("llama_headdim").head_dim(), 32);
  EXPECT_TRUE(fixture("llama_tied_f32").tie_word_embeddings());
  EXPECT_EQ(fixture("llama").eos_token_ids(), std::vector<int64_t>{1});
  EXPECT_EQ(fixture("llama").get<int>("num_hidden_layers"),
            fixture("llama").root()["num_hidden_layers"]);
  EXPECT_FALSE(fixture("llama").quantization().has_value());
  auto q = fixture("llama-q4g64").quantization();
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->defaults, (QuantSpec{4, 64, "affine"}));
  EXPECT_EQ(fixture("llama-q3g32").quantization()->defaults, (QuantSpec{3, 32, "affine"}));
  EXPECT_EQ(fixture("qwen3-q6g64").quantization()->defaults.bits, 6);
}

TEST(Config, Stories260K) {
  LMX_REQUIRE_SHARED("models/stories260K/hf");
  ModelConfig c = ModelConfig::load(lmx::testing::shared_dir() / "models/stories260K/hf");
  EXPECT_EQ(c.model_type(), "llama");
  EXPECT_EQ(c.head_dim(), 8);
  EXPECT_EQ(c.rope().type, "default");  // "rope_scaling": null
  EXPECT_TRUE(c.rope().raw.is_null());
  EXPECT_EQ(c.rope().theta, 10000.0);
  EXPECT_TRUE(c.tie_word_embeddings(false));
  EXPECT_EQ(c.eos_token_ids(), std::vector<int64_t>{2});
  EXPECT_EQ(c.dtype(), "float32");  // torch_dtype
  EXPECT_FALSE(c.get_optional<int>("pad_token_id").has_value());
}

TEST(Config, TextConfigNestingAndPerLayerRope) {
  json j = json::parse(R"({
    "model_type": "gemma3", "eos_token_id": [1, 106], "tie_word_embeddings": false,
    "text_config": {
      "model_type": "gemma3_text", "hidden_size": 64, "num_attention_heads": 4, "head_dim": null,
      "rope_parameters": {
        "full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1000000.0},
        "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}
      },
      "layer_types": ["sliding_attention", "full_attention"]
    },
    "vision_config": {"model_type": "siglip", "hidden_size": 1152}
  })");
  ModelConfig c = ModelConfig::from_json(j);
  EXPECT_TRUE(c.has_text_config());
  EXPECT_EQ(c.model_type(), "gemma3_text");
  EXPECT_EQ(c.root_model_type(), "gemma3");
  EXPECT_EQ(c.get<int>("hidden_size"), 64);  // from text_config, not vision_config
  EXPECT_EQ(c.head_dim(), 16);
  EXPECT_FALSE(c.tie_word_embeddings());  // from the top level
  EXPECT_EQ(c.eos_token_ids(), (std::vector<int64_t>{1, 106}));
  EXPECT_EQ(c.rope().type, "linear");
  EXPECT_EQ(c.rope().factor, 8.0);
  EXPECT_EQ(c.rope("full_attention").theta, 1e6);
  RopeConfig s = c.rope("sliding_attention");
  EXPECT_EQ(s.type, "default");
  EXPECT_EQ(s.theta, 10000.0);
  EXPECT_EQ(s.factor, 1.0);
  EXPECT_EQ(c.rope("linear_attention").theta, 1e6);  // unknown kinds fall back to full
}

TEST(Config, OlderRopeForms) {
  // Phi-3 "su" (longrope) with the original length at the top level.
  ModelConfig phi3 = ModelConfig::from_json(json::parse(R"({
    "model_type": "phi3", "rope_theta": 10000.0, "original_max_position_embeddings": 4096,
    "rope_scaling": {"type": "su", "short_factor": [1.0, 1.5], "long_factor": [2, 3.5]},
    "partial_rotary_factor": 0.75})"));
  RopeConfig r = phi3.rope();
  EXPECT_EQ(r.type, "longrope");
  EXPECT_EQ(r.original_max_position_embeddings, 4096);
  EXPECT_EQ(r.short_factor, (std::vector<double>{1.0, 1.5}));
  EXPECT_EQ(r.long_factor, (std::vector<double>{2.0, 3.5}));
  EXPECT_EQ(r.partial_rotary_factor, 0.75);
  // DeepSeek yarn with mscale.
  RopeConfig ds = ModelConfig::from_json(json::parse(R"({"model_type": "deepseek_v3",
    "rope_theta": 10000, "rope_scaling": {"type": "yarn", "factor": 40, "mscale": 1.0,
    "mscale_all_dim": 0.707, "beta_fast": 32, "beta_slow": 1,
    "original_max_position_embeddings": 4096}})"))
                      .rope();
  EXPECT_EQ(ds.type, "yarn");
  EXPECT_EQ(ds.factor, 40.0);
  EXPECT_EQ(ds.mscale, 1.0);
  EXPECT_EQ(ds.mscale_all_dim, 0.707);
  EXPECT_EQ(ds.theta, 10000.0);
  // GPT-NeoX's older names; dynamic scaling.
  RopeConfig nx = ModelConfig::from_json(json::parse(R"({"model_type": "gpt_neox",
    "rotary_emb_base": 500, "rotary_pct": 0.25,
    "rope_scaling": {"rope_type": "dynamic", "factor": 2.0}})"))
                      .rope();
  EXPECT_EQ(nx.type, "dynamic");
  EXPECT_EQ(nx.theta, 500.0);
  EXPECT_EQ(nx.partial_rotary_factor, 0.25);
  // Qwen2-VL mrope is default rope with sections.
  RopeConfig vl = ModelConfig::from_json(json::parse(R"({"model_type": "qwen2_vl",
    "rope_theta": 1000000.0, "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]}})"))
                      .rope();
  EXPECT_EQ(vl.type, "default");
  EXPECT_EQ(vl.mrope_section, (std::vector<int64_t>{16, 24, 24}));
  // No rope keys at all.
  RopeConfig none = ModelConfig::from_json(json::parse(R"({"model_type": "x"})")).rope();
  EXPECT_EQ(none.type, "default");
  EXPECT_EQ(none.theta, 10000.0);
  expect_error(
      [] { ModelConfig::from_json(json::parse(R"({"rope_scaling": {"factor": "x"}})")).rope(); },
      {"factor"});
}

TEST(Config, QuantizationOverrides) {
  ModelConfig c = ModelConfig::from_json(json::parse(R"({"model_type": "llama",
    "quantization": {"group_size": 64, "bits": 4, "mode": "affine",
      "model.layers.0.mlp.gate": {"group_size": 64, "bits": 8},
      "model.layers.1.mlp.down_proj": {"bits": 6},
      "lm_head": false, "model.embed_tokens": true}})"));
  auto q = c.quantization();
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->method, "mlx");
  EXPECT_EQ(q->for_module("model.layers.0.self_attn.q_proj"), (QuantSpec{4, 64, "affine"}));
  EXPECT_EQ(q->for_module("model.layers.0.mlp.gate"), (QuantSpec{8, 64, "affine"}));
  EXPECT_EQ(q->for_module("model.layers.1.mlp.down_proj"), (QuantSpec{6, 64, "affine"}));
  EXPECT_FALSE(q->for_module("lm_head").has_value());
  EXPECT_EQ(q->for_module("model.embed_tokens"), q->defaults);
  // mxfp4 defaults to groups of 32.
  auto mx =
      ModelConfig::from_json(json::parse(R"({"quantization": {"mode": "mxfp4"}})")).quantization();
  EXPECT_EQ(mx->defaults, (QuantSpec{4, 32, "mxfp4"}));
  // Another format's quantization_config is reported, not misread as module overrides.
  auto fp8 = ModelConfig::from_json(json::parse(R"({"quantization_config":
    {"quant_method": "fp8", "weight_block_size": [128, 128], "config_groups": {"a": {}}}})"))
                 .quantization();
  EXPECT_EQ(fp8->method, "fp8");
  EXPECT_TRUE(fp8->overrides.empty());
  expect_error(
      [] {
        ModelConfig::from_json(json::parse(R"({"quantization": {"bits": "4"}})")).quantization();
      },
      {"bits"});
}

TEST(Config, EosIdsAndGenerationOverride) {
  json config = json::parse(R"({"model_type": "llama", "eos_token_id": 2})");
  EXPECT_EQ(ModelConfig::from_json(config).eos_token_ids(), std::vector<int64_t>{2});
  EXPECT_EQ(ModelConfig::from_json(config, json::parse(R"({"eos_token_id": [128001, 128009]})"))
                .eos_token_ids(),
            (std::vector<int64_t>{128001, 128009}));
  EXPECT_EQ(ModelConfig::from_json(config, json::parse(R"({"eos_token_id": 7})")).eos_token_ids(),
            std::vector<int64_t>{7});
  EXPECT_EQ(
      ModelConfig::from_json(config, json::parse(R"({"eos_token_id": null})")).eos_token_ids(),
      std::vector<int64_t>{2});
  EXPECT_EQ(ModelConfig::from_json(config, json::parse(R"({"eos_token_id": []})")).eos_token_ids(),
            std::vector<int64_t>{2});
  EXPECT_TRUE(
      ModelConfig::from_json(json::parse(R"({"model_type": "x"})")).eos_token_ids().empty());
  expect_error(
      [] { ModelConfig::from_json(json::parse(R"({"eos_token_id": "x"})")).eos_token_ids(); },
      {"eos_token_id"});
}

TEST(Config, TypedGettersAndErrors) {
  ModelConfig c = ModelConfig::from_json(json::parse(R"({"model_type": "llama",
    "num_hidden_layers": 4, "rms_norm_eps": 1e-5, "rope_theta": 10000, "attention_bias": false,
    "max_position_embeddings": 4096.0, "sliding_window": null, "layer_types": ["a", "b"]})"),
                                         nullptr, "my/config.json");
  EXPECT_EQ(c.get<int>("num_hidden_layers"), 4);
  EXPECT_EQ(c.get<double>("num_hidden_layers"), 4.0);
  EXPECT_EQ(c.get<double>("rope_theta"), 10000.0);
  EXPECT_EQ(c.get<int64_t>("max_position_embeddings"), 4096);
  EXPECT_FALSE(c.get<bool>("attention_bias"));
  EXPECT_EQ(c.get<int>("vocab_size", 32000), 32000);
  EXPECT_EQ(c.get<int>("sliding_window", -1), -1);  // null counts as absent
  EXPECT_FALSE(c.get_optional<int>("sliding_window").has_value());
  EXPECT_EQ(c.get_optional<double>("rms_norm_eps"), 1e-5);
  EXPECT_EQ(c.layer_types(), (std::vector<std::string>{"a", "b"}));
  expect_error([&] { c.get<int>("hidden_size"); }, {"my/config.json", "missing \"hidden_size\""});
  expect_error([&] { c.get<int>("rms_norm_eps"); }, {"\"rms_norm_eps\"", "unexpected value"});
  expect_error([&] { c.get<int>("model_type"); }, {"\"model_type\""});
  expect_error([&] { c.get<bool>("num_hidden_layers", false); }, {"num_hidden_layers"});
  expect_error([&] { c.head_dim(); }, {"hidden_size"});
}

TEST(Config, FilesAndErrors) {
  lmx::testing::TempDir dir;
  expect_error([&] { ModelConfig::load(dir.path()); }, {"no config.json"});
  lmx::testing::write_file(dir / "config.json", "{\"model_type\": ");
  expect_error([&] { ModelConfig::load(dir.path()); }, {"config.json", "bad JSON"});
  lmx::testing::write_file(dir / "config.json", "[1]");
  expect_error([&] { ModelConfig::load(dir.path()); }, {"not a JSON object"});
  lmx::testing::write_file(dir / "config.json", R"({"model_type": "qwen2", "eos_token_id": 5})");
  lmx::testing::write_file(dir / "generation_config.json", R"({"eos_token_id": [5, 6]})");
  ModelConfig c = ModelConfig::load(dir.path());
  EXPECT_EQ(c.model_type(), "qwen2");
  EXPECT_EQ(c.eos_token_ids(), (std::vector<int64_t>{5, 6}));
  lmx::testing::write_file(dir / "generation_config.json", "nonsense");
  expect_error([&] { ModelConfig::load(dir.path()); }, {"generation_config.json"});
}

}  // namespace
}  // namespace lmx::io
