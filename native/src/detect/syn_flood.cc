#include "detect/syn_flood.h"

namespace tapline {

SynFloodDetector::SynFloodDetector(const DetectConfig& c)
    : WindowDetector(AlertType::kSynFlood, c.syn_flood.window_ns),
      config_(c.syn_flood),
      seed_(c.hash_seed),
      window_(c.sketch_width),
      candidates_(c.window_keys) {}

void SynFloodDetector::add(const DetectTick* const* ticks, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    window_.merge(ticks[i]->dst);
    for (const AddrKey& k : ticks[i]->candidates.keys()) {
      if (!candidates_.add(k, hash_addr(k, seed_))) candidate_drops_.add();
    }
  }
}

void SynFloodDetector::evaluate(uint64_t start_ns, uint64_t end_ns, AlertMachine& alerts) {
  windows_.add();
  for (const AddrKey& k : candidates_.keys()) {
    const uint64_t h = hash_addr(k, seed_);
    // Both are over-estimates of the same key: a completion count inflated by
    // collisions can only make the half-open share look smaller (no false alarm).
    const uint64_t syns = window_.estimate(h, [](const DstCell& c) { return c.syns; });
    const uint64_t done = window_.estimate(h, [](const DstCell& c) { return c.completions; });
    if (syns == 0) continue;
    const double rate = per_second(syns, window_ns());
    const double half_open = syns > done ? 100.0 * static_cast<double>(syns - done) / static_cast<double>(syns) : 0.0;
    if (rate < static_cast<double>(config_.syns_per_second) || half_open < config_.half_open_percent) continue;
    alerts.exceeded(Observation{type(), AlertMetric::kSynsPerSecond, false, k, rate,
                                static_cast<double>(config_.syns_per_second), window_ns(), start_ns, end_ns});
  }
  window_.clear();
  candidates_.clear();
}

void SynFloodDetector::append_stats(std::vector<std::pair<std::string, uint64_t>>& out) const {
  out.emplace_back("detectors.synFlood.windows", windows_.get());
  out.emplace_back("detectors.synFlood.candidateDrops", candidate_drops_.get());
}

}  // namespace tapline
