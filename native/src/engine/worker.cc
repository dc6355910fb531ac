#include "engine/worker.h"

#include <thread>

#include "common/clock.h"
#include "flow/flow_hash.h"

namespace tapline {

Worker::Worker(const WorkerConfig& config, const std::atomic<bool>& stop, const std::atomic<bool>& abandon)
    : config_(config),
      stop_(stop),
      abandon_(abandon),
      parser_(config.parser),
      table_(config.flow_capacity, config.timeouts, *this, config.id),
      output_(config.export_ring) {}

size_t Worker::memory_bytes() const {
  return table_.memory_bytes() + output_.memory_bytes() + parser_.memory_bytes();
}

// Records are staged and published once per burst (account(), and after every
// other call into the table): in a flood every packet ends a flow, and a
// store to the ring's shared index per record would move its cache line
// between this core and the consumer's on every record.
void Worker::emit(const FlowRecord& record) {
  while (!output_.stage(record)) {
    output_.publish();  // what is staged must reach the consumer before waiting on it
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
  output_.publish();
  stats_.packets.add(n);
}

void Worker::run_blocks(FileBlocks& blocks) {
  const uint32_t n = blocks.workers();
  uint64_t next_account = 0, clock = 0;
  const uint64_t t0 = monotonic_ns();
  for (uint32_t idle = 0;;) {
    const uint32_t seen = blocks.epoch();
    const uint64_t total = blocks.total();
    if (next_account >= total) break;  // no break on stop: the reader ends the input and every block it published is accounted
    if (FileBlock* b = blocks.parsed(next_account)) {
      account_block(*b, n);
      clock = b->clock_ns;
      blocks.release(*b, next_account++);
      idle = 0;
      continue;
    }
    // Nothing to account yet: parse the oldest block nobody has taken (maybe the one
    // this worker waits for). Accounting comes first so that the reader, while it
    // waits for a free block, takes as much of the parsing as it can.
    if (blocks.parse_next(parser_)) {
      idle = 0;
      continue;
    }
    // Idle: every packet of this worker read up to `clock` is accounted, so its detector ticks move on.
    if (config_.detect) config_.detect->advance(clock);
    if (++idle < 4) {
      std::this_thread::yield();
    } else {
      blocks.wait(seen);  // until a block is published or released
    }
  }
  stats_.busy_ns.set(monotonic_ns() - t0);
  stats_.clock_ns.set(clock_ns_);
}

void Worker::account_block(FileBlock& b, uint32_t workers) {
  const uint8_t self = config_.id;
  const ParsedPacket* const parsed = b.parsed.data();
  const uint8_t* const owner = b.owner.data();
  const uint32_t count = b.parsed_count;
  ParsedPacket burst[FlowTable::kBurst];
  uint32_t k = 0;
  for (uint32_t i = 0; i < count; ++i) {
    if (owner[i] == self) {
      // A run of this worker's packets: a full burst is accounted where it lies (one
      // worker: the whole block), a shorter one is gathered; each packet is looked at once.
      uint32_t j = i + 1;
      while (j < count && j - i < FlowTable::kBurst && owner[j] == self) ++j;
      if (j - i == FlowTable::kBurst) {
        if (k != 0) account(burst, k), k = 0;
        account(parsed + i, j - i);
      } else {
        for (uint32_t m = i; m < j; ++m) {
          burst[k++] = parsed[m];
          if (k == FlowTable::kBurst) account(burst, k), k = 0;
        }
      }
      i = j - 1;
    } else if (owner[i] == FileBlock::kEveryWorker) {
      burst[k] = parsed[i];
      if (parser_.resolve_fragment(burst[k], workers, self) && ++k == FlowTable::kBurst) account(burst, k), k = 0;
    }
  }
  if (k != 0) account(burst, k);
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
        output_.publish();
      }
      if (config_.detect && now != 0) config_.detect->advance(now);
      std::this_thread::yield();
      continue;
    }
    const uint32_t k = parser_.parse_burst(raw, n, parsed);
    if (k != 0) account(parsed, k);
  }
  stats_.busy_ns.set(monotonic_ns() - t0);
  stats_.clock_ns.set(clock_ns_);
}

void Worker::finish(EndReason reason, uint64_t now_ns) {
  table_.flush(reason, now_ns > clock_ns_ ? now_ns : clock_ns_);
  output_.publish();
  if (config_.detect) config_.detect->finish();
  finished_.store(true, std::memory_order_release);
}

}  // namespace tapline
