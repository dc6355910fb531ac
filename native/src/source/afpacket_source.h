// The AF_PACKET live source: for each worker, one TPACKET_V3 ring per
// interface, all of an interface's rings in one PACKET_FANOUT_HASH group; each
// worker runs on its own thread, pinned when a core list is given.
#pragma once
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/counter.h"
#include "source/afpacket_config.h"
#include "source/afpacket_ring.h"
#include "source/capture_filter.h"
#include "source/live_source.h"

namespace tapline {

// One worker's rings, read in turn; waits in poll() only when all are empty.
class AfPacketFeed final : public WorkerFeed {
 public:
  AfPacketFeed(const CaptureFilter* filter, uint32_t block_timeout_ms);
  void add_ring(std::unique_ptr<AfPacketRing> ring) { rings_.push_back(std::move(ring)); }
  const std::vector<std::unique_ptr<AfPacketRing>>& rings() const { return rings_; }
  void close_rings() { rings_.clear(); }

  uint32_t rx_burst(RawPacket* out, uint32_t n, bool& done) override;
  uint64_t idle_now_ns() override;

  uint64_t filter_rejected() const { return filter_rejected_.get(); }

 private:
  std::vector<std::unique_ptr<AfPacketRing>> rings_;
  const CaptureFilter* filter_;  // re-checked in user space for frames whose VLAN tag was put back
  uint32_t next_ = 0;
  int timeout_ms_;
  uint64_t lag_ns_;
  Counter filter_rejected_;
};

class AfPacketSource final : public LiveSource {
 public:
  // Opens every ring (throws CaptureError). `filter` may be null and must outlive the source.
  AfPacketSource(const AfPacketConfig& config, uint32_t workers, uint32_t snaplen, const CaptureFilter* filter);
  ~AfPacketSource() override;

  WorkerFeed& feed(uint32_t worker) override { return *feeds_[worker]; }
  void launch(const std::function<void(uint32_t)>& body) override;
  void join() override;
  void close() override;
  void stats(SourceStats& out) const override;
  size_t memory_bytes() const override;

 private:
  AfPacketConfig config_;
  std::vector<uint32_t> cores_;
  std::vector<std::unique_ptr<AfPacketFeed>> feeds_;
  std::vector<std::thread> threads_;
  // PACKET_STATISTICS resets on read: the totals live here.
  mutable std::mutex stats_mu_;
  mutable AfPacketRingCounters totals_;
  size_t ring_bytes_ = 0;
  uint64_t rejected_final_ = 0;
  bool closed_ = false;
};

}  // namespace tapline
