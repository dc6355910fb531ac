#include "ring_handoff.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/spsc_ring.h"
#include "flow/flow_record.h"

namespace tapline::bench {
namespace {

constexpr uint32_t kRing = 65536;  // a worker's export ring (WorkerConfig::export_ring)

// The k-th CPU this process may run on, or -1: producer and consumer are
// pinned to two different cores, so the handoff is always between cores.
int allowed_cpu(int k) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set) && k-- == 0) return c;
  }
  return -1;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

void pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

double once(uint64_t records, uint32_t burst, int producer_cpu, int consumer_cpu) {
  SpscRing<FlowRecord> ring(kRing);
  uint64_t out_of_order = 0;
  std::thread consumer([&] {
    pin(consumer_cpu);
    uint64_t next = 0;
    while (next < records) {
      const uint32_t n = ring.consume(kRing, [&](const FlowRecord& r) { out_of_order += r.first_ns != next++; });
      if (n == 0) std::this_thread::yield();
    }
  });
  pin(producer_cpu);
  const auto a = std::chrono::steady_clock::now();
  FlowRecord r{};
  for (uint64_t i = 0; i < records;) {
    const uint64_t end = std::min<uint64_t>(records, i + burst);
    for (; i < end; ++i) {
      r.first_ns = i;
      if (burst == 1) {
        while (!ring.push(r)) std::this_thread::yield();
      } else {
        while (!ring.stage(r)) {
          ring.publish();
          std::this_thread::yield();
        }
      }
    }
    ring.publish();
  }
  consumer.join();  // the time includes the consumer reading the last record
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
  if (out_of_order != 0) throw std::runtime_error("ring handoff: records lost or reordered");
  return static_cast<double>(records) / secs / 1e6;
}

}  // namespace

RingHandoff ring_handoff(uint64_t records, uint32_t burst, int rounds) {
  cpu_set_t allowed;  // the calling thread runs where it may again afterwards
  const bool restore = sched_getaffinity(0, sizeof allowed, &allowed) == 0;
  const int a = allowed_cpu(0), b = allowed_cpu(1);
  const int producer_cpu = b < 0 ? -1 : a, consumer_cpu = b;
  std::vector<double> per_record, per_burst;
  for (int round = 0; round < rounds; ++round) {
    per_record.push_back(once(records, 1, producer_cpu, consumer_cpu));
    per_burst.push_back(once(records, burst, producer_cpu, consumer_cpu));
  }
  const RingHandoff h{median(per_record), median(per_burst)};
  if (restore) pthread_setaffinity_np(pthread_self(), sizeof allowed, &allowed);
  return h;
}

}  // namespace tapline::bench
