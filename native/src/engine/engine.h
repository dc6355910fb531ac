// The flow engine: a source, N workers, and the export rings a consumer drains.
//
//   file:   reader thread ── frame ──► blocks ──► workers (any thread parses a block, each worker accounts what it owns)
//   replay: per-worker buffers (split by the same hash at load, as NIC RSS would) ──► workers
//
// Workers push finished records into their export rings; drain() pops them in
// batches. Nothing here knows about Node.js.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "detect/collector.h"
#include "engine/replay_feed.h"
#include "engine/worker.h"
#include "source/afpacket_config.h"
#include "source/capture_file.h"
#include "source/capture_filter.h"
#include "source/dpdk_config.h"
#include "source/live_source.h"

namespace tapline {

// Invalid engine or source configuration (names the field).
class EngineConfigError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct EngineConfig {
  uint32_t workers = 1;
  uint64_t max_flows = 1u << 20;  // over all workers; each gets an equal share
  FlowTimeouts timeouts;
  uint32_t export_ring = 65536;  // records per worker
  uint64_t hash_seed = ParserConfig{}.hash_seed;
  DetectConfig detect;  // anomaly detectors (detect/); all off by default
};

struct SourceConfig {
  enum class Kind { kFile, kReplay, kAfPacket, kDpdk };
  Kind kind = Kind::kFile;
  std::string path;
  uint32_t loops = 1;  // replay: how many times each worker replays its share
  std::string filter;  // tcpdump syntax, "" = every packet (source/capture_filter.h)
  uint32_t snaplen = 262144;  // live sources: octets kept per packet
  AfPacketConfig afpacket;
  DpdkConfig dpdk;
  bool live() const { return kind == Kind::kAfPacket || kind == Kind::kDpdk; }
};

// One named counter of a stats snapshot ("flows.created", "malformed.truncatedTcp", ...).
using StatsSnapshot = std::vector<std::pair<std::string, uint64_t>>;

class Engine {
 public:
  // Validates the configuration, opens (file) or loads (replay) the source
  // and allocates every table and ring. Throws EngineConfigError or CaptureFileError.
  Engine(const EngineConfig& config, const SourceConfig& source);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void start();
  // Asks every thread to stop; live flows end with reason "shutdown" and still
  // wait for room in the export rings (drain them). Does not block.
  void request_stop();
  // Stops and lets full export rings drop (counted): the consumer has gone away.
  void abandon();
  // Joins the threads (after the input ended or stop was requested).
  void join();

  // Pops up to `max` finished records from the workers' export rings.
  uint32_t drain(FlowRecord* out, uint32_t max);
  // The same records in the same order, handed to f(const FlowRecord&) where
  // they lie in the rings instead of copied out (one copy fewer per record).
  template <typename F>
  uint32_t drain_each(uint32_t max, F&& f) {
    uint32_t got = 0;
    const uint32_t n = workers();
    for (uint32_t i = 0; i < n && got < max; ++i) got += drain_worker_each((drain_next_ + i) % n, max - got, f);
    drain_next_ = (drain_next_ + 1) % n;  // no worker's ring starves the others
    return got;
  }
  // drain_each on worker w's ring alone: several consumer threads may drain
  // at once when each owns different workers (a ring has one consumer).
  template <typename F>
  uint32_t drain_worker_each(uint32_t w, uint32_t max, F&& f) {
    return workers_[w]->output().consume(max, f);
  }
  // True once every worker has finished and every export ring is empty
  // (and the detectors' collector has emitted its final events).
  bool done() const;
  // Pops up to `max` queued alert events; never blocks (detect/collector.h).
  uint32_t drain_alerts(AlertEvent* out, uint32_t max) { return detect_ ? detect_->drain(out, max) : 0; }

  StatsSnapshot stats() const;
  size_t memory_bytes() const;
  uint32_t workers() const { return static_cast<uint32_t>(workers_.size()); }
  // How the input ended: "" while running or on a clean end, else the reader's message.
  std::string input_error() const;
  bool input_truncated() const;

 private:
  void run_reader();
  void load_replay(const std::string& path, uint32_t loops);

  EngineConfig config_;
  SourceConfig source_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> abandon_{false};
  std::atomic<bool> input_done_{false};
  std::atomic<uint64_t> input_bytes_read_{0};  // compressed bytes, published by the reader
  std::atomic<uint64_t> input_end_ns_{0};
  std::unique_ptr<CaptureFilter> filter_;  // files and replay run it here; live sources in the kernel/NIC path
  Counter filter_rejected_;                // file and replay packets the filter rejected
  std::unique_ptr<LiveSource> live_;       // afpacket, dpdk (engine/live_source_factory.cc)
  std::unique_ptr<CaptureFileReader> reader_;
  std::unique_ptr<FileBlocks> blocks_;  // files: the packets between the reader and the workers
  std::unique_ptr<Parser> reader_parser_;  // files: the reader's, for blocks it parses while it waits
  std::unique_ptr<DetectCollector> detect_;  // before workers_: they point into it
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<ReplayFeed>> feeds_;
  std::vector<std::thread> threads_;
  uint64_t start_ns_ = 0;
  std::atomic<uint64_t> end_ns_{0};
  uint32_t drain_next_ = 0;
  bool started_ = false;
};

}  // namespace tapline
