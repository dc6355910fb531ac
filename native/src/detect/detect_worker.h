// A worker's side of the detectors (DPDK l3fwd style per-core state): it
// updates the current tick's sketches for each burst, with no lock, no
// allocation and no syscall, and hands finished ticks to the collector through
// a pool of preallocated slots and two SPSC rings (published / free).
//
// Time: ticks are aligned to multiples of the tick length on the packet
// clock. A packet's timestamp moves the worker into later ticks; advance(now)
// lets any other time source do the same when no packet comes (the file
// dispatcher's clock for an idle worker, a live source's wall clock).
// progress() promises the collector that every tick ending at or before it
// has been published.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/counter.h"
#include "common/spsc_ring.h"
#include "detect/detect_tick.h"
#include "flow/flow_table.h"
#include "parse/flow_key.h"

namespace tapline {

struct alignas(64) DetectWorkerStats {
  Counter ticks;            // ticks published
  Counter tick_drops;       // ticks lost: no free slot and the source cannot wait
  Counter candidate_drops;  // threshold crossings that found the candidate set full
  Counter scan_replaced;    // port-scan sources replaced by space-saving
};

class DetectWorker {
 public:
  // `workers`: how many share the traffic (a key's threshold share per worker).
  // `wait`: a full pool waits for the collector (files, replay) instead of dropping (live).
  DetectWorker(const DetectConfig& config, uint32_t workers, bool wait, const std::atomic<bool>& abandon);

  // The burst as accounted by the flow table (`ev`: flow starts, handshakes).
  void observe(const ParsedPacket* pkts, uint32_t n, const BurstEvents& ev);
  // Publishes every tick that ends at or before `now_ns`.
  void advance(uint64_t now_ns);
  // The input ended: publishes the current tick; progress becomes infinite.
  void finish();

  // Collector side.
  SpscRing<uint32_t>& published() { return published_; }
  SpscRing<uint32_t>& free_slots() { return free_; }
  DetectTick& slot(uint32_t i) { return *slots_[i]; }
  uint64_t progress() const { return progress_.load(std::memory_order_acquire); }
  bool finished() const { return finished_.load(std::memory_order_acquire); }
  const DetectWorkerStats& stats() const { return stats_; }
  size_t memory_bytes() const;

 private:
  void roll(uint64_t ts_ns);  // moves to the tick of ts_ns (if later) and makes sure a slot is open
  void close_tick();          // publishes the current tick (a dropped one is counted)
  void open_slot();
  static constexpr uint32_t kDepth = CountMin<DstCell>::kDepth;
  static_assert(CountMin<SrcCell>::kDepth == kDepth, "both sketches have the same rows");
  // Adds a run of packets towards one destination (p: its first packet, h: its hash, pos: its cell offsets).
  void add_dst(DetectTick& t, const ParsedPacket& p, uint64_t h, const uint32_t* pos, const DstCell& run);
  // Counts a stretch of `packets` packets of the burst (the latest at `latest_ns`) into tick t.
  static void end_stretch(DetectTick& t, uint32_t packets, uint64_t latest_ns) {
    t.packets += packets;
    t.max_ts_ns = latest_ns > t.max_ts_ns ? latest_ns : t.max_ts_ns;
  }
  // Adds the flow starts of `mask` (bits of the burst) to the port-scan table.
  void add_scans(DetectTick& t, const ParsedPacket* pkts, const uint64_t* hs, const uint64_t* hd, uint32_t mask);

  const DetectConfig config_;
  const std::atomic<bool>& abandon_;
  const uint64_t tick_ns_;
  const bool wait_;
  uint64_t share_packets_ = 0;  // a worker's share of each threshold over one tick
  uint64_t share_bytes_ = 0;
  uint64_t share_syns_ = 0;
  const bool need_dst_;
  const bool need_src_;
  const bool heavy_hitters_;
  const bool port_scan_;
  uint64_t tick_end_ = 0;  // end of the current tick (0: none yet)
  DetectTick* cur_ = nullptr;  // null until a packet of the current tick arrives
  uint32_t cur_slot_ = 0;      // kScratch: no slot was free, this tick is counted then dropped
  static constexpr uint32_t kScratch = 0xFFFFFFFFu;
  std::vector<std::unique_ptr<DetectTick>> slots_;
  std::unique_ptr<DetectTick> scratch_;
  SpscRing<uint32_t> published_;
  SpscRing<uint32_t> free_;
  DetectWorkerStats stats_;
  alignas(64) std::atomic<uint64_t> progress_{0};
  std::atomic<bool> finished_{false};
};

}  // namespace tapline
