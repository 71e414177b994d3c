// SPDX-License-Identifier: MIT
#include "lmx/io/gguf.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "lmx/io/error.h"
#include "lmx/io/safetensors.h"
#include "tests/io/ggml_reference_data.h"
#include "tests/io/temp_dir.h"
#include "tests/shared_data.h"

namespace lmx::io {
namespace {

using lmx::testing::TempDir;
using lmx::testing::write_file;

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

// Writes GGUF files byte by byte, for tests.
class GgufBuilder {
 public:
  explicit GgufBuilder(uint32_t version = 3, uint64_t alignment = 32)
      : version_(version), alignment_(alignment) {}

  template <class T>
  static void put(std::string& out, T v) {
    out.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  void count(std::string& out, uint64_t n) const {
    if (version_ == 1)
      put<uint32_t>(out, static_cast<uint32_t>(n));
    else
      put<uint64_t>(out, n);
  }
  void str(std::string& out, const std::string& s) const {
    count(out, s.size());
    out += s;
  }
  // A key with a raw, already encoded value.
  GgufBuilder& kv_raw(const std::string& key, GgufType type, const std::string& value) {
    str(kv_, key);
    put<uint32_t>(kv_, static_cast<uint32_t>(type));
    kv_ += value;
    ++n_kv_;
    return *this;
  }
  template <class T>
  GgufBuilder& kv(const std::string& key, GgufType type, T v) {
    std::string s;
    put<T>(s, v);
    return kv_raw(key, type, s);
  }
  GgufBuilder& kv_str(const std::string& key, const std::string& v) {
    std::string s;
    str(s, v);
    return kv_raw(key, GgufType::STRING, s);
  }
  template <class T>
  GgufBuilder& kv_array(const std::string& key, GgufType elem, const std::vector<T>& v) {
    std::string s;
    put<uint32_t>(s, static_cast<uint32_t>(elem));
    count(s, v.size());
    for (const T& x : v) {
      if constexpr (std::is_same_v<T, std::string>)
        str(s, x);
      else
        put<T>(s, x);
    }
    return kv_raw(key, GgufType::ARRAY, s);
  }
  // A tensor placed after the previous one at the next aligned offset (or at `offset`).
  GgufBuilder& tensor(const std::string& name, std::vector<uint64_t> dims, GgmlType type,
                      const std::string& bytes, std::optional<uint64_t> offset = {}) {
    str(infos_, name);
    put<uint32_t>(infos_, static_cast<uint32_t>(dims.size()));
    for (uint64_t d : dims) {
      if (version_ == 1)
        put<uint32_t>(infos_, static_cast<uint32_t>(d));
      else
        put<uint64_t>(infos_, d);
    }
    put<uint32_t>(infos_, static_cast<uint32_t>(type));
    const uint64_t at = offset.value_or((data_.size() + alignment_ - 1) / alignment_ * alignment_);
    put<uint64_t>(infos_, at);
    if (data_.size() < at + bytes.size()) data_.resize(at + bytes.size(), '\0');
    data_.replace(at, bytes.size(), bytes);
    ++n_tensors_;
    return *this;
  }
  std::string build() const {
    std::string out = "GGUF";
    put<uint32_t>(out, version_);
    count(out, n_tensors_);
    count(out, n_kv_);
    out += kv_ + infos_;
    out.resize((out.size() + alignment_ - 1) / alignment_ * alignment_, '\0');
    return out + data_;
  }

 private:
  uint32_t version_;
  uint64_t alignment_;
  std::string kv_, infos_, data_;
  uint64_t n_kv_ = 0, n_tensors_ = 0;
};

std::string floats(std::initializer_list<float> v) {
  return std::string(reinterpret_cast<const char*>(std::data(v)), v.size() * sizeof(float));
}

// Parses `bytes` from memory (no file system: the corruption test makes thousands).
GgufFile parse_bytes(const std::string& bytes) {
  auto owner = std::make_shared<std::string>(bytes);
  return GgufFile::from_memory(owner->data(), owner->size(), owner, "mem.gguf");
}

GgufFile open_bytes(const TempDir& dir, const std::string& bytes,
                    const std::string& name = "t.gguf") {
  write_file(dir / name, bytes);
  return GgufFile::open(dir / name);
}

TEST(Gguf, TypeSizes) {
  const int64_t row256[] = {256, 3};
  EXPECT_EQ(ggml_nbytes(GgmlType::F32, row256), 256u * 3 * 4);
  EXPECT_EQ(ggml_nbytes(GgmlType::Q4_0, row256), 8u * 3 * 18);
  EXPECT_EQ(ggml_nbytes(GgmlType::Q8_0, row256), 8u * 3 * 34);
  EXPECT_EQ(ggml_nbytes(GgmlType::Q4_K, row256), 3u * 144);
  EXPECT_EQ(ggml_nbytes(GgmlType::Q6_K, row256), 3u * 210);
  EXPECT_EQ(ggml_nbytes(GgmlType::IQ4_XS, row256), 3u * 136);
  EXPECT_EQ(ggml_nbytes(GgmlType::BF16, row256), 256u * 3 * 2);
  EXPECT_EQ(ggml_type_name(GgmlType::Q5_K), "Q5_K");
  EXPECT_EQ(ggml_type_name(static_cast<GgmlType>(4)), "type 4");
  const int64_t row100[] = {100};
  expect_error([&] { ggml_nbytes(GgmlType::Q4_K, row100); }, {"Q4_K", "block size 256"});
  expect_error([&] { ggml_type_info(static_cast<GgmlType>(99)); }, {"unknown ggml type 99"});
}

TEST(Gguf, HalfAndBfloat) {
  EXPECT_EQ(f16_to_f32(0x3C00), 1.0f);
  EXPECT_EQ(f16_to_f32(0xC000), -2.0f);
  EXPECT_EQ(f16_to_f32(0x7BFF), 65504.0f);
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(f16_to_f32(0x8000), -0.0f);
  EXPECT_TRUE(std::signbit(f16_to_f32(0x8000)));
  EXPECT_EQ(f16_to_f32(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7E00)));
  EXPECT_EQ(f16_to_f32(0x3555), 0.333251953125f);
  EXPECT_EQ(bf16_to_f32(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_f32(0xC0A0), -5.0f);
}

TEST(Gguf, DequantizeBlocks) {
  float y[64];
  // Q4_0: d = 0.5; qs[j] = j | (15 - j) << 4.
  std::string q4_0("\x00\x38", 2);
  for (int j = 0; j < 16; ++j) q4_0 += static_cast<char>(j | (15 - j) << 4);
  dequantize_to_f32(GgmlType::Q4_0, q4_0.data(), y, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], (j - 8) * 0.5f);
    EXPECT_EQ(y[j + 16], (7 - j) * 0.5f);
  }
  // Q4_1: d = 0.25, m = -1.
  std::string q4_1 = std::string("\x00\x34\x00\xbc", 4) + q4_0.substr(2);
  dequantize_to_f32(GgmlType::Q4_1, q4_1.data(), y, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], j * 0.25f - 1);
    EXPECT_EQ(y[j + 16], (15 - j) * 0.25f - 1);
  }
  // Q8_0: two blocks, d = 2 then d = -0.5; qs = -16..15.
  std::string q8;
  for (const char* d : {"\x00\x40", "\x00\xb8"}) {
    q8 += std::string(d, 2);
    for (int j = 0; j < 32; ++j) q8 += static_cast<char>(j - 16);
  }
  dequantize_to_f32(GgmlType::Q8_0, q8.data(), y, 64);
  for (int j = 0; j < 32; ++j) {
    EXPECT_EQ(y[j], (j - 16) * 2.0f);
    EXPECT_EQ(y[j + 32], (j - 16) * -0.5f);
  }
  // Q5_0 and Q5_1: the fifth bit of value j is bit j of qh; here set for odd j.
  const uint32_t qh = 0xAAAAAAAAu;
  std::string qh_bytes(reinterpret_cast<const char*>(&qh), 4);
  std::string q5_0 = std::string("\x00\x3c", 2) + qh_bytes + q4_0.substr(2);
  dequantize_to_f32(GgmlType::Q5_0, q5_0.data(), y, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], static_cast<float>((j | (j % 2) << 4) - 16));
    EXPECT_EQ(y[j + 16], static_cast<float>(((15 - j) | (j % 2) << 4) - 16));
  }
  std::string q5_1 = std::string("\x00\x3c\x00\x40", 4) + qh_bytes + q4_0.substr(2);
  dequantize_to_f32(GgmlType::Q5_1, q5_1.data(), y, 32);
  for (int j = 0; j < 16; ++j) EXPECT_EQ(y[j], static_cast<float>((j | (j % 2) << 4) + 2));
  // F16 / BF16 / integers.
  const uint16_t h[2] = {0x3C00, 0xC000};
  dequantize_to_f32(GgmlType::F16, h, y, 2);
  EXPECT_EQ(y[1], -2.0f);
  const uint16_t bf[2] = {0x3F80, 0x4040};
  dequantize_to_f32(GgmlType::BF16, bf, y, 2);
  EXPECT_EQ(y[1], 3.0f);
  const int32_t i32[2] = {-7, 9};
  dequantize_to_f32(GgmlType::I32, i32, y, 2);
  EXPECT_EQ(y[0], -7.0f);
  expect_error([&] { dequantize_to_f32(GgmlType::IQ2_XXS, q8.data(), y, 256); },
               {"unsupported ggml type IQ2_XXS"});
  expect_error([&] { dequantize_to_f32(GgmlType::Q8_0, q8.data(), y, 33); }, {"blocks of 32"});
}

