// SPDX-License-Identifier: MIT
#include "lmx/backend/cpu/blas.h"

#include <cstring>

extern "C" char* openblas_get_corename(void);

namespace lmx::cpu {

const char* openblas_coretype_fix() {
  const char* core = openblas_get_corename();
  if (!core || std::strcmp(core, "Prescott") != 0) return nullptr;
  if (__builtin_cpu_supports("avx512bf16")) return "Cooperlake";
  if (__builtin_cpu_supports("avx512f")) return "SkylakeX";
  if (__builtin_cpu_supports("avx2")) return "Haswell";
  return nullptr;
}

}  // namespace lmx::cpu
