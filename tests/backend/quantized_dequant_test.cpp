// SPDX-License-Identifier: MIT
// Dequantizing packed rows to bf16 (the AMX prefill's weight panels): every value is
// bf16(fma(q, scale, bias)), rounded to nearest even, for every bit width and group size,
// over a row range that does not start at 0.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "lmx/backend/cpu/quantized.h"
#include "lmx/core/ops.h"
#include "lmx/core/quantized.h"

using namespace lmx;

TEST(QuantizedDequant, Bf16RowsAreRoundedFma) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int bits : {2, 3, 4, 5, 6, 8}) {
    for (int gs : {32, 64, 128}) {
      const int64_t rows = 9, cols = 3 * 128;
      std::vector<float> v(size_t(rows * cols));
      for (auto& x : v) x = u(rng);
      auto [wq, s, b] = quantize(astype(Array(v, Shape{rows, cols}), Dtype::bfloat16), gs, bits);
      // The codes as the reference reads them: dequantize() of one-hot scales would be
      // circular, so unpack the little-endian bit stream directly.
      auto packed = wq.to_vector<uint32_t>();
      auto scales = astype(s, Dtype::float32).to_vector<float>();
      auto biases = astype(b, Dtype::float32).to_vector<float>();
      const int64_t r0 = 2, r1 = rows, groups = cols / gs;
      std::vector<uint16_t> out(size_t((r1 - r0) * cols));
      cpu::quant::dequantize_rows_bf16(reinterpret_cast<const uint8_t*>(wq.raw_data()),
                                       s.raw_data(), b.raw_data(), Dtype::bfloat16, r0, r1, cols,
                                       gs, bits, out.data());
      const auto* bytes = reinterpret_cast<const uint8_t*>(packed.data());
      const int64_t row_bytes = cols * bits / 8;
      for (int64_t r = r0; r < r1; ++r) {
        for (int64_t k = 0; k < cols; ++k) {
          int64_t bit = k * bits;
          uint32_t word = 0;
          for (int i = 0; i < 3; ++i)
            if ((bit / 8) + i < row_bytes)
              word |= uint32_t(bytes[r * row_bytes + bit / 8 + i]) << (8 * i);
          const float q = float((word >> (bit % 8)) & ((1u << bits) - 1));
          const int64_t g = r * groups + k / gs;
          const uint16_t want = bfloat16(std::fma(q, scales[g], biases[g])).bits;
          ASSERT_EQ(out[(r - r0) * cols + k], want)
              << "bits " << bits << " gs " << gs << " row " << r << " col " << k;
        }
      }
    }
  }
}