// Blocks made by ggml's quantizers dequantize to what ggml's own dequantizers give.
TEST(Gguf, DequantizeMatchesGgml) {
  std::map<std::string, GgmlType> by_name;
  for (uint32_t i = 0; i < 64; ++i) {
    const auto t = static_cast<GgmlType>(i);
    by_name[ggml_type_name(t)] = t;
  }
  for (const auto& ref : lmx::testing::kGgmlReference) {
    SCOPED_TRACE(std::string(ref.type));
    const GgmlType type = by_name.at(std::string(ref.type));
    std::string bytes;
    for (size_t i = 0; i + 1 < ref.hex.size(); i += 2)
      bytes += static_cast<char>(std::stoi(std::string(ref.hex.substr(i, 2)), nullptr, 16));
    const int64_t dims[] = {512};
    ASSERT_EQ(bytes.size(), ggml_nbytes(type, dims));
    std::vector<float> y(512);
    dequantize_to_f32(type, bytes.data(), y.data(), 512);
    double sum = 0;
    for (float v : y) sum += v;
    EXPECT_NEAR(sum, ref.sum, 1e-4 * (1 + std::abs(ref.sum)));
    for (int k = 0; k < 14; ++k)
      EXPECT_NEAR(y[37 * k], ref.samples[k], 1e-6 * (1 + std::abs(ref.samples[k])))
          << "i=" << 37 * k;
    // And the values approximate the input the blocks were made from.
    double err2 = 0;
    for (int i = 0; i < 512; ++i) {
      const float x = std::sin(0.37f * i) * (1.0f + 0.01f * (i % 97)) + 0.05f * std::cos(1.3f * i);
      err2 += (y[i] - x) * (y[i] - x);
    }
    EXPECT_LT(std::sqrt(err2 / 512), 0.3);  // Q2_K is the coarsest: about 0.23
  }
}

