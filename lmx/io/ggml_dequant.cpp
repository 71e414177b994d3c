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

// The 6-bit scale and min of sub-block j (of 8) in the 12 packed bytes of Q4_K and Q5_K.
void k4_scale_min(int j, const uint8_t* q, int* scale, int* min) {
  if (j < 4) {
    *scale = q[j] & 63;
    *min = q[j + 4] & 63;
  } else {
    *scale = (q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4);
    *min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// Q2_K: {u8 scales[16] (4-bit scale | 4-bit min); u8 qs[64]; f16 d, dmin} per 256 values.
void dequant_q2_k(const uint8_t* b, float* y) {
  const uint8_t* scales = b;
  const uint8_t* q = b + 16;
  const float d = load_f16(b + 80), dmin = load_f16(b + 82);
  int is = 0;
  for (int half = 0; half < 2; ++half, q += 32) {
    for (int shift = 0; shift < 8; shift += 2) {
      for (int part = 0; part < 2; ++part) {
        const uint8_t sc = scales[is++];
        const float dl = d * static_cast<float>(sc & 0x0F), ml = dmin * static_cast<float>(sc >> 4);
        for (int l = 0; l < 16; ++l)
          *y++ = dl * static_cast<float>((q[l + 16 * part] >> shift) & 3) - ml;
      }
    }
  }
}

// Q3_K: {u8 hmask[32]; u8 qs[64]; u8 scales[12] (16 x 6 bits); f16 d}: x = d (s - 32) q,
// q = low 2 bits from qs minus 4 when its hmask bit is clear.
void dequant_q3_k(const uint8_t* b, float* y) {
  const uint8_t* hmask = b;
  const uint8_t* q = b + 32;
  const uint8_t* packed = b + 96;
  const float d = load_f16(b + 108);
  int scales[16];
  for (int i = 0; i < 16; ++i) {
    const int low = i < 8 ? packed[i] & 0x0F : packed[i - 8] >> 4;
    const int high = (packed[8 + i % 4] >> (2 * (i / 4))) & 3;
    scales[i] = (low | high << 4) - 32;
  }
  int is = 0;
  uint8_t m = 1;
  for (int half = 0; half < 2; ++half, q += 32) {
    for (int shift = 0; shift < 8; shift += 2, m <<= 1) {
      for (int part = 0; part < 2; ++part) {
        const float dl = d * static_cast<float>(scales[is++]);
        for (int l = 16 * part; l < 16 * part + 16; ++l) {
          const int v = ((q[l] >> shift) & 3) - ((hmask[l] & m) ? 0 : 4);
          *y++ = dl * static_cast<float>(v);
        }
      }
    }
  }
}

// Q4_K / Q5_K: {f16 d, dmin; u8 scales[12]; [u8 qh[32];] u8 qs[128]}: x = d s q - dmin m over
// 8 sub-blocks of 32; Q5_K takes a fifth bit from qh.
void dequant_q45_k(const uint8_t* b, float* y, bool five) {
  const float d = load_f16(b), dmin = load_f16(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* qh = b + 16;
  const uint8_t* q = five ? b + 48 : b + 16;
  for (int j = 0; j < 4; ++j, q += 32) {
    int sc, mn;
    k4_scale_min(2 * j, scales, &sc, &mn);
    const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(mn);
    k4_scale_min(2 * j + 1, scales, &sc, &mn);
    const float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(mn);
    for (int l = 0; l < 32; ++l) {
      const int hi = five && (qh[l] >> (2 * j) & 1) ? 16 : 0;
      y[l] = d1 * static_cast<float>((q[l] & 0x0F) + hi) - m1;
    }
    for (int l = 0; l < 32; ++l) {
      const int hi = five && (qh[l] >> (2 * j + 1) & 1) ? 16 : 0;
      y[l + 32] = d2 * static_cast<float>((q[l] >> 4) + hi) - m2;
    }
    y += 64;
  }
}

// Q6_K: {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}: x = d s (q - 32), q of 4 + 2 bits.
void dequant_q6_k(const uint8_t* b, float* y) {
  const uint8_t* ql = b;
  const uint8_t* qh = b + 128;
  const auto* sc = reinterpret_cast<const int8_t*>(b + 192);
  const float d = load_f16(b + 208);
  for (int half = 0; half < 2; ++half, ql += 64, qh += 32, sc += 8, y += 128) {
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int q1 = ((ql[l] & 0x0F) | ((qh[l] >> 0 & 3) << 4)) - 32;
      const int q2 = ((ql[l + 32] & 0x0F) | ((qh[l] >> 2 & 3) << 4)) - 32;
      const int q3 = ((ql[l] >> 4) | ((qh[l] >> 4 & 3) << 4)) - 32;
      const int q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6 & 3) << 4)) - 32;
      y[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
      y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
      y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
      y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
    }
  }
}

