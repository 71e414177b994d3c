// SPDX-License-Identifier: MIT
#include "lmx/io/sha256.h"

#include <array>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "lmx/io/mapped_file.h"

namespace lmx::io {
namespace {

// The standard's constants are the first 32 fractional bits of square roots (initial hash)
// and cube roots (round constants) of the first primes; compute them rather than type them.
struct Constants {
  std::array<uint32_t, 8> h0;
  std::array<uint32_t, 64> k;
  Constants() {
    int primes[64], n = 0;
    for (int c = 2; n < 64; ++c) {
      bool prime = true;
      for (int i = 0; i < n && primes[i] * primes[i] <= c; ++i) prime = prime && c % primes[i];
      if (prime) primes[n++] = c;
    }
    auto frac32 = [](long double x) {
      return static_cast<uint32_t>(std::ldexp(x - std::floor(x), 32));
    };
    for (int i = 0; i < 8; ++i) h0[i] = frac32(std::sqrt(static_cast<long double>(primes[i])));
    for (int i = 0; i < 64; ++i) k[i] = frac32(std::cbrt(static_cast<long double>(primes[i])));
  }
};

const Constants& constants() {
  static const Constants c;
  return c;
}

uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

}  // namespace

Sha256::Sha256() { std::memcpy(h_, constants().h0.data(), sizeof(h_)); }

void Sha256::compress(const uint8_t* p) {
  const auto& k = constants().k;
  uint32_t w[64];
  for (int i = 0; i < 16; ++i)
    w[i] = uint32_t{p[4 * i]} << 24 | uint32_t{p[4 * i + 1]} << 16 | uint32_t{p[4 * i + 2]} << 8 |
           p[4 * i + 3];
  for (int i = 16; i < 64; ++i) {
    const uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    const uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4], f = h_[5], g = h_[6], h = h_[7];
  for (int i = 0; i < 64; ++i) {
    const uint32_t t1 =
        h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
    const uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
  }
  h_[0] += a, h_[1] += b, h_[2] += c, h_[3] += d, h_[4] += e, h_[5] += f, h_[6] += g, h_[7] += h;
}

void Sha256::update(const void* data, size_t n) {
  if (n == 0) return;
  const auto* p = static_cast<const uint8_t*>(data);
  total_ += n;
  if (buf_len_ > 0) {
    const size_t take = std::min(n, 64 - buf_len_);
    std::memcpy(buf_ + buf_len_, p, take);
    buf_len_ += take, p += take, n -= take;
    if (buf_len_ < 64) return;
    compress(buf_);
    buf_len_ = 0;
  }
  for (; n >= 64; p += 64, n -= 64) compress(p);
  std::memcpy(buf_, p, n);
  buf_len_ = n;
}

std::string Sha256::hex_digest() {
  const uint64_t bits = total_ * 8;
  const uint8_t pad = 0x80;
  update(&pad, 1);
  const uint8_t zero[64] = {};
  update(zero, (buf_len_ <= 56 ? 56 : 120) - buf_len_);
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
  update(len, 8);
  std::string out;
  for (uint32_t v : h_) out += fmt::format("{:08x}", v);
  return out;
}

std::string sha256_file(const std::filesystem::path& path) {
  auto file = MappedFile::open(path, MapAdvice::kSequential);
  Sha256 s;
  s.update(file->data(), file->size());
  return s.hex_digest();
}

}  // namespace lmx::io