TEST(Gguf, Stories260KVersions3And1) {
  LMX_REQUIRE_SHARED("models/stories260K/stories260K-v3-from-crabml.gguf");
  const auto dir = lmx::testing::shared_dir() / "models/stories260K";
  GgufFile v3 = GgufFile::open(dir / "stories260K-v3-from-crabml.gguf");
  GgufFile v1 = GgufFile::open(dir / "tinyllamas-stories-260k-f32.gguf");
  EXPECT_EQ(v3.version(), 3u);
  EXPECT_EQ(v1.version(), 1u);
  for (const GgufFile* g : {&v3, &v1}) {
    EXPECT_EQ(g->alignment(), 32u);
    EXPECT_EQ(g->metadata().size(), 18u);
    EXPECT_EQ(g->get("general.architecture").as_string(), "llama");
    EXPECT_EQ(g->get("llama.context_length").as_int(), 512);
    EXPECT_EQ(g->get("llama.block_count").type(), GgufType::UINT32);
    EXPECT_NEAR(g->get("llama.attention.layer_norm_rms_epsilon").as_float(), 1e-5, 1e-9);
    const auto& tokens = g->get("tokenizer.ggml.tokens").as_string_array();
    ASSERT_EQ(tokens.size(), 512u);
    EXPECT_EQ(tokens[1], "<s>");
    EXPECT_EQ(g->get("tokenizer.ggml.scores").as_float_array().size(), 512u);
    EXPECT_EQ(g->get("tokenizer.ggml.token_type").as_int_array()[0], 2);
    EXPECT_EQ(g->get("tokenizer.ggml.token_type").element_type(), GgufType::INT32);
    EXPECT_EQ(g->find("nope"), nullptr);
    expect_error([&] { g->get("nope"); }, {"'nope'"});
    ASSERT_EQ(g->tensors().size(), 48u);
    const GgufTensor& emb = g->tensor("token_embd.weight");
    EXPECT_EQ(emb.type, GgmlType::F32);
    EXPECT_EQ(emb.dims, (std::vector<int64_t>{64, 512}));
    EXPECT_EQ(emb.shape(), (std::vector<int64_t>{512, 64}));
    EXPECT_EQ(emb.nbytes, 512u * 64 * 4);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(emb.data) % 32, 0u);
  }
  for (const GgufTensor& t : v3.tensors()) {
    const GgufTensor& o = v1.tensor(t.name);
    ASSERT_EQ(o.nbytes, t.nbytes);
    EXPECT_EQ(std::memcmp(o.data, t.data, t.nbytes), 0) << t.name;
  }
  // The same weights as the Hugging Face export (embeddings are not permuted).
  LMX_REQUIRE_SHARED("models/stories260K/hf/model.safetensors");
  SafetensorsFile hf = SafetensorsFile::open(dir / "hf/model.safetensors");
  const TensorView& e = hf.get("model.embed_tokens.weight");
  std::vector<float> f = dequantize_to_f32(v3.tensor("token_embd.weight"));
  ASSERT_EQ(f.size() * 4, e.nbytes);
  EXPECT_EQ(std::memcmp(f.data(), e.data, e.nbytes), 0);
}

