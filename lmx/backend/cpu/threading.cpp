// SPDX-License-Identifier: MIT
#include "lmx/backend/cpu/threading.h"

#include <cstdlib>

namespace lmx::cpu {

int num_threads() {
  static int n = [] {
    if (const char* env = std::getenv("LMX_NUM_THREADS")) {
      int v = std::atoi(env);
      if (v > 0) return v;
    }
    return omp_get_max_threads();
  }();
  return n;
}

}  // namespace lmx::cpu
