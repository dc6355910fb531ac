#include "memory_bandwidth.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

namespace tapline::bench {
namespace {

constexpr int kPasses = 4;

// Four independent sums so the loads are not one dependency chain.
uint64_t sum(const uint64_t* p, size_t n) {
  uint64_t a = 0, b = 0, c = 0, d = 0;
  for (size_t i = 0; i + 4 <= n; i += 4) {
    a += p[i];
    b += p[i + 1];
    c += p[i + 2];
    d += p[i + 3];
  }
  return a + b + c + d;
}

double once(uint32_t threads, size_t words, std::vector<std::vector<uint64_t>>& bufs) {
  std::atomic<uint32_t> ready{0};
  std::atomic<bool> go{false};
  std::vector<double> secs(threads);
  std::vector<uint64_t> sink(threads);
  std::vector<std::thread> pool;
  for (uint32_t t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      const auto a = std::chrono::steady_clock::now();
      uint64_t s = 0;
      for (int pass = 0; pass < kPasses; ++pass) s += sum(bufs[t].data(), words);
      secs[t] = std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
      sink[t] = s;
    });
  }
  while (ready.load() != threads) std::this_thread::yield();
  go.store(true);
  for (std::thread& th : pool) th.join();
  uint64_t check = 0;
  for (uint64_t s : sink) check += s;
  if (check != static_cast<uint64_t>(kPasses) * threads * words) throw std::runtime_error("bandwidth: sums differ");
  const double slowest = *std::max_element(secs.begin(), secs.end());
  return static_cast<double>(threads) * kPasses * words * sizeof(uint64_t) / slowest / 1e9;
}

}  // namespace

double read_bandwidth_gbs(uint32_t threads, uint32_t mib_per_thread) {
  const size_t words = static_cast<size_t>(mib_per_thread) * 1024 * 1024 / sizeof(uint64_t);
  std::vector<std::vector<uint64_t>> bufs(threads);
  for (auto& b : bufs) b.assign(words, 1);  // every page touched before timing
  double best = 0;
  for (int round = 0; round < 3; ++round) best = std::max(best, once(threads, words, bufs));
  return best;
}

}  // namespace tapline::bench