TEST(Gguf, VocabFiles) {
  LMX_REQUIRE_SHARED("llamacpp-vocab");
  int n = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(lmx::testing::shared_dir() / "llamacpp-vocab")) {
    if (e.path().extension() != ".gguf") continue;
    GgufFile g = GgufFile::open(e.path());
    EXPECT_GT(g.get("tokenizer.ggml.tokens").size(), 1000u) << e.path();
    ++n;
  }
  EXPECT_GT(n, 5);
}

// A small file with every kind of value and a few tensor types.
GgufBuilder sample(uint32_t version, uint64_t alignment = 64) {
  GgufBuilder b(version, alignment);
  b.kv("general.alignment", GgufType::UINT32, static_cast<uint32_t>(alignment))
      .kv_str("general.architecture", "llama")
      .kv("u8", GgufType::UINT8, uint8_t{200})
      .kv("i8", GgufType::INT8, int8_t{-3})
      .kv("u16", GgufType::UINT16, uint16_t{60000})
      .kv("i16", GgufType::INT16, int16_t{-30000})
      .kv("i32", GgufType::INT32, int32_t{-5})
      .kv("f32", GgufType::FLOAT32, 0.5f)
      .kv("b", GgufType::BOOL, uint8_t{1})
      .kv("u64", GgufType::UINT64, uint64_t{18446744073709551615ull})
      .kv("i64", GgufType::INT64, int64_t{-1} << 40)
      .kv("f64", GgufType::FLOAT64, 2.25)
      .kv_array("ints", GgufType::INT32, std::vector<int32_t>{1, -2, 3})
      .kv_array("bools", GgufType::BOOL, std::vector<uint8_t>{1, 0})
      .kv_array("floats", GgufType::FLOAT32, std::vector<float>{0.25f, -1.0f})
      .kv_array("strs", GgufType::STRING, std::vector<std::string>{"a", "", "ccc"});
  // An array of two arrays of UINT16.
  std::string nested;
  GgufBuilder::put<uint32_t>(nested, static_cast<uint32_t>(GgufType::ARRAY));
  b.count(nested, 2);
  for (uint16_t base : {10, 20}) {
    GgufBuilder::put<uint32_t>(nested, static_cast<uint32_t>(GgufType::UINT16));
    b.count(nested, 2);
    GgufBuilder::put<uint16_t>(nested, base);
    GgufBuilder::put<uint16_t>(nested, static_cast<uint16_t>(base + 1));
  }
  b.kv_raw("nested", GgufType::ARRAY, nested);
  std::string q8 = std::string("\x00\x40", 2) + std::string(32, '\x01');
  b.tensor("w", {2, 3}, GgmlType::F32, floats({1, 2, 3, 4, 5, 6}))
      .tensor("q", {32}, GgmlType::Q8_0, q8)
      .tensor("h", {1}, GgmlType::F16, std::string("\x00\x3c", 2));
  return b;
}

