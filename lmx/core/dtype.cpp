// SPDX-License-Identifier: MIT
#include "lmx/core/dtype.h"

#include <array>

#include "lmx/core/error.h"

namespace lmx {

namespace {
constexpr std::array<std::string_view, kNumDtypes> kNames = {
    "bool", "uint8", "int8", "uint16", "int16", "uint32",
    "int32", "int64", "float16", "bfloat16", "float32"};
}  // namespace

std::string_view dtype_name(Dtype t) { return kNames[size_t(t)]; }

Dtype dtype_from_name(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) return Dtype(i);
  if (name == "bool_") return Dtype::bool_;
  raise<ValueError>("dtype", "unknown dtype '{}'", name);
}

Dtype promote_types(Dtype a, Dtype b) {
  if (a == b) return a;
  if (a == Dtype::bool_) return b;
  if (b == Dtype::bool_) return a;
  bool fa = is_floating(a), fb = is_floating(b);
  if (fa && fb) {
    if (a == Dtype::float32 || b == Dtype::float32) return Dtype::float32;
    return Dtype::float32;  // float16 with bfloat16
  }
  if (fa) return a;
  if (fb) return b;
  bool sa = is_signed(a), sb = is_signed(b);
  size_t na = size_of(a), nb = size_of(b);
  if (sa == sb) return na >= nb ? a : b;
  Dtype s = sa ? a : b, u = sa ? b : a;
  if (size_of(s) > size_of(u)) return s;
  switch (size_of(u)) {
    case 1: return Dtype::int16;
    case 2: return Dtype::int32;
    default: return Dtype::int64;
  }
}

}  // namespace lmx