// The 16 non-uniform levels of IQ4_NL and IQ4_XS.
constexpr int8_t kIq4Levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                   1,    13,   25,  38,  53,  69,  89,  113};

// 32 values from 16 bytes of 4-bit indices into `levels`, times `scale`.
void dequant_nibbles(const uint8_t* qs, const int8_t* levels, float scale, float* y) {
  for (int j = 0; j < 16; ++j) {
    y[j] = scale * static_cast<float>(levels[qs[j] & 0x0F]);
    y[j + 16] = scale * static_cast<float>(levels[qs[j] >> 4]);
  }
}

// IQ4_XS: {f16 d; u16 scales_h; u8 scales_l[4]; u8 qs[128]}: 8 sub-blocks with 6-bit scales.
void dequant_iq4_xs(const uint8_t* b, float* y) {
  const float d = load_f16(b);
  const uint16_t scales_h = load_u16(b + 2);
  const uint8_t* scales_l = b + 4;
  const uint8_t* qs = b + 8;
  for (int ib = 0; ib < 8; ++ib) {
    const int ls =
        ((scales_l[ib / 2] >> (4 * (ib % 2))) & 0x0F) | (((scales_h >> (2 * ib)) & 3) << 4);
    dequant_nibbles(qs + 16 * ib, kIq4Levels, d * static_cast<float>(ls - 32), y + 32 * ib);
  }
}

// MXFP4: {u8 e (E8M0 exponent); u8 qs[16] (FP4 E2M1 codes)}; levels are doubled E2M1 values,
// so the scale is 2^(e - 128).
void dequant_mxfp4(const uint8_t* b, float* y) {
  static constexpr int8_t kLevels[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
  dequant_nibbles(b + 1, kLevels, std::ldexp(1.0f, static_cast<int>(b[0]) - 128), y);
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
    case GgmlType::Q2_K:
      for (int64_t i = 0; i < blocks; ++i) dequant_q2_k(p + i * info.type_size, dst + i * 256);
      return;
    case GgmlType::Q3_K:
      for (int64_t i = 0; i < blocks; ++i) dequant_q3_k(p + i * info.type_size, dst + i * 256);
      return;
    case GgmlType::Q4_K:
    case GgmlType::Q5_K:
      for (int64_t i = 0; i < blocks; ++i)
        dequant_q45_k(p + i * info.type_size, dst + i * 256, type == GgmlType::Q5_K);
      return;
    case GgmlType::Q6_K:
      for (int64_t i = 0; i < blocks; ++i) dequant_q6_k(p + i * info.type_size, dst + i * 256);
      return;
    case GgmlType::IQ4_NL:
      for (int64_t i = 0; i < blocks; ++i) {
        const uint8_t* b = p + i * info.type_size;
        dequant_nibbles(b + 2, kIq4Levels, load_f16(b), dst + i * 32);
      }
      return;
    case GgmlType::IQ4_XS:
      for (int64_t i = 0; i < blocks; ++i) dequant_iq4_xs(p + i * info.type_size, dst + i * 256);
      return;
    case GgmlType::MXFP4:
      for (int64_t i = 0; i < blocks; ++i) dequant_mxfp4(p + i * info.type_size, dst + i * 32);
      return;
    default:
      throw IoError(fmt::format(
          "[dequantize] unsupported ggml type {} (supported: F32, F16, BF16, "
          "F64, I8, I16, I32, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K..Q6_K, IQ4_NL, IQ4_XS, MXFP4)",
          info.name));
  }
}

std::vector<float> dequantize_to_f32(const GgufTensor& tensor) {
  std::vector<float> out(static_cast<size_t>(tensor.numel()));
  dequantize_to_f32(tensor.type, tensor.data, out.data(), tensor.numel());
  return out;
}

}  // namespace lmx::io