TEST(Gguf, AllValueTypesEveryVersion) {
  TempDir dir;
  for (uint32_t version : {1u, 2u, 3u}) {
    SCOPED_TRACE(version);
    GgufFile g = open_bytes(dir, sample(version).build());
    EXPECT_EQ(g.version(), version);
    EXPECT_EQ(g.alignment(), 64u);
    EXPECT_EQ(g.data_offset() % 64, 0u);
    EXPECT_EQ(g.metadata()[1].first, "general.architecture");  // file order kept
    EXPECT_EQ(g.get("u8").as_int(), 200);
    EXPECT_EQ(g.get("i8").as_int(), -3);
    EXPECT_EQ(g.get("u16").as_int(), 60000);
    EXPECT_EQ(g.get("i16").as_int(), -30000);
    EXPECT_EQ(g.get("i32").as_int(), -5);
    EXPECT_EQ(g.get("f32").as_float(), 0.5);
    EXPECT_TRUE(g.get("b").as_bool());
    EXPECT_EQ(g.get("b").to_json(), true);
    EXPECT_EQ(g.get("u64").as_uint(), 18446744073709551615ull);
    EXPECT_EQ(g.get("u64").to_json(), 18446744073709551615ull);
    EXPECT_EQ(g.get("i64").as_int(), int64_t{-1} << 40);
    EXPECT_EQ(g.get("f64").as_float(), 2.25);
    EXPECT_EQ(g.get("ints").as_int_array(), (std::vector<int64_t>{1, -2, 3}));
    EXPECT_EQ(g.get("bools").to_json(), nlohmann::json::parse("[true, false]"));
    EXPECT_EQ(g.get("floats").as_float_array(), (std::vector<double>{0.25, -1.0}));
    EXPECT_EQ(g.get("strs").as_string_array(), (std::vector<std::string>{"a", "", "ccc"}));
    EXPECT_EQ(g.get("nested").to_json(), nlohmann::json::parse("[[10, 11], [20, 21]]"));
    EXPECT_EQ(g.get("nested").as_array_array()[1].as_int_array()[0], 20);
    expect_error([&] { g.get("strs").as_int(); }, {"not an integer"});
    expect_error([&] { g.get("f32").as_string(); }, {"not a string"});
    expect_error([&] { g.get("ints").as_string_array(); }, {"not a string array"});
    const GgufTensor& w = g.tensor("w");
    EXPECT_EQ(w.shape(), (std::vector<int64_t>{3, 2}));
    EXPECT_EQ(dequantize_to_f32(w), (std::vector<float>{1, 2, 3, 4, 5, 6}));
    const GgufTensor& q = g.tensor("q");
    EXPECT_EQ(q.offset, 64u);
    EXPECT_EQ(q.nbytes, 34u);
    EXPECT_EQ(dequantize_to_f32(q), std::vector<float>(32, 2.0f));
    EXPECT_EQ(dequantize_to_f32(g.tensor("h")), std::vector<float>{1.0f});
    EXPECT_EQ(g.find_tensor("zz"), nullptr);
    expect_error([&] { g.tensor("zz"); }, {"'zz'", "t.gguf"});
  }
}

