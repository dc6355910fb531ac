#include "engine/worker.h"

#include <thread>

#include "common/clock.h"

namespace tapline {

Worker::Worker(const WorkerConfig& config, const std::atomic<bool>& stop, const std::atomic<bool>& abandon)
    : config_(config),
      stop_(stop),
      abandon_(abandon),
      parser_(config.parser),
      table_(config.flow_capacity, config.timeouts, *this, config.id),
      input_(config.input_ring),
      output_(config.export_ring) {}

size_t Worker::memory_bytes() const {
  return table_.memory_bytes() + input_.memory_bytes() + output_.memory_bytes() + parser_.memory_bytes();
}

void Worker::emit(const FlowRecord& record) {
  while (!output_.push(record)) {
    // A stop still waits: the flows flushed at shutdown are records the user was promised.
    if (config_.export_policy == ExportPolicy::kDrop || abandon_.load(std::memory_order_relaxed)) {
      stats_.ring_drops.add();
      return;
    }
    std::this_thread::yield();  // the consumer catches up; the input waits
  }
}

void Worker::account(const ParsedPacket* pkts, uint32_t n) {
  const BurstEvents ev = table_.process_burst(pkts, n);
  if (config_.detect) config_.detect->observe(pkts, n, ev);
  uint64_t t = clock_ns_;
  for (uint32_t i = 0; i < n; ++i) t = pkts[i].ts_ns > t ? pkts[i].ts_ns : t;
  if (t != clock_ns_) {
    clock_ns_ = t;
    table_.advance(t);
  }
  stats_.packets.add(n);
}

void Worker::run_parsed(const std::atomic<bool>& input_done) {
  ParsedPacket burst[FlowTable::kBurst];
  for (;;) {
    const uint32_t n = input_.pop_bulk(burst, FlowTable::kBurst);
    if (n != 0) {
      account(burst, n);
      continue;
    }
    // No break on stop: the dispatcher stops reading and marks the input done,
    // and every packet it has parsed (and counted) before that is accounted here.
    if (input_done.load(std::memory_order_acquire)) {
      if (input_.size() == 0) break;
      continue;
    }
    if (config_.detect) {  // idle: the dispatcher's clock closes this worker's detector ticks
      const uint64_t c = dispatch_clock_.load(std::memory_order_acquire);
      if (input_.size() == 0) config_.detect->advance(c);
    }
    std::this_thread::yield();
  }
  stats_.clock_ns.set(clock_ns_);
}

void Worker::run_feed(WorkerFeed& feed) {
  RawPacket raw[FlowTable::kBurst];
  ParsedPacket parsed[FlowTable::kBurst];
  const uint64_t t0 = monotonic_ns();
  bool done = false;
  while (!done && !stop_.load(std::memory_order_relaxed)) {
    const uint32_t n = feed.rx_burst(raw, FlowTable::kBurst, done);
    if (n == 0) {
      if (done) continue;
      // No packets: idle and active timeouts still fire, on the feed's wall clock.
      const uint64_t now = feed.idle_now_ns();
      if (now > clock_ns_) {
        clock_ns_ = now;
        table_.advance(now);
      }
      if (config_.detect && now != 0) config_.detect->advance(now);
      std::this_thread::yield();
      continue;
    }
    // Headers of the whole burst first (DRAM latency outlasts one packet's
    // parse), then parse while the later ones arrive.
    for (uint32_t i = 0; i < n; ++i) __builtin_prefetch(raw[i].data);
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; ++i) k += parser_.parse(raw[i], parsed[k]) ? 1 : 0;
    if (k != 0) account(parsed, k);
  }
  stats_.busy_ns.set(monotonic_ns() - t0);
  stats_.clock_ns.set(clock_ns_);
}

void Worker::finish(EndReason reason, uint64_t now_ns) {
  table_.flush(reason, now_ns > clock_ns_ ? now_ns : clock_ns_);
  if (config_.detect) config_.detect->finish();
  finished_.store(true, std::memory_order_release);
}

}  // namespace tapline
