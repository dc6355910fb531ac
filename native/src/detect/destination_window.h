// The part volumetric and SYN-flood detection share: a window of summed
// per-destination count-min sketches, and the destinations some worker saw
// cross its share of a threshold (the only keys worth checking at the end).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "detect/window_detector.h"

namespace tapline {

class DestinationWindowDetector : public WindowDetector {
 public:
  DestinationWindowDetector(AlertType type, uint64_t window_ns, const DetectConfig& c, std::string stats_name)
      : WindowDetector(type, window_ns),
        seed_(c.hash_seed),
        window_(c.sketch_width),
        candidates_(c.window_keys),
        stats_name_(std::move(stats_name)) {}

  void add(const DetectTick* const* ticks, uint32_t n) final {
    for (uint32_t i = 0; i < n; ++i) {
      window_.merge(ticks[i]->dst);
      for (const AddrKey& k : ticks[i]->candidates.keys()) {
        if (!candidates_.add(k, hash_addr(k, seed_))) candidate_drops_.add();
      }
    }
  }

  void evaluate(uint64_t start_ns, uint64_t end_ns, AlertMachine& alerts) final {
    windows_.add();
    for (const AddrKey& k : candidates_.keys()) check(k, hash_addr(k, seed_), start_ns, end_ns, alerts);
    window_.clear();
    candidates_.clear();
  }

  size_t memory_bytes() const final { return window_.memory_bytes() + candidates_.memory_bytes(); }

  void append_stats(std::vector<std::pair<std::string, uint64_t>>& out) const final {
    out.emplace_back("detectors." + stats_name_ + ".windows", windows_.get());
    out.emplace_back("detectors." + stats_name_ + ".candidateDrops", candidate_drops_.get());
  }

 protected:
  // Compares one candidate destination (key `k`, hash `h`) with the thresholds.
  virtual void check(const AddrKey& k, uint64_t h, uint64_t start_ns, uint64_t end_ns, AlertMachine& alerts) = 0;
  const CountMin<DstCell>& window() const { return window_; }

 private:
  uint64_t seed_;
  CountMin<DstCell> window_;
  AddrSet candidates_;
  std::string stats_name_;
  Counter candidate_drops_;
  Counter windows_;
};

}  // namespace tapline
