// What the collector reports (agent/engine/alert-event.ts is the JavaScript
// form): one event per state change of an attack, or one heavy-hitters report.
#pragma once
#include <cstdint>
#include <vector>

#include "detect/addr_key.h"

namespace tapline {

enum class AlertType : uint8_t { kVolumetric, kSynFlood, kPortScan, kHeavyHitters };
enum class AlertState : uint8_t { kRaised, kUpdated, kResolved, kReport };
enum class AlertMetric : uint8_t {
  kPacketsPerSecond,
  kBytesPerSecond,
  kSynsPerSecond,
  kDistinctPorts,
  kDistinctHosts,
  kBytes,
};

inline const char* alert_type_name(AlertType t) {
  static const char* const names[] = {"volumetric", "syn_flood", "port_scan", "heavy_hitters"};
  return names[static_cast<int>(t)];
}
inline const char* alert_state_name(AlertState s) {
  static const char* const names[] = {"raised", "updated", "resolved", "report"};
  return names[static_cast<int>(s)];
}
inline const char* alert_metric_name(AlertMetric m) {
  static const char* const names[] = {"packets_per_second", "bytes_per_second", "syns_per_second",
                                      "distinct_ports",     "distinct_hosts",   "bytes"};
  return names[static_cast<int>(m)];
}

struct HeavyHitter {
  AddrKey addr;
  bool dst;  // false: bytes sent by addr; true: bytes received
  uint64_t bytes;
  uint64_t packets;
};

struct AlertEvent {
  AlertType type = AlertType::kVolumetric;
  AlertState state = AlertState::kRaised;
  AlertMetric metric = AlertMetric::kPacketsPerSecond;
  bool has_key = false;
  bool key_is_src = false;  // port scans: the scanning source; others: the attacked destination
  AddrKey key{};
  double observed = 0;
  double threshold = 0;
  uint64_t window_ns = 0;
  uint64_t first_seen_ns = 0;  // start of the first window that exceeded (the attack's identity)
  uint64_t last_seen_ns = 0;   // end of the last window that exceeded
  std::vector<HeavyHitter> top;  // heavy-hitters reports: top sources, then top destinations, largest first
};

}  // namespace tapline
