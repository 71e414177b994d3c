// SPDX-License-Identifier: MIT
// gpt-oss experts stored as OpenAI's MXFP4 blocks (<name>_blocks, <name>_scales) load to
// the same model as their dequantized values in transformers' layout: the gpt_oss fixture's
// experts are MXFP4-encoded here, written both ways, and the two models' logits compared.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>

#include <filesystem>

#include "lmx/core/ops.h"
#include "lmx/io/safetensors.h"
#include "lmx/models/load.h"
#include "tests/fixtures.h"

using namespace lmx;
namespace fs = std::filesystem;

namespace {

const float kFp4[16] = {0.0f,  0.5f,  1.0f,  1.5f,  2.0f,  3.0f,  4.0f,  6.0f,
                        -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f};

struct Mxfp4 {
  std::vector<uint8_t> blocks, scales;  // (rows, K/32, 16), (rows, K/32)
  std::vector<float> values;            // what they stand for, (rows, K)
};

// Encodes w (rows, K) row-major: per 32 values a power-of-two scale and nearest FP4 codes.
Mxfp4 encode(const std::vector<float>& w, int64_t K) {
  Mxfp4 m;
  int64_t groups = int64_t(w.size()) / 32;
  m.blocks.resize(size_t(groups * 16));
  m.scales.resize(size_t(groups));
  m.values.resize(w.size());
  for (int64_t g = 0; g < groups; ++g) {
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::abs(w[size_t(g * 32 + j)]));
    int e = amax > 0 ? int(std::ceil(std::log2(amax / 6.0f))) : 0;
    m.scales[size_t(g)] = uint8_t(e + 127);
    float scale = std::ldexp(1.0f, e);
    for (int j = 0; j < 32; ++j) {
      float v = w[size_t(g * 32 + j)] / scale;
      int best = 0;
      for (int c = 1; c < 16; ++c)
        if (std::abs(kFp4[c] - v) < std::abs(kFp4[best] - v)) best = c;
      m.values[size_t(g * 32 + j)] = kFp4[best] * scale;
      uint8_t& byte = m.blocks[size_t(g * 16 + j / 2)];
      byte = uint8_t(j % 2 == 0 ? (byte & 0xF0) | best : (byte & 0x0F) | (best << 4));
    }
  }
  (void)K;
  return m;
}

io::TensorView view(const std::string& name, const Array& a) {
  static const std::map<Dtype, std::string> codes = {
      {Dtype::uint8, "U8"}, {Dtype::bfloat16, "BF16"}, {Dtype::float32, "F32"}};
  Array c = contiguous(a);
  return {.name = name,
          .dtype = codes.at(c.dtype()),
          .shape = c.shape(),
          .data = c.raw_data(),
          .nbytes = c.nbytes(),
          .owner = std::shared_ptr<const void>(c.buffer(), c.raw_data())};
}

Array logits_of(const fs::path& dir, const std::vector<int32_t>& ids) {
  auto model = models::load_model(dir, {.dtype = Dtype::float32});
  return (*model)(Array(ids, Shape{1, int64_t(ids.size())}), nullptr);
}

}  // namespace

TEST(GptOssMxfp4, BlocksLoadLikeTheirValues) {
  auto src = lmx::testing::fixture_dir("gpt_oss");
  if (!fs::exists(src / "model.safetensors")) GTEST_SKIP() << "no gpt_oss fixture";
  fs::path tmp = fs::temp_directory_path() / ("lmx_mxfp4_test_" + std::to_string(::getpid()));
  fs::path dir_q = tmp / "mxfp4", dir_f = tmp / "float";
  std::vector<io::TensorView> vq, vf;
  std::vector<Array> keep;
  for (auto& [name, t] : io::load_safetensors(src / "model.safetensors")) {
    Array a = models::to_array(t);
    bool experts = name.ends_with("experts.gate_up_proj") || name.ends_with("experts.down_proj");
    if (!experts) {
      vq.push_back(view(name, a));
      vf.push_back(view(name, a));
      continue;
    }
    // transformers' (E, in, out) -> OpenAI's (E, out, in), encoded along `in`.
    Array w = contiguous(astype(swapaxes(a, -1, -2), Dtype::float32));
    int64_t E = w.shape(0), out = w.shape(1), in = w.shape(2);
    Mxfp4 m = encode(w.to_vector<float>(), in);
    keep.push_back(Array(m.blocks.data(), Shape{E, out, in / 32, 16}, Dtype::uint8));
    vq.push_back(view(name + "_blocks", keep.back()));
    keep.push_back(Array(m.scales.data(), Shape{E, out, in / 32}, Dtype::uint8));
    vq.push_back(view(name + "_scales", keep.back()));
    keep.push_back(swapaxes(Array(m.values, Shape{E, out, in}), -1, -2));
    vf.push_back(view(name, keep.back()));
  }
  for (auto& [d, v] : {std::pair{dir_q, vq}, std::pair{dir_f, vf}}) {
    fs::create_directories(d);
    fs::copy_file(src / "config.json", d / "config.json");
    io::save_safetensors(d / "model.safetensors", v);
  }
  auto ref = lmx::testing::read_json(src / "reference.json");
  auto ids = ref["input_ids"].get<std::vector<int32_t>>();
  Array a = logits_of(dir_q, ids), b = logits_of(dir_f, ids);
  fs::remove_all(tmp);
  EXPECT_LT(max(abs(subtract(a, b))).item<float>(), 1e-4);
}
