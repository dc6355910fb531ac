#include "detect/syn_flood.h"

namespace tapline {

SynFloodDetector::SynFloodDetector(const DetectConfig& c)
    : DestinationWindowDetector(AlertType::kSynFlood, c.syn_flood.window_ns, c, "synFlood"), config_(c.syn_flood) {}

void SynFloodDetector::check(const AddrKey& k, uint64_t h, uint64_t start_ns, uint64_t end_ns, AlertMachine& alerts) {
  // Both are over-estimates of the same key: a completion count inflated by
  // collisions can only make the half-open share look smaller (no false alarm).
  const uint64_t syns = window().estimate(h, [](const DstCell& c) { return c.syns; });
  const uint64_t done = window().estimate(h, [](const DstCell& c) { return c.completions; });
  if (syns == 0) return;
  const double rate = per_second(syns, window_ns());
  const double half_open = syns > done ? 100.0 * static_cast<double>(syns - done) / static_cast<double>(syns) : 0.0;
  if (rate < static_cast<double>(config_.syns_per_second) || half_open < config_.half_open_percent) return;
  alerts.exceeded(Observation{type(), AlertMetric::kSynsPerSecond, false, k, rate,
                              static_cast<double>(config_.syns_per_second), window_ns(), start_ns, end_ns});
}

}  // namespace tapline
