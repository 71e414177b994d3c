// SPDX-License-Identifier: MIT
// AMX bfloat16 GEMM for prefill: y (M, N) = x (M, K) @ W.T with W (N, K) bf16 row-major.
//
// W is the A operand: a 16x32 tile of W is 16 rows of 64 contiguous bytes, loaded in place
// with the row stride, so the weights are never repacked. x is the B operand, which AMX
// wants in VNNI order (row p of a tile holds, for 16 rows m of x, the pair x[m][2p..2p+1]),
// i.e. the transpose of a 16x16 block of x viewed as 32-bit pairs; x is small, so it is
// repacked once per call (AVX-512 16x16 transposes). Each 32x32 block of C^T (four tiles,
// 16 cycles per tdpbf16ps) is stored, transposed back and written to y.
//
// Tile instructions are written as inline asm with "memory" clobbers rather than GCC's
// intrinsics: GCC 12 has been seen to drop the stores that fill the tile configuration
// before ldtilecfg, and its tileloadd macros do not tell the compiler they read memory.
// The kernel runs only after the kernel granted this process AMX state
// (arch_prctl(ARCH_REQ_XCOMP_PERM, XTILEDATA)).
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*() and trip this warning.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "lmx/backend/cpu/matmul_half.h"
#include "lmx/backend/cpu/threading.h"

#define LMX_TARGET_AVX512BF16 \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,f16c,fma")))

