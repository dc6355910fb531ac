// A detector on the collector side: it sums the ticks of its window (each
// worker's sketches of the same tick, then tick after tick) and, when the
// window is over, compares what it measured with its thresholds. Windows are
// aligned to multiples of their length on the packet clock.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/counter.h"
#include "detect/alert_machine.h"
#include "detect/detect_tick.h"

namespace tapline {

class WindowDetector {
 public:
  WindowDetector(AlertType type, uint64_t window_ns) : type_(type), window_ns_(window_ns) {}
  virtual ~WindowDetector() = default;

  AlertType type() const { return type_; }
  uint64_t window_ns() const { return window_ns_; }

  // Merges the workers' slots of one tick (all with the same start).
  virtual void add(const DetectTick* const* ticks, uint32_t n) = 0;
  // Compares the window [start, start + window) with the thresholds and
  // clears it. `end_ns` is the window's end, or the input's end on the final one.
  virtual void evaluate(uint64_t start_ns, uint64_t end_ns, AlertMachine& alerts) = 0;
  virtual size_t memory_bytes() const = 0;
  // Counters, appended as (name, value) under "detectors.<name>.".
  virtual void append_stats(std::vector<std::pair<std::string, uint64_t>>& out) const = 0;

 private:
  AlertType type_;
  uint64_t window_ns_;
};

inline double per_second(uint64_t count, uint64_t window_ns) {
  return static_cast<double>(count) * 1e9 / static_cast<double>(window_ns);
}

}  // namespace tapline
