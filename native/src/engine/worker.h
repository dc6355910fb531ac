// One worker: owns a flow table, takes packets either from the file engine's
// shared blocks (engine/file_blocks.h: it parses blocks nobody has claimed and
// accounts the packets it owns in all of them) or raw from its own feed (replay,
// and the live sources: one RX queue per worker), and pushes finished records to its export
// ring. The per-packet path takes no lock, allocates nothing and makes no syscall.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>

#include "common/counter.h"
#include "common/raw_packet.h"
#include "common/spsc_ring.h"
#include "detect/detect_worker.h"
#include "engine/file_blocks.h"
#include "flow/flow_record.h"
#include "flow/flow_table.h"
#include "parse/parser.h"

namespace tapline {

// A per-worker packet feed (replay buffer, RX queue). rx_burst returns 0 when
// nothing is ready, and sets `done` when the feed has ended.
class WorkerFeed {
 public:
  virtual ~WorkerFeed() = default;
  virtual uint32_t rx_burst(RawPacket* out, uint32_t n, bool& done) = 0;
  // Live sources: a coarse wall clock (packet-clock units) that ages flows
  // while no packets arrive; 0 when the feed has none (replay).
  virtual uint64_t idle_now_ns() { return 0; }
};

// When the export ring is full: wait for the consumer (files and replay: the
// input can pause, nothing is lost) or drop and count (live capture: the NIC cannot pause).
enum class ExportPolicy { kWait, kDrop };

struct WorkerConfig {
  uint8_t id = 0;
  uint32_t flow_capacity = 1 << 16;
  FlowTimeouts timeouts;
  uint32_t export_ring = 65536;  // finished records towards the binding
  ExportPolicy export_policy = ExportPolicy::kWait;
  ParserConfig parser;
  DetectWorker* detect = nullptr;  // this worker's detector state (the engine's collector owns it); null: off
};

struct alignas(64) WorkerStats {
  Counter packets;        // packets accounted to flows
  Counter ring_drops;     // records dropped because the export ring was full
  Counter busy_ns;        // time spent processing (replay/live), for per-worker rates
  Counter clock_ns;       // the worker's packet clock
};

class Worker final : public RecordSink {
 public:
  // `stop`: end the input and flush live flows (reason shutdown). `abandon`:
  // the consumer is gone, so a full export ring drops instead of waiting.
  Worker(const WorkerConfig& config, const std::atomic<bool>& stop, const std::atomic<bool>& abandon);

  // Runs until every block the reader published is accounted, stop or not: every
  // packet the reader framed is parsed and counted. `config.parser` must defer fragments.
  void run_blocks(FileBlocks& blocks);
  // Runs until the feed ends or stop is requested.
  void run_feed(WorkerFeed& feed);
  // Ends every live flow. `reason` is eof or shutdown; `now_ns` is the input's last
  // time, or 0 for the worker's own clock (its latest packet or wall-clock reading).
  void finish(EndReason reason, uint64_t now_ns);

  SpscRing<FlowRecord>& output() { return output_; }
  const FlowTable& table() const { return table_; }
  const Parser& parser() const { return parser_; }
  const WorkerStats& stats() const { return stats_; }
  size_t memory_bytes() const;
  bool finished() const { return finished_.load(std::memory_order_acquire); }

  void emit(const FlowRecord& record) override;

 private:
  void account(const ParsedPacket* pkts, uint32_t n);
  void account_block(FileBlock& b, uint32_t workers);

  WorkerConfig config_;
  const std::atomic<bool>& stop_;
  const std::atomic<bool>& abandon_;
  Parser parser_;
  FlowTable table_;
  SpscRing<FlowRecord> output_;
  WorkerStats stats_;
  uint64_t clock_ns_ = 0;
  std::atomic<bool> finished_{false};
};

}  // namespace tapline
