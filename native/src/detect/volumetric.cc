#include "detect/volumetric.h"

namespace tapline {

VolumetricDetector::VolumetricDetector(const DetectConfig& c)
    : DestinationWindowDetector(AlertType::kVolumetric, c.volumetric.window_ns, c, "volumetric"), config_(c.volumetric) {}

void VolumetricDetector::check(const AddrKey& k, uint64_t h, uint64_t start_ns, uint64_t end_ns, AlertMachine& alerts) {
  const double pps = per_second(window().estimate(h, [](const DstCell& c) { return c.packets; }), window_ns());
  const double bps = per_second(window().estimate(h, [](const DstCell& c) { return c.bytes; }), window_ns());
  Observation o{type(), AlertMetric::kPacketsPerSecond, false, k, pps, 0, window_ns(), start_ns, end_ns};
  if (config_.packets_per_second != 0 && pps >= static_cast<double>(config_.packets_per_second)) {
    o.threshold = static_cast<double>(config_.packets_per_second);
  } else if (config_.bytes_per_second != 0 && bps >= static_cast<double>(config_.bytes_per_second)) {
    o.metric = AlertMetric::kBytesPerSecond;
    o.observed = bps;
    o.threshold = static_cast<double>(config_.bytes_per_second);
  } else {
    return;
  }
  alerts.exceeded(o);
}

}  // namespace tapline
