// The alert state machine: one attack (type + key) is raised once, updated
// while it lasts (rate-limited: when the observed value grew notably since the
// last report, or every N exceeding windows), and resolved once it has not
// exceeded its threshold for the cooldown. Bounded: at most max_attacks open
// at once (more are counted, not tracked); events go to a bounded queue that
// drops (counted) rather than wait for JavaScript. Runs on the collector thread.
#pragma once
#include <cstdint>
#include <vector>

#include "common/counter.h"
#include "common/spsc_ring.h"
#include "detect/alert_event.h"
#include "detect/detect_config.h"

namespace tapline {

// One key over its threshold in one window.
struct Observation {
  AlertType type;
  AlertMetric metric;
  bool key_is_src;
  AddrKey key;
  double observed;
  double threshold;
  uint64_t window_ns;
  uint64_t start_ns;  // window start
  uint64_t end_ns;    // window end (clipped to the input's end on the final window)
};

struct AlertMachineStats {
  Counter raised, updated, resolved, reports;
  Counter queue_drops;   // events lost: the queue was full (nobody called drainAlerts)
  Counter attack_drops;  // exceeding keys not tracked: max_attacks attacks already open
  Counter open;          // attacks open now
};

class AlertMachine {
 public:
  AlertMachine(const DetectConfig& config, SpscRing<AlertEvent>& out);

  void exceeded(const Observation& o);
  // Resolves the attacks of `type` quiet since at least the cooldown before `now_ns`.
  void sweep(AlertType type, uint64_t now_ns);
  // The input ended: resolves every open attack.
  void resolve_all();
  void report(AlertEvent&& e);

  const AlertMachineStats& stats() const { return stats_; }

 private:
  struct Attack {
    AlertEvent ev;  // state of the last event sent
    double last_reported = 0;
    uint32_t windows_since_report = 0;
    bool open = false;
  };
  void emit(const AlertEvent& e);

  const DetectConfig config_;
  SpscRing<AlertEvent>& out_;
  std::vector<Attack> attacks_;
  AlertMachineStats stats_;
};

}  // namespace tapline
