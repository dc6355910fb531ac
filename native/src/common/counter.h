// A statistics counter written by exactly one thread and read by any.
// Relaxed atomics: a plain load/add/store on x86, no lock prefix, no tearing.
#pragma once
#include <atomic>
#include <cstdint>

namespace tapline {

class Counter {
 public:
  void add(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void set(uint64_t n) { v_.store(n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

}  // namespace tapline
