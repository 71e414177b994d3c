// SPDX-License-Identifier: MIT
#include "lmx/io/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "lmx/io/error.h"
#include "tests/io/temp_dir.h"
#include "tests/shared_data.h"

namespace lmx::io {
namespace {

using lmx::testing::read_file;
using lmx::testing::TempDir;
using lmx::testing::write_file;

// A safetensors file from a raw header string and data bytes.
std::string raw_file(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(n >> (8 * i));
  return out + header + data;
}

// Expects `fn` to throw IoError whose message contains every string in `parts`.
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

TEST(Safetensors, Stories260K) {
  LMX_REQUIRE_SHARED("models/stories260K/hf/model.safetensors");
  auto path = lmx::testing::shared_dir() / "models/stories260K/hf/model.safetensors";
  SafetensorsFile f = SafetensorsFile::open(path);
  EXPECT_EQ(f.metadata().at("format"), "pt");
  const TensorView& emb = f.get("model.embed_tokens.weight");
  EXPECT_EQ(emb.dtype, "F32");
  EXPECT_EQ(emb.shape, (std::vector<int64_t>{512, 64}));
  EXPECT_EQ(emb.nbytes, 512u * 64 * 4);
  EXPECT_EQ(emb.numel(), 512 * 64);
  EXPECT_TRUE(f.contains("model.norm.weight"));
  EXPECT_FALSE(f.contains("lm_head.weight"));
  EXPECT_EQ(f.tensors().size(), 2u + 5 * 9);
  // File order: each tensor starts where the previous ends.
  for (size_t i = 1; i < f.tensors().size(); ++i) {
    const auto& a = f.tensors()[i - 1];
    EXPECT_EQ(static_cast<const char*>(a.data) + a.nbytes, f.tensors()[i].data);
  }
  expect_error([&] { f.get("nope"); }, {"nope", "model.safetensors"});
}

TEST(Safetensors, ViewOutlivesFile) {
  TempDir dir;
  float values[3] = {1.5f, -2.0f, 3.25f};
  save_safetensors(dir / "a.safetensors", {{"x", "F32", {3}, values, sizeof(values), nullptr}});
  TensorView view;
  {
    SafetensorsFile f = SafetensorsFile::open(dir / "a.safetensors");
    view = f.get("x");
  }
  ASSERT_EQ(view.nbytes, sizeof(values));
  EXPECT_EQ(std::memcmp(view.data, values, sizeof(values)), 0);
}

TEST(Safetensors, SaveRoundTripAlignedAndAtomic) {
  TempDir dir;
  std::vector<uint16_t> h(5, 0x3c00);  // odd count of 2-byte values first
  std::vector<double> d = {1.0, 2.0};
  std::vector<uint8_t> b = {1, 0, 1};
  std::vector<int32_t> i32 = {7, 8, 9, 10};
  std::vector<TensorView> ts = {
      {"half", "F16", {5}, h.data(), 10, nullptr},
      {"bools", "BOOL", {3}, b.data(), 3, nullptr},
      {"dbl", "F64", {1, 2}, d.data(), 16, nullptr},
      {"ints", "I32", {2, 2}, i32.data(), 16, nullptr},
      {"empty", "F32", {0, 4}, nullptr, 0, nullptr},
      {"scalar", "I32", {}, i32.data(), 4, nullptr},
  };
  const auto path = dir / "out.safetensors";
  save_safetensors(path, ts, {{"format", "mlx"}, {"note", "hi"}});
  // Nothing but the result is left in the folder.
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
  SafetensorsFile f = SafetensorsFile::open(path);
  EXPECT_EQ(f.header_size() % 8, 0u);
  EXPECT_EQ(f.metadata().size(), 2u);
  EXPECT_EQ(f.metadata().at("format"), "mlx");
  for (const TensorView& t : ts) {
    const TensorView& r = f.get(t.name);
    EXPECT_EQ(r.dtype, t.dtype);
    EXPECT_EQ(r.shape, t.shape);
    ASSERT_EQ(r.nbytes, t.nbytes);
    if (t.nbytes) {
      EXPECT_EQ(std::memcmp(r.data, t.data, t.nbytes), 0) << t.name;
    }
    // Every tensor is aligned to its element size inside the mapping.
    const size_t width = std::max(1, dtype_bits(t.dtype) / 8);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(r.data) % width, 0u) << t.name;
  }
  // Overwrite keeps working (rename over an existing file).
  save_safetensors(path, {ts[3]});
  EXPECT_EQ(SafetensorsFile::open(path).tensors().size(), 1u);
}

TEST(Safetensors, SaveRejectsBadInput) {
  TempDir dir;
  float v[2] = {};
  expect_error(
      [&] {
        save_safetensors(dir / "x.safetensors", {{"a", "F32", {3}, v, 8, nullptr}});
      },
      {"'a'", "needs 12"});
  expect_error(
      [&] {
        save_safetensors(dir / "x.safetensors", {{"a", "F31", {2}, v, 8, nullptr}});
      },
      {"unknown dtype"});
  expect_error(
      [&] {
        save_safetensors(dir / "x.safetensors",
                         {{"a", "F32", {2}, v, 8, nullptr}, {"a", "F32", {2}, v, 8, nullptr}});
      },
      {"duplicate"});
  expect_error([&] { save_safetensors(dir / "no/such/dir/x.safetensors", {}); }, {"cannot create"});
  EXPECT_FALSE(std::filesystem::exists(dir / "x.safetensors"));
}

TEST(Safetensors, MalformedFiles) {
  TempDir dir;
  auto write_and_open = [&](const std::string& name, const std::string& bytes) {
    write_file(dir / name, bytes);
    return [p = dir / name] { SafetensorsFile::open(p); };
  };
  expect_error([&] { SafetensorsFile::open(dir / "missing.safetensors"); },
               {"missing.safetensors", "cannot open"});
  expect_error(write_and_open("short.safetensors", "abc"), {"short.safetensors", "too short"});
  expect_error(write_and_open("len.safetensors", std::string("\xff\xff\0\0\0\0\0\0{}", 10)),
               {"len.safetensors", "header length", "past the end"});
  expect_error(write_and_open("json.safetensors", raw_file("{\"a\": [1,", "")),
               {"json.safetensors", "bad JSON"});
  expect_error(write_and_open("notobj.safetensors", raw_file("[1, 2]  ", "")),
               {"not a JSON object"});
  const std::string data(16, '\0');
  expect_error(
      write_and_open("size.safetensors",
                     raw_file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})", data)),
      {"size.safetensors", "'w'", "hold 16 bytes", "needs 12"});
  expect_error(
      write_and_open("range.safetensors",
                     raw_file(R"({"w":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}})", data)),
      {"range.safetensors", "'w'", "truncated"});
  expect_error(write_and_open("overlap.safetensors",
                              raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                       R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                       data)),
               {"overlap.safetensors", "'b'", "overlaps 'a'"});
  expect_error(
      write_and_open("dtype.safetensors",
                     raw_file(R"({"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,1]}})", data)),
      {"'w'", "unknown dtype 'Q4'"});
  expect_error(
      write_and_open("neg.safetensors",
                     raw_file(R"({"w":{"dtype":"U8","shape":[-2],"data_offsets":[0,2]}})", data)),
      {"'w'", "negative"});
  expect_error(
      write_and_open("offs.safetensors",
                     raw_file(R"({"w":{"dtype":"U8","shape":[2],"data_offsets":[-1,1]}})", data)),
      {"'w'", "data_offsets"});
  expect_error(write_and_open("meta.safetensors", raw_file(R"({"__metadata__":{"a":1}})", "")),
               {"__metadata__"});
  // A real file cut short names the first tensor that no longer fits.
  float v[64] = {};
  save_safetensors(dir / "full.safetensors", {{"first", "F32", {32}, v, 128, nullptr},
                                              {"second", "F32", {32}, v, 128, nullptr}});
  std::string full = read_file(dir / "full.safetensors");
  expect_error(write_and_open("cut.safetensors", full.substr(0, full.size() - 10)),
               {"cut.safetensors", "'second'", "truncated"});
}

