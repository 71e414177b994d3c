// SPDX-License-Identifier: MIT
#include "lmx/models/load.h"

#include <fstream>

#include "lmx/core/error.h"
#include "lmx/core/ops.h"
#include "lmx/models/moe.h"
#include "lmx/nn/layers.h"

namespace lmx::models {

namespace fs = std::filesystem;

namespace {

std::optional<Dtype> dtype_of_code(const std::string& code) {
  static const std::map<std::string, Dtype> m = {
      {"F32", Dtype::float32}, {"F16", Dtype::float16}, {"BF16", Dtype::bfloat16},
      {"U32", Dtype::uint32},  {"I32", Dtype::int32},   {"I64", Dtype::int64},
      {"U8", Dtype::uint8},    {"I8", Dtype::int8},     {"U16", Dtype::uint16},
      {"I16", Dtype::int16},   {"BOOL", Dtype::bool_}};
  auto it = m.find(code);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

}  // namespace

Array to_array(const io::TensorView& t) {
  if (auto dt = dtype_of_code(t.dtype)) {
    bool aligned = reinterpret_cast<uintptr_t>(t.data) % size_of(*dt) == 0;
    if (aligned) return Array::borrow(t.data, t.shape, *dt, t.owner);
    return Array(t.data, t.shape, *dt);  // copy
  }
  if (t.dtype == "F64") {
    std::vector<float> v(size_t(t.numel()));
    const double* d = static_cast<const double*>(t.data);
    for (size_t i = 0; i < v.size(); ++i) v[i] = float(d[i]);
    return Array(v, t.shape);
  }
  raise<ValueError>("load", "tensor '{}' has dtype {}, which lmx cannot load", t.name, t.dtype);
}

void quantize_modules(nn::Module& model, const io::QuantizationConfig& q,
                      const std::map<std::string, Array>& weights) {
  model.replace_modules([&](const std::string& path, nn::Module& m) -> std::shared_ptr<nn::Module> {
    if (!weights.count(path + ".scales")) return nullptr;
    auto spec = q.for_module(path);
    if (!spec) return nullptr;
    nn::QuantParams p{spec->group_size, spec->bits, spec->mode};
    if (auto* lin = dynamic_cast<nn::Linear*>(&m)) {
      if (dynamic_cast<nn::QuantizedLinear*>(lin)) return nullptr;
      return std::make_shared<nn::QuantizedLinear>(lin->in_features(), lin->out_features(),
                                                   lin->has_bias(), p);
    }
    if (auto* sw = dynamic_cast<SwitchLinear*>(&m)) {
      if (dynamic_cast<QuantizedSwitchLinear*>(sw)) return nullptr;
      return std::make_shared<QuantizedSwitchLinear>(sw->in_features(), sw->out_features(),
                                                     sw->num_experts(), sw->has_bias(), p);
    }
    if (auto* emb = dynamic_cast<nn::Embedding*>(&m)) {
      if (dynamic_cast<nn::QuantizedEmbedding*>(emb)) return nullptr;
      return std::make_shared<nn::QuantizedEmbedding>(emb->num_embeddings(), emb->dims(), p);
    }
    return nullptr;
  });
}

namespace {

// Physical memory plus swap, in bytes (0 when unknown).
size_t memory_limit() {
  std::ifstream f("/proc/meminfo");
  std::string key;
  size_t kb = 0, total = 0;
  std::string unit;
  while (f >> key >> kb >> unit)
    if (key == "MemTotal:" || key == "SwapTotal:") total += kb * 1024;
  return total;
}

}  // namespace

std::shared_ptr<Model> load_model(const fs::path& dir, const LoadOptions& opts) {
  io::ModelConfig config = io::ModelConfig::load(dir);
  auto model = create_model(config);
  std::map<std::string, Array> weights;
  size_t bytes = 0;
  for (auto& [name, view] : io::load_safetensors_dir(dir)) {
    bytes += view.nbytes;
    weights.emplace(name, to_array(view));
  }
  if (size_t limit = memory_limit(); limit > 0 && bytes > limit)
    raise<OutOfMemoryError>("load", "{} needs {:.1f} GB for its weights; this machine has {:.1f} GB "
                            "of memory and swap", dir.string(), double(bytes) / 1e9,
                            double(limit) / 1e9);
  // Multimodal checkpoints: keep the language model's weights under its own names.
  if (config.has_text_config()) {
    std::map<std::string, Array> text;
    for (auto& [name, a] : weights) {
      for (const char* prefix : {"language_model.", "model.language_model."}) {
        std::string p(prefix);
        if (name.rfind(p, 0) == 0) {
          std::string rest = name.substr(p.size());
          if (rest.rfind("lm_head", 0) != 0 && rest.rfind("model.", 0) != 0) rest = "model." + rest;
          text.emplace(rest, a);
        }
      }
    }
    if (!text.empty()) weights = std::move(text);
  }
  weights = model->sanitize(std::move(weights));
  // On a GPU the weights are copied there once (a mapped file is released when its last
  // tensor has been copied); dtype conversions below then run on the device.
  if (Device d = default_device(); d.type != DeviceType::cpu)
    for (auto& [name, a] : weights) a = to_device(a, d);
  if (auto q = config.quantization()) quantize_modules(*model, *q, weights);
  if (opts.dtype) {
    for (auto& [name, a] : weights) {
      bool is_code = is_integral(a.dtype()) || a.dtype() == Dtype::bool_;
      if (!is_code && a.dtype() != *opts.dtype) a = astype(a, *opts.dtype);
    }
  }
  model->load_weights(weights, true);
  return model;
}

}  // namespace lmx::models
