#include "ring_handoff.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <memory>
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

// One producer's run: `records` records, numbered, into its ring.
void produce(SpscRing<FlowRecord>& ring, uint64_t records, uint32_t burst) {
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
}

// Records per second from `producers` threads, each with its own ring, to one
// consumer that drains the rings in turn as Engine::drain_each does. CPU k of
// `cpus` runs producer k, the last one the consumer (-1: not pinned).
double once(uint32_t producers, uint64_t records, uint32_t burst, const std::vector<int>& cpus) {
  std::vector<std::unique_ptr<SpscRing<FlowRecord>>> rings;
  for (uint32_t k = 0; k < producers; ++k) rings.push_back(std::make_unique<SpscRing<FlowRecord>>(kRing));
  std::vector<uint64_t> next(producers, 0);
  uint64_t out_of_order = 0;
  const auto a = std::chrono::steady_clock::now();
  std::thread consumer([&] {
    pin(cpus[producers]);
    const uint64_t total = records * producers;
    for (uint64_t got = 0; got < total;) {
      uint32_t n = 0;
      for (uint32_t k = 0; k < producers; ++k) {
        uint64_t& want = next[k];
        n += rings[k]->consume(kRing, [&](const FlowRecord& r) { out_of_order += r.first_ns != want++; });
      }
      got += n;
      if (n == 0) std::this_thread::yield();
    }
  });
  std::vector<std::thread> pool;
  for (uint32_t k = 0; k < producers; ++k) {
    pool.emplace_back([&, k] {
      pin(cpus[k]);
      produce(*rings[k], records, burst);
    });
  }
  for (std::thread& t : pool) t.join();
  consumer.join();  // the time includes the consumer reading the last record
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
  if (out_of_order != 0) throw std::runtime_error("ring handoff: records lost or reordered");
  return static_cast<double>(records) * producers / secs / 1e6;
}

}  // namespace

RingHandoff ring_handoff(uint32_t producers, uint64_t records, uint32_t burst, int rounds) {
  // Pinned to distinct CPUs when there are enough (one per producer and the
  // consumer), so every handoff crosses cores; otherwise the scheduler places them.
  std::vector<int> cpus(producers + 1, -1);
  if (allowed_cpu(static_cast<int>(producers)) >= 0) {
    for (uint32_t k = 0; k <= producers; ++k) cpus[k] = allowed_cpu(static_cast<int>(k));
  }
  std::vector<double> per_record, per_burst;
  for (int round = 0; round < rounds; ++round) {
    per_record.push_back(once(producers, records, 1, cpus));
    per_burst.push_back(once(producers, records, burst, cpus));
  }
  return RingHandoff{median(per_record), median(per_burst), cpus[0] >= 0};
}

}  // namespace tapline::bench