// Every prefix and single-byte corruption of a file either parses or throws IoError.
TEST(Safetensors, FromMemoryTruncationsAndCorruptions) {
  TempDir dir;
  float v[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  save_safetensors(dir / "m.safetensors",
                   {{"a", "F32", {2, 2}, v, 16, nullptr}, {"b", "BF16", {4}, v + 4, 8, nullptr}},
                   {{"k", "v"}});
  const std::string bytes = read_file(dir / "m.safetensors");
  auto parse = [](const std::string& b) {
    auto owner = std::make_shared<std::string>(b);
    return SafetensorsFile::from_memory(owner->data(), owner->size(), owner, "mem");
  };
  SafetensorsFile f = parse(bytes);
  EXPECT_EQ(f.path(), "mem");
  EXPECT_EQ(static_cast<const float*>(f.get("a").data)[3], 4.0f);
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_THROW(parse(bytes.substr(0, n)), IoError) << n;
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (unsigned char x : {0x00, 0xff, 0x30, 0x7b}) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(x);
      try {
        parse(bad);
      } catch (const IoError&) {
      }
    }
  }
}

TEST(Safetensors, ShardedFolderWithIndex) {
  TempDir dir;
  float a[4] = {1, 2, 3, 4}, b[2] = {5, 6};
  save_safetensors(dir / "model-00001-of-00002.safetensors", {{"a", "F32", {4}, a, 16, nullptr}});
  save_safetensors(dir / "model-00002-of-00002.safetensors", {{"b", "F32", {2}, b, 8, nullptr}});
  save_safetensors(dir / "reference_logits.safetensors", {{"logits", "F32", {2}, b, 8, nullptr}});
  nlohmann::json index = {
      {"metadata", {{"total_size", 24}}},
      {"weight_map",
       {{"a", "model-00001-of-00002.safetensors"}, {"b", "model-00002-of-00002.safetensors"}}}};
  write_file(dir / "model.safetensors.index.json", index.dump());
  auto w = load_safetensors_dir(dir.path());
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(static_cast<const float*>(w.at("b").data)[1], 6.0f);

  index["weight_map"]["c"] = "model-00002-of-00002.safetensors";
  write_file(dir / "model.safetensors.index.json", index.dump());
  expect_error([&] { load_safetensors_dir(dir.path()); }, {"'c'", "model-00002-of-00002", "lacks"});
  index["weight_map"].erase("c");
  index["weight_map"]["d"] = "model-00003-of-00002.safetensors";
  write_file(dir / "model.safetensors.index.json", index.dump());
  expect_error([&] { load_safetensors_dir(dir.path()); },
               {"model-00003-of-00002", "does not exist"});
  index["weight_map"]["d"] = "../escape.safetensors";
  write_file(dir / "model.safetensors.index.json", index.dump());
  expect_error([&] { load_safetensors_dir(dir.path()); }, {"bad shard file name"});
  write_file(dir / "model.safetensors.index.json", "{not json");
  expect_error([&] { load_safetensors_dir(dir.path()); },
               {"model.safetensors.index.json", "bad JSON"});

  // Without an index: every model*.safetensors (reference_logits is not a weight file).
  std::filesystem::remove(dir / "model.safetensors.index.json");
  EXPECT_EQ(load_safetensors_dir(dir.path()).size(), 2u);
  // The same tensor in two shards is an error naming both.
  save_safetensors(dir / "model-extra.safetensors", {{"a", "F32", {4}, a, 16, nullptr}});
  expect_error([&] { load_safetensors_dir(dir.path()); }, {"'a'", "model-extra.safetensors"});
}

