// Heavy hitters: every interval, the top-k sources and destinations by bytes.
// Candidates are each worker's per-tick top-k (twice k, ranked by its own
// count-min estimate); their interval totals come from the summed sketches.
#pragma once
#include "detect/window_detector.h"

namespace tapline {

class HeavyHittersDetector final : public WindowDetector {
 public:
  explicit HeavyHittersDetector(const DetectConfig& c);
  void add(const DetectTick* const* ticks, uint32_t n) override;
  void evaluate(uint64_t start_ns, uint64_t end_ns, AlertMachine& alerts) override;
  size_t memory_bytes() const override {
    return src_.memory_bytes() + dst_.memory_bytes() + src_keys_.memory_bytes() + dst_keys_.memory_bytes();
  }
  void append_stats(std::vector<std::pair<std::string, uint64_t>>& out) const override;

 private:
  uint32_t top_k_;
  uint64_t seed_;
  CountMin<SrcCell> src_;
  CountMin<DstCell> dst_;
  AddrSet src_keys_;
  AddrSet dst_keys_;
  Counter candidate_drops_;
  Counter windows_;
};

}  // namespace tapline
