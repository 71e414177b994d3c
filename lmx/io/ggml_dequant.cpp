// SPDX-License-Identifier: MIT
// Dequantization of ggml block formats to float32 (the reference, scalar versions).
#include <bit>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "lmx/io/error.h"
#include "lmx/io/gguf.h"

namespace lmx::io {
namespace {

uint16_t load_u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

float load_f16(const uint8_t* p) { return f16_to_f32(load_u16(p)); }

template <class T>
void convert(const void* src, float* dst, int64_t n) {
  const auto* p = static_cast<const uint8_t*>(src);
  for (int64_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, p + i * sizeof(T), sizeof(T));
    dst[i] = static_cast<float>(v);
  }
}

// Q4_0: {f16 d; u8 qs[16]} per 32 values; low nibbles are values 0..15, high 16..31.
void dequant_q4_0(const uint8_t* b, float* y) {
  const float d = load_f16(b);
  const uint8_t* qs = b + 2;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>((qs[j] & 0x0F) - 8) * d;
    y[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
  }
}

// Q4_1: {f16 d, m; u8 qs[16]}: x = q * d + m.
void dequant_q4_1(const uint8_t* b, float* y) {
  const float d = load_f16(b), m = load_f16(b + 2);
  const uint8_t* qs = b + 4;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>(qs[j] & 0x0F) * d + m;
    y[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
  }
}

// Q5_0/Q5_1: a fifth bit per value in the 32-bit qh (bit j for value j).
void dequant_q5(const uint8_t* b, float* y, bool has_min) {
  const float d = load_f16(b), m = has_min ? load_f16(b + 2) : 0.0f;
  const uint8_t* p = b + (has_min ? 4 : 2);
  uint32_t qh;
  std::memcpy(&qh, p, 4);
  const uint8_t* qs = p + 4;
  const int offset = has_min ? 0 : 16;
  for (int j = 0; j < 16; ++j) {
    const int lo = (qs[j] & 0x0F) | static_cast<int>(((qh >> j) & 1u) << 4);
    const int hi = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
    y[j] = static_cast<float>(lo - offset) * d + m;
    y[j + 16] = static_cast<float>(hi - offset) * d + m;
  }
}

// Q8_0: {f16 d; i8 qs[32]}.
void dequant_q8_0(const uint8_t* b, float* y) {
  const float d = load_f16(b);
  const auto* qs = reinterpret_cast<const int8_t*>(b + 2);
  for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(qs[j]) * d;
}

}  // namespace

float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu, mant = h & 0x3FFu;
  if (exp == 0) {  // zero or subnormal: mant * 2^-24
    const float f = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -f : f;
  }
  if (exp == 31) return std::bit_cast<float>(sign | 0x7F800000u | (mant << 13));
  return std::bit_cast<float>(sign | ((exp + 112) << 23) | (mant << 13));
}

float bf16_to_f32(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

void dequantize_to_f32(GgmlType type, const void* src, float* dst, int64_t n) {
  const GgmlTypeInfo& info = ggml_type_info(type);
  if (n < 0 || n % info.block_size != 0)
    throw IoError(
        fmt::format("[dequantize] {} elements of {} are not a whole number of blocks of {}", n,
                    info.name, info.block_size));
  if (n == 0) return;
  const auto* p = static_cast<const uint8_t*>(src);
  const int64_t blocks = n / info.block_size;
  switch (type) {
    case GgmlType::F32:
      std::memcpy(dst, src, static_cast<size_t>(n) * 4);
      return;
    case GgmlType::F64:
      convert<double>(src, dst, n);
      return;
    case GgmlType::I8:
      convert<int8_t>(src, dst, n);
      return;
    case GgmlType::I16:
      convert<int16_t>(src, dst, n);
      return;
    case GgmlType::I32:
      convert<int32_t>(src, dst, n);
      return;
    case GgmlType::F16:
      for (int64_t i = 0; i < n; ++i) dst[i] = load_f16(p + 2 * i);
      return;
    case GgmlType::BF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(load_u16(p + 2 * i));
      return;
    case GgmlType::Q4_0:
      for (int64_t i = 0; i < blocks; ++i) dequant_q4_0(p + i * info.type_size, dst + i * 32);
      return;
    case GgmlType::Q4_1:
      for (int64_t i = 0; i < blocks; ++i) dequant_q4_1(p + i * info.type_size, dst + i * 32);
      return;
    case GgmlType::Q5_0:
    case GgmlType::Q5_1:
      for (int64_t i = 0; i < blocks; ++i)
        dequant_q5(p + i * info.type_size, dst + i * 32, type == GgmlType::Q5_1);
      return;
    case GgmlType::Q8_0:
      for (int64_t i = 0; i < blocks; ++i) dequant_q8_0(p + i * info.type_size, dst + i * 32);
      return;
    default:
      throw IoError(
          fmt::format("[dequantize] unsupported ggml type {} (supported: F32, F16, BF16, "
                      "F64, I8, I16, I32, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0)",
                      info.name));
  }
}

std::vector<float> dequantize_to_f32(const GgufTensor& tensor) {
  std::vector<float> out(static_cast<size_t>(tensor.numel()));
  dequantize_to_f32(tensor.type, tensor.data, out.data(), tensor.numel());
  return out;
}

}  // namespace lmx::io