namespace lmx::cpu {

namespace {

struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

bool detect_amx() {
  if (const char* e = std::getenv("LMX_NO_AMX"); e && *e && *e != '0') return false;
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  bool amx_bf16 = d & (1u << 22), amx_tile = d & (1u << 24);
  if (!amx_bf16 || !amx_tile) return false;
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw") ||
      !__builtin_cpu_supports("avx512bf16"))
    return false;
  // ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA: the kernel enables tile data for us.
  return syscall(SYS_arch_prctl, 0x1023, 18) == 0;
}

void tile_config_load(const TileConfig* cfg) {
  asm volatile("ldtilecfg %0" ::"m"(*cfg) : "memory");
}
void tile_release() { asm volatile("tilerelease" ::: "memory"); }

#define LMX_TILEZERO(t) asm volatile("tilezero %%tmm" #t ::: "memory")
#define LMX_TILELOAD(t, ptr, stride) \
  asm volatile("tileloadd (%0,%1,1), %%tmm" #t ::"r"(ptr), "r"(int64_t(stride)) : "memory")
#define LMX_TILESTORE(t, ptr, stride) \
  asm volatile("tilestored %%tmm" #t ", (%0,%1,1)" ::"r"(ptr), "r"(int64_t(stride)) : "memory")
// dst += a . b  (Intel order: tdpbf16ps dst, a, b)
#define LMX_TDP(dst, a, b) \
  asm volatile("tdpbf16ps %%tmm" #b ", %%tmm" #a ", %%tmm" #dst ::: "memory")

// dst[j][i] = src[i][j] for a 16x16 block of 32-bit values (strides in elements).
LMX_TARGET_AVX512BF16 inline void transpose16(const uint32_t* src, int64_t ss, uint32_t* dst,
                                              int64_t ds) {
  __m512i r[16], t[16];
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_si512(src + i * ss);
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  for (int j = 0; j < 4; ++j) {
    r[4 * j + 0] = _mm512_unpacklo_epi64(t[4 * j], t[4 * j + 2]);
    r[4 * j + 1] = _mm512_unpackhi_epi64(t[4 * j], t[4 * j + 2]);
    r[4 * j + 2] = _mm512_unpacklo_epi64(t[4 * j + 1], t[4 * j + 3]);
    r[4 * j + 3] = _mm512_unpackhi_epi64(t[4 * j + 1], t[4 * j + 3]);
  }
  // r[4j + c], lane l: rows 4j..4j+3 at column 4l + c.
  for (int c = 0; c < 4; ++c) {
    __m512i v = _mm512_shuffle_i32x4(r[c], r[4 + c], 0x88);
    __m512i w = _mm512_shuffle_i32x4(r[c], r[4 + c], 0xDD);
    __m512i v2 = _mm512_shuffle_i32x4(r[8 + c], r[12 + c], 0x88);
    __m512i w2 = _mm512_shuffle_i32x4(r[8 + c], r[12 + c], 0xDD);
    _mm512_storeu_si512(dst + (0 + c) * ds, _mm512_shuffle_i32x4(v, v2, 0x88));
    _mm512_storeu_si512(dst + (8 + c) * ds, _mm512_shuffle_i32x4(v, v2, 0xDD));
    _mm512_storeu_si512(dst + (4 + c) * ds, _mm512_shuffle_i32x4(w, w2, 0x88));
    _mm512_storeu_si512(dst + (12 + c) * ds, _mm512_shuffle_i32x4(w, w2, 0xDD));
  }
}

inline uint16_t to_bf16_bits(float f) { return bfloat16(f).bits; }

// x as bf16 rows (Mp, K), zero rows past M.
void x_to_bf16(const HalfMatmulArgs& a, int64_t Mp, std::vector<uint16_t>& xb) {
  xb.assign(size_t(Mp * a.K), 0);
  parallel_for(a.M, a.K, [&](int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; ++m) {
      uint16_t* o = xb.data() + m * a.K;
      if (a.xdtype == Dtype::bfloat16) {
        std::memcpy(o, static_cast<const uint16_t*>(a.x) + m * a.ldx, size_t(a.K) * 2);
      } else if (a.xdtype == Dtype::float32) {
        const float* x = static_cast<const float*>(a.x) + m * a.ldx;
        for (int64_t k = 0; k < a.K; ++k) o[k] = to_bf16_bits(x[k]);
      } else {
        const uint16_t* x = static_cast<const uint16_t*>(a.x) + m * a.ldx;
        for (int64_t k = 0; k < a.K; ++k) o[k] = to_bf16_bits(float16::to_float(x[k]));
      }
    }
  });
}

// Writes a 32 (n) x 32 (m) block of C^T (ct, row stride 32) to y rows m0.., columns n0...
LMX_TARGET_AVX512BF16 void write_block(const float* ct, const HalfMatmulArgs& a, int64_t m0,
                                       int64_t n0) {
  alignas(64) float yt[32 * 32];  // [m][n]
  for (int bi = 0; bi < 2; ++bi)
    for (int bj = 0; bj < 2; ++bj)
      transpose16(reinterpret_cast<const uint32_t*>(ct + bi * 16 * 32 + bj * 16), 32,
                  reinterpret_cast<uint32_t*>(yt + bj * 16 * 32 + bi * 16), 32);
  int64_t mn = std::min<int64_t>(32, a.M - m0), nn = std::min<int64_t>(32, a.N - n0);
  for (int64_t m = 0; m < mn; ++m) {
    const float* src = yt + m * 32;
    int64_t off = (m0 + m) * a.ldy + n0;
    if (nn == 32 && a.ydtype == Dtype::bfloat16) {
      uint16_t* y = static_cast<uint16_t*>(a.y) + off;
      __m256bh lo = _mm512_cvtneps_pbh(_mm512_load_ps(src));
      __m256bh hi = _mm512_cvtneps_pbh(_mm512_load_ps(src + 16));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(y), (__m256i)lo);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + 16), (__m256i)hi);
    } else if (nn == 32 && a.ydtype == Dtype::float32) {
      float* y = static_cast<float*>(a.y) + off;
      _mm512_storeu_ps(y, _mm512_load_ps(src));
      _mm512_storeu_ps(y + 16, _mm512_load_ps(src + 16));
    } else {
      for (int64_t n = 0; n < nn; ++n) {
        float v = src[n];
        switch (a.ydtype) {
          case Dtype::float32:
            static_cast<float*>(a.y)[off + n] = v;
            break;
          case Dtype::bfloat16:
            static_cast<uint16_t*>(a.y)[off + n] = to_bf16_bits(v);
            break;
          default:
            static_cast<uint16_t*>(a.y)[off + n] = float16(v).bits;
            break;
        }
      }
    }
  }
}

// W's rows for one panel of 32-row blocks: a pointer and row stride (elements).
struct PanelRows {
  const uint16_t* w;
  int64_t ld;
};

