// SPDX-License-Identifier: MIT
// What lmx needs to know about the BLAS it links (OpenBLAS).
#pragma once

namespace lmx::cpu {

// The OPENBLAS_CORETYPE this CPU should run with when OpenBLAS's own detection fell back
// to its generic kernels, else nullptr. OpenBLAS 0.3.21 (Debian 12's) does not know Sapphire
// Rapids and picks "Prescott" (SSE3 kernels, 3-4x slower sgemm); it reads the variable only
// when the library loads, so the CLI re-executes itself with it set.
const char* openblas_coretype_fix();

}  // namespace lmx::cpu
