// Volumetric floods: packets and bytes per second towards one destination
// over the window, from the summed per-destination count-min sketches; the
// keys checked are those some worker saw cross its share of a threshold.
#pragma once
#include "detect/destination_window.h"

namespace tapline {

class VolumetricDetector final : public DestinationWindowDetector {
 public:
  explicit VolumetricDetector(const DetectConfig& c);

 private:
  void check(const AddrKey& k, uint64_t h, uint64_t start_ns, uint64_t end_ns, AlertMachine& alerts) override;

  DetectConfig::Volumetric config_;
};

}  // namespace tapline
