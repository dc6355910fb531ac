#include "detect/volumetric.h"

namespace tapline {

VolumetricDetector::VolumetricDetector(const DetectConfig& c)
    : WindowDetector(AlertType::kVolumetric, c.volumetric.window_ns),
      config_(c.volumetric),
      seed_(c.hash_seed),
      window_(c.sketch_width),
      candidates_(c.window_keys) {}

void VolumetricDetector::add(const DetectTick* const* ticks, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    window_.merge(ticks[i]->dst);
    for (const AddrKey& k : ticks[i]->candidates.keys()) {
      if (!candidates_.add(k, hash_addr(k, seed_))) candidate_drops_.add();
    }
  }
}

void VolumetricDetector::evaluate(uint64_t start_ns, uint64_t end_ns, AlertMachine& alerts) {
  windows_.add();
  for (const AddrKey& k : candidates_.keys()) {
    const uint64_t h = hash_addr(k, seed_);
    const double pps = per_second(window_.estimate(h, [](const DstCell& c) { return c.packets; }), window_ns());
    const double bps = per_second(window_.estimate(h, [](const DstCell& c) { return c.bytes; }), window_ns());
    Observation o{type(), AlertMetric::kPacketsPerSecond, false, k, pps, 0, window_ns(), start_ns, end_ns};
    if (config_.packets_per_second != 0 && pps >= static_cast<double>(config_.packets_per_second)) {
      o.threshold = static_cast<double>(config_.packets_per_second);
    } else if (config_.bytes_per_second != 0 && bps >= static_cast<double>(config_.bytes_per_second)) {
      o.metric = AlertMetric::kBytesPerSecond;
      o.observed = bps;
      o.threshold = static_cast<double>(config_.bytes_per_second);
    } else {
      continue;
    }
    alerts.exceeded(o);
  }
  window_.clear();
  candidates_.clear();
}

void VolumetricDetector::append_stats(std::vector<std::pair<std::string, uint64_t>>& out) const {
  out.emplace_back("detectors.volumetric.windows", windows_.get());
  out.emplace_back("detectors.volumetric.candidateDrops", candidate_drops_.get());
}

}  // namespace tapline