// `panel(n0, count, cap, scratch)` gives rows [n0, n0 + count) of W as bf16, rows past
// `count` up to `cap` reading as zeros; `scratch` has room for cap x K values.
template <typename Panel>
LMX_TARGET_AVX512BF16 void amx_gemm(const HalfMatmulArgs& a, Panel&& panel) {
  const int64_t K = a.K, KB = K / 32;
  const int64_t Mp = (a.M + 31) / 32 * 32;
  thread_local std::vector<uint16_t> xb;
  thread_local std::vector<uint32_t> xp;
  x_to_bf16(a, Mp, xb);
  // xp: tile (m16, kb) at ((m16 * KB) + kb) * 256 dwords, row p = pairs k = 32kb + 2p.
  // (thread_local buffers: the worker threads get raw pointers, not the names.)
  xp.resize(size_t(Mp / 16 * KB * 256));
  const uint32_t* x32 = reinterpret_cast<const uint32_t*>(xb.data());
  uint32_t* xpp = xp.data();
  parallel_for(Mp / 16 * KB, 256, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      int64_t m16 = t / KB, kb = t % KB;
      transpose16(x32 + m16 * 16 * (K / 2) + kb * 16, K / 2, xpp + t * 256, 16);
    }
  });
  // Blocks of 32 rows of W are taken a panel (about 512 KiB of bf16) at a time and stay in
  // L2 while every chunk of x (about 1 MiB) passes them.
  const int64_t MC = std::clamp<int64_t>((int64_t(1) << 20) / (K * 2) / 32 * 32, 32, 512);
  const int64_t P = std::clamp<int64_t>((int64_t(1) << 19) / (32 * K * 2), 1, 16);
  const int64_t NB = (a.N + 31) / 32;
  parallel_for(NB, 32 * K * Mp / 64, [&](int64_t b0, int64_t b1) {
    TileConfig cfg;
    for (int t = 0; t < 8; ++t) {
      cfg.rows[t] = 16;
      cfg.colsb[t] = 64;
    }
    tile_config_load(&cfg);
    alignas(64) float ct[32 * 32];
    // Grown once per thread and never cleared: panels write what they give back.
    thread_local std::vector<uint16_t> scratch_buf;
    if (scratch_buf.size() < size_t(P * 32 * K)) scratch_buf.resize(size_t(P * 32 * K));
    uint16_t* const scratch = scratch_buf.data();
    for (int64_t pb = b0; pb < b1; pb += P) {
      const int64_t pe = std::min(b1, pb + P), n0 = pb * 32;
      const PanelRows rows = panel(n0, std::min(a.N, pe * 32) - n0, (pe - pb) * 32, scratch);
      const int64_t wstride = rows.ld * 2;
      for (int64_t mc = 0; mc < Mp; mc += MC) {
        const int64_t mce = std::min(Mp, mc + MC);
        for (int64_t nb = pb; nb < pe; ++nb) {
          const uint16_t* w = rows.w + (nb - pb) * 32 * rows.ld;
          for (int64_t m0 = mc; m0 < mce; m0 += 32) {
            const uint32_t* xa = xpp + (m0 / 16) * KB * 256;
            const uint32_t* xb2 = xa + KB * 256;
            LMX_TILEZERO(0);
            LMX_TILEZERO(1);
            LMX_TILEZERO(2);
            LMX_TILEZERO(3);
            for (int64_t kb = 0; kb < KB; ++kb) {
              LMX_TILELOAD(4, w + kb * 32, wstride);
              LMX_TILELOAD(5, w + 16 * rows.ld + kb * 32, wstride);
              LMX_TILELOAD(6, xa + kb * 256, 64);
              LMX_TILELOAD(7, xb2 + kb * 256, 64);
              LMX_TDP(0, 4, 6);
              LMX_TDP(1, 4, 7);
              LMX_TDP(2, 5, 6);
              LMX_TDP(3, 5, 7);
            }
            // ct[n][m]: tile 0 (n 0-15, m 0-15), 1 (n 0-15, m 16-31), 2 (n 16-31, m 0-15), 3.
            LMX_TILESTORE(0, ct, 128);
            LMX_TILESTORE(1, ct + 16, 128);
            LMX_TILESTORE(2, ct + 16 * 32, 128);
            LMX_TILESTORE(3, ct + 16 * 32 + 16, 128);
            if (m0 < a.M) write_block(ct, a, m0, nb * 32);
          }
        }
      }
    }
    tile_release();
  });
}

}  // namespace

bool amx_bf16_available() {
  static const bool ok = detect_amx();
  return ok;
}

bool half_matmul_amx(const HalfMatmulArgs& a) {
  if (a.wdtype != Dtype::bfloat16 || a.K % 32 != 0 || a.K == 0 || !amx_bf16_available())
    return false;
  // Rows in place; the last partial block through a zero-padded copy.
  amx_gemm(a, [&](int64_t n0, int64_t count, int64_t cap, uint16_t* scratch) {
    if (count == cap) return PanelRows{a.w + n0 * a.ldw, a.ldw};
    for (int64_t r = 0; r < count; ++r)
      std::memcpy(scratch + r * a.K, a.w + (n0 + r) * a.ldw, size_t(a.K) * 2);
    std::memset(scratch + count * a.K, 0, size_t((cap - count) * a.K) * 2);
    return PanelRows{scratch, a.K};
  });
  return true;
}

bool amx_matmul_rows(const HalfMatmulArgs& a, const FillRows& fill) {
  if (a.K % 32 != 0 || a.K == 0 || !amx_bf16_available()) return false;
  amx_gemm(a, [&](int64_t n0, int64_t count, int64_t cap, uint16_t* scratch) {
    fill(n0, count, scratch);
    std::memset(scratch + count * a.K, 0, size_t((cap - count) * a.K) * 2);
    return PanelRows{scratch, a.K};
  });
  return true;
}

}  // namespace lmx::cpu
