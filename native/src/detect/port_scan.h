// Port scans: distinct destination ports (vertical) — and, when configured,
// distinct destination hosts (horizontal) — that one source began flows to
// within the window. Each worker's per-tick space-saving table of sources is
// merged here by source, HyperLogLog registers by maximum (a source's flows
// are spread over every worker, each port counted once however many saw it).
#pragma once
#include <vector>

#include "detect/window_detector.h"

namespace tapline {

class PortScanDetector final : public WindowDetector {
 public:
  explicit PortScanDetector(const DetectConfig& c);
  void add(const DetectTick* const* ticks, uint32_t n) override;
  void evaluate(uint64_t start_ns, uint64_t end_ns, AlertMachine& alerts) override;
  size_t memory_bytes() const override { return index_.memory_bytes() + entries_.capacity() * sizeof(Entry); }
  void append_stats(std::vector<std::pair<std::string, uint64_t>>& out) const override;

 private:
  struct Entry {
    AddrKey src;
    uint64_t hash;
    HyperLogLog ports;
    HyperLogLog hosts;
  };
  DetectConfig::PortScan config_;
  uint32_t capacity_;
  AddrIndex index_;
  std::vector<Entry> entries_;  // reserved at start, never grows past capacity_
  Counter source_drops_;
  Counter windows_;
};

}  // namespace tapline