TEST(Gguf, MalformedHeaders) {
  TempDir dir;
  auto opening = [&](const std::string& bytes) {
    return [&dir, bytes] { open_bytes(dir, bytes, "bad.gguf"); };
  };
  expect_error(opening("GGU"), {"bad.gguf", "truncated"});
  expect_error(opening("GGML\3\0\0\0" + std::string(16, '\0')), {"bad magic"});
  expect_error(opening(std::string("GGUF\4\0\0\0", 8) + std::string(16, '\0')),
               {"unsupported GGUF version 4"});
  // A string length far beyond the file.
  std::string huge = GgufBuilder(3).kv_str("k", "v").build();
  std::memset(huge.data() + 24, 0x7f, 8);
  expect_error(opening(huge), {"truncated"});
  // An array count that cannot fit: refused before allocating.
  GgufBuilder arr(3);
  std::string raw;
  GgufBuilder::put<uint32_t>(raw, static_cast<uint32_t>(GgufType::INT64));
  GgufBuilder::put<uint64_t>(raw, uint64_t{1} << 60);
  expect_error(opening(arr.kv_raw("big", GgufType::ARRAY, raw).build()), {"'big'", "truncated"});
  expect_error(opening(GgufBuilder(3).kv_raw("k", static_cast<GgufType>(77), "").build()),
               {"'k'", "unknown value type 77"});
  expect_error(opening(GgufBuilder(3).kv("k", GgufType::BOOL, uint8_t{5}).build()),
               {"'k'", "neither 0 nor 1"});
  expect_error(opening(GgufBuilder(3)
                           .kv("k", GgufType::INT32, int32_t{1})
                           .kv("k", GgufType::INT32, int32_t{2})
                           .build()),
               {"duplicate metadata key 'k'"});
  expect_error(
      opening(GgufBuilder(3).kv("general.alignment", GgufType::UINT32, uint32_t{24}).build()),
      {"general.alignment"});
  const std::string four = floats({1, 2, 3, 4});
  expect_error(opening(GgufBuilder(3).tensor("t", {4}, static_cast<GgmlType>(5), four).build()),
               {"tensor 't'", "unknown ggml type 5"});
  expect_error(opening(GgufBuilder(3).tensor("t", {1, 1, 1, 1, 4}, GgmlType::F32, four).build()),
               {"tensor 't'", "5 dims"});
  expect_error(
      opening(GgufBuilder(3).tensor("t", {31}, GgmlType::Q4_0, std::string(18, '\0')).build()),
      {"tensor 't'", "block size 32"});
  expect_error(opening(GgufBuilder(3).tensor("t", {4}, GgmlType::F32, four, 8).build()),
               {"tensor 't'", "not a multiple of the alignment"});
  expect_error(opening(GgufBuilder(3)
                           .tensor("a", {8}, GgmlType::F32, four + four)
                           .tensor("b", {4}, GgmlType::F32, four, 0)
                           .build()),
               {"overlaps"});
  expect_error(opening(GgufBuilder(3)
                           .tensor("a", {4}, GgmlType::F32, four)
                           .tensor("a", {4}, GgmlType::F32, four)
                           .build()),
               {"duplicate tensor 'a'"});
  const std::string good = GgufBuilder(3).tensor("t", {4}, GgmlType::F32, four).build();
  expect_error(opening(good.substr(0, good.size() - 1)), {"tensor 't'", "truncated"});
}

// Every prefix and every single-byte corruption either opens or throws IoError; no crash.
TEST(Gguf, TruncationsAndCorruptionsNeverCrash) {
  const std::string bytes = sample(3).build();
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THROW(parse_bytes(bytes.substr(0, n)), IoError) << "prefix " << n;
  }
  int opened = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (unsigned char x : {0x00, 0xff, 0x80}) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(x);
      try {
        GgufFile g = parse_bytes(bad);
        for (const GgufTensor& t : g.tensors()) {
          if (t.type == GgmlType::F32 || t.type == GgmlType::Q8_0 || t.type == GgmlType::F16)
            dequantize_to_f32(t);
        }
        ++opened;
      } catch (const IoError&) {
      }
    }
  }
  EXPECT_GT(opened, 0);
}

}  // namespace
}  // namespace lmx::io
