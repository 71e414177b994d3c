// SPDX-License-Identifier: MIT
// Element types, their sizes and names, type promotion as MLX/NumPy do it, and the
// 16-bit float storage types (computed in float32).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lmx {

enum class Dtype : uint8_t {
  bool_,
  uint8,
  int8,
  uint16,
  int16,
  uint32,
  int32,
  int64,
  float16,
  bfloat16,
  float32,
};
inline constexpr int kNumDtypes = 11;

// IEEE binary16, stored as bits. Conversions round to nearest even.
struct float16 {
  uint16_t bits = 0;
  float16() = default;
  explicit float16(float f) : bits(from_float(f)) {}
  operator float() const { return to_float(bits); }
  static constexpr uint16_t from_float(float f);
  static constexpr float to_float(uint16_t h);
};

// bfloat16: the top 16 bits of a float32. Conversion rounds to nearest even.
struct bfloat16 {
  uint16_t bits = 0;
  bfloat16() = default;
  explicit bfloat16(float f) : bits(from_float(f)) {}
  operator float() const { return to_float(bits); }
  static constexpr uint16_t from_float(float f) {
    uint32_t u = std::bit_cast<uint32_t>(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);  // quiet NaN
    u += 0x7fffu + ((u >> 16) & 1u);
    return uint16_t(u >> 16);
  }
  static constexpr float to_float(uint16_t b) { return std::bit_cast<float>(uint32_t(b) << 16); }
};

constexpr float float16::to_float(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t man = h & 0x3ffu;
  uint32_t u;
  if (exp == 0) {
    if (man == 0) {
      u = sign;
    } else {  // subnormal: renormalize
      int e = -1;
      do {
        ++e;
        man <<= 1;
      } while ((man & 0x400u) == 0);
      u = sign | (uint32_t(127 - 15 - e) << 23) | ((man & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    u = sign | 0x7f800000u | (man << 13);
  } else {
    u = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  return std::bit_cast<float>(u);
}

constexpr uint16_t float16::from_float(float f) {
  uint32_t u = std::bit_cast<uint32_t>(f);
  uint32_t sign = (u >> 16) & 0x8000u;
  uint32_t abs = u & 0x7fffffffu;
  if (abs > 0x7f800000u) return uint16_t(sign | 0x7e00u);  // NaN
  if (abs >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // overflow (incl. rounding) to inf
  if (abs < 0x38800000u) {                                   // subnormal or zero in half
    if (abs < 0x33000000u) return uint16_t(sign);           // underflow to zero
    uint32_t e = abs >> 23;
    uint32_t m = (abs & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126 - e;  // 14 + (113 - e) - 1
    uint32_t half = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1);
    uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1u))) ++half;
    return uint16_t(sign | half);
  }
  uint32_t r = abs + 0xfffu + ((abs >> 13) & 1u);  // round to nearest even
  return uint16_t(sign | ((r - 0x38000000u) >> 13));
}

// Bytes per element.
constexpr size_t size_of(Dtype t) {
  switch (t) {
    case Dtype::bool_:
    case Dtype::uint8:
    case Dtype::int8:
      return 1;
    case Dtype::uint16:
    case Dtype::int16:
    case Dtype::float16:
    case Dtype::bfloat16:
      return 2;
    case Dtype::uint32:
    case Dtype::int32:
    case Dtype::float32:
      return 4;
    case Dtype::int64:
      return 8;
  }
  return 0;
}

constexpr bool is_floating(Dtype t) {
  return t == Dtype::float16 || t == Dtype::bfloat16 || t == Dtype::float32;
}
constexpr bool is_integral(Dtype t) { return !is_floating(t) && t != Dtype::bool_; }
constexpr bool is_signed(Dtype t) {
  return t == Dtype::int8 || t == Dtype::int16 || t == Dtype::int32 || t == Dtype::int64 ||
         is_floating(t);
}

// MLX's name of the dtype ("float32", "bfloat16", "bool", ...).
std::string_view dtype_name(Dtype t);
// Parses a name as dtype_name prints it; throws ValueError for an unknown name.
Dtype dtype_from_name(std::string_view name);

// The dtype of a binary operation's result, as MLX promotes: a float wins over integers,
// float16 with bfloat16 gives float32, mixed signed/unsigned integers widen.
Dtype promote_types(Dtype a, Dtype b);

// C++ type <-> Dtype.
template <typename T>
struct dtype_of;
template <> struct dtype_of<bool> { static constexpr Dtype value = Dtype::bool_; };
template <> struct dtype_of<uint8_t> { static constexpr Dtype value = Dtype::uint8; };
template <> struct dtype_of<int8_t> { static constexpr Dtype value = Dtype::int8; };
template <> struct dtype_of<uint16_t> { static constexpr Dtype value = Dtype::uint16; };
template <> struct dtype_of<int16_t> { static constexpr Dtype value = Dtype::int16; };
template <> struct dtype_of<uint32_t> { static constexpr Dtype value = Dtype::uint32; };
template <> struct dtype_of<int32_t> { static constexpr Dtype value = Dtype::int32; };
template <> struct dtype_of<int64_t> { static constexpr Dtype value = Dtype::int64; };
template <> struct dtype_of<float16> { static constexpr Dtype value = Dtype::float16; };
template <> struct dtype_of<bfloat16> { static constexpr Dtype value = Dtype::bfloat16; };
template <> struct dtype_of<float> { static constexpr Dtype value = Dtype::float32; };
template <typename T>
inline constexpr Dtype dtype_of_v = dtype_of<T>::value;

// Calls f(T{}) with the C++ type of `t` (a switch over every dtype).
template <typename F>
decltype(auto) dispatch_dtype(Dtype t, F&& f) {
  switch (t) {
    case Dtype::bool_: return f(bool{});
    case Dtype::uint8: return f(uint8_t{});
    case Dtype::int8: return f(int8_t{});
    case Dtype::uint16: return f(uint16_t{});
    case Dtype::int16: return f(int16_t{});
    case Dtype::uint32: return f(uint32_t{});
    case Dtype::int32: return f(int32_t{});
    case Dtype::int64: return f(int64_t{});
    case Dtype::float16: return f(float16{});
    case Dtype::bfloat16: return f(bfloat16{});
    case Dtype::float32: return f(float{});
  }
  return f(float{});
}

}  // namespace lmx
