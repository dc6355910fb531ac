#include "detect/port_scan.h"

#include <cmath>

namespace tapline {

PortScanDetector::PortScanDetector(const DetectConfig& c)
    : WindowDetector(AlertType::kPortScan, c.port_scan.window_ns),
      config_(c.port_scan),
      capacity_(c.window_keys),
      index_(c.window_keys) {
  entries_.reserve(capacity_);
}

void PortScanDetector::add(const DetectTick* const* ticks, uint32_t n) {
  auto key_of = [this](uint32_t e) -> const AddrKey& { return entries_[e].src; };
  for (uint32_t i = 0; i < n; ++i) {
    const ScanTable& t = ticks[i]->scan;
    for (uint32_t j = 0; j < t.size(); ++j) {
      const ScanEntry& s = t.entry(j);
      uint32_t e = index_.find(s.src, s.hash, key_of);
      if (e == AddrIndex::kNone) {
        if (entries_.size() == capacity_) {
          source_drops_.add();
          continue;
        }
        e = static_cast<uint32_t>(entries_.size());
        entries_.push_back(Entry{s.src, s.hash, {}, {}});
        index_.insert(s.hash, e);
      }
      s.merge_into(entries_[e].ports, entries_[e].hosts);
    }
  }
}

void PortScanDetector::evaluate(uint64_t start_ns, uint64_t end_ns, AlertMachine& alerts) {
  windows_.add();
  for (const Entry& e : entries_) {
    Observation o{type(), AlertMetric::kDistinctPorts, true, e.src, std::round(e.ports.estimate()),
                  static_cast<double>(config_.distinct_ports), window_ns(), start_ns, end_ns};
    if (o.observed < o.threshold) {
      if (config_.distinct_hosts == 0) continue;
      o.metric = AlertMetric::kDistinctHosts;
      o.observed = std::round(e.hosts.estimate());
      o.threshold = static_cast<double>(config_.distinct_hosts);
      if (o.observed < o.threshold) continue;
    }
    alerts.exceeded(o);
  }
  if (!entries_.empty()) {
    entries_.clear();
    index_.clear();
  }
}

void PortScanDetector::append_stats(std::vector<std::pair<std::string, uint64_t>>& out) const {
  out.emplace_back("detectors.portScan.windows", windows_.get());
  out.emplace_back("detectors.portScan.sourceDrops", source_drops_.get());
}

}  // namespace tapline