TEST(Safetensors, SaveShardedFolder) {
  TempDir dir;
  std::vector<float> a(100, 1.0f), b(50, 2.0f), c(300, 3.0f);
  std::vector<TensorView> ts = {{"a", "F32", {100}, a.data(), 400, nullptr},
                                {"b", "F32", {50}, b.data(), 200, nullptr},
                                {"c", "F32", {300}, c.data(), 1200, nullptr}};
  auto files = save_safetensors_dir(dir / "sharded", ts, {{"format", "mlx"}}, 700);
  ASSERT_EQ(files.size(), 2u);  // [a, b] then [c] alone
  EXPECT_EQ(files[0].filename(), "model-00001-of-00002.safetensors");
  auto index = nlohmann::json::parse(read_file(dir / "sharded/model.safetensors.index.json"));
  EXPECT_EQ(index["metadata"]["total_size"], 1800);
  EXPECT_EQ(index["weight_map"]["c"], "model-00002-of-00002.safetensors");
  auto w = load_safetensors_dir(dir / "sharded");
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(static_cast<const float*>(w.at("c").data)[299], 3.0f);
  EXPECT_EQ(SafetensorsFile::open(files[1]).metadata().at("format"), "mlx");
  auto single = save_safetensors_dir(dir / "single", ts);
  ASSERT_EQ(single.size(), 1u);
  EXPECT_EQ(single[0].filename(), "model.safetensors");
  EXPECT_EQ(load_safetensors_dir(dir / "single").size(), 3u);
}

TEST(Safetensors, EmptyFolder) {
  TempDir dir;
  expect_error([&] { load_safetensors_dir(dir.path()); }, {"no *.safetensors"});
  expect_error([&] { load_safetensors_dir(dir / "absent"); }, {"not a folder"});
}

TEST(Safetensors, HfTinyFixtures) {
  LMX_REQUIRE_SHARED("fixtures/hf-tiny");
  int checked = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(lmx::testing::shared_dir() / "fixtures/hf-tiny")) {
    if (!std::filesystem::exists(e.path() / "model.safetensors")) continue;
    auto w = load_safetensors_dir(e.path());
    EXPECT_FALSE(w.empty()) << e.path();
    EXPECT_EQ(w.count("logits"), 0u) << e.path();
    ++checked;
  }
  EXPECT_GT(checked, 40);
}

}  // namespace
}  // namespace lmx::io
