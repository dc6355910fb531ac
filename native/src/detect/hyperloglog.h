// HyperLogLog (Flajolet et al.) with 2^kBits one-byte registers, fixed size:
// distinct count with a standard error of 1.04 / sqrt(2^kBits) (6.5% at 256
// registers), exact-ish for small counts through linear counting. Two
// sketches merge by taking the larger register.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace tapline {

class HyperLogLog {
 public:
  static constexpr uint32_t kBits = 8;
  static constexpr uint32_t kRegisters = 1u << kBits;

  HyperLogLog() { clear(); }
  void clear() { std::memset(reg_, 0, sizeof reg_); }

  // `h`: 64 well-mixed bits of the item.
  void add(uint64_t h) {
    const uint32_t idx = static_cast<uint32_t>(h >> (64 - kBits));
    const uint64_t rest = (h << kBits) | (1ull << (kBits - 1));  // a guard bit bounds the rank
    const uint8_t rank = static_cast<uint8_t>(__builtin_clzll(rest) + 1);
    if (rank > reg_[idx]) reg_[idx] = rank;
  }
  void merge(const HyperLogLog& o) {
    for (uint32_t i = 0; i < kRegisters; ++i) reg_[i] = o.reg_[i] > reg_[i] ? o.reg_[i] : reg_[i];
  }

  double estimate() const {
    double sum = 0;
    uint32_t zeros = 0;
    for (uint32_t i = 0; i < kRegisters; ++i) {
      sum += std::ldexp(1.0, -reg_[i]);
      zeros += reg_[i] == 0;
    }
    const double m = kRegisters;
    const double alpha = 0.7213 / (1.0 + 1.079 / m);
    const double e = alpha * m * m / sum;
    if (e <= 2.5 * m && zeros != 0) return m * std::log(m / zeros);  // linear counting
    return e;
  }

 private:
  uint8_t reg_[kRegisters];
};

}  // namespace tapline
