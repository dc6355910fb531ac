// Volumetric floods: packets and bytes per second towards one destination
// over the window, from the summed per-destination count-min sketches; the
// keys checked are those some worker saw cross its share of a threshold.
#pragma once
#include "detect/window_detector.h"

namespace tapline {

class VolumetricDetector final : public WindowDetector {
 public:
  explicit VolumetricDetector(const DetectConfig& c);
  void add(const DetectTick* const* ticks, uint32_t n) override;
  void evaluate(uint64_t start_ns, uint64_t end_ns, AlertMachine& alerts) override;
  size_t memory_bytes() const override { return window_.memory_bytes() + candidates_.memory_bytes(); }
  void append_stats(std::vector<std::pair<std::string, uint64_t>>& out) const override;

 private:
  DetectConfig::Volumetric config_;
  uint64_t seed_;
  CountMin<DstCell> window_;
  AddrSet candidates_;
  Counter candidate_drops_;
  Counter windows_;
};

}  // namespace tapline
