// The anomaly detectors' configuration (thresholds and windows from the
// policy; sketch sizes fixed at start). All times on the packet clock.
#pragma once
#include <cstdint>

namespace tapline {

struct DetectConfig {
  struct Volumetric {
    bool enabled = false;
    uint64_t packets_per_second = 0;  // 0 = not checked
    uint64_t bytes_per_second = 0;    // 0 = not checked
    uint64_t window_ns = 10'000'000'000ull;
  } volumetric;
  struct SynFlood {
    bool enabled = false;
    uint64_t syns_per_second = 0;
    uint32_t half_open_percent = 90;
    uint64_t window_ns = 10'000'000'000ull;
  } syn_flood;
  struct PortScan {
    bool enabled = false;
    uint32_t distinct_ports = 0;
    uint32_t distinct_hosts = 0;  // 0 = not checked (horizontal scans)
    uint64_t window_ns = 60'000'000'000ull;
  } port_scan;
  struct HeavyHitters {
    bool enabled = false;
    uint32_t top_k = 10;
    uint64_t interval_ns = 60'000'000'000ull;
  } heavy_hitters;
  uint64_t cooldown_ns = 60'000'000'000ull;  // quiet time before an attack is resolved

  // Fixed sizes (memory known at start).
  uint32_t sketch_width = 2048;       // count-min cells per row (power of two)
  uint32_t candidates = 64;           // per worker per tick: keys that crossed a threshold share
  uint32_t scan_sources = 256;        // per worker per tick: sources tracked for port scans
  uint32_t window_keys = 4096;        // per window at the collector: candidate keys / scan sources
  uint32_t tick_slots = 4;            // per worker: ticks in flight towards the collector
  uint32_t alert_queue = 4096;        // events waiting for drainAlerts()
  uint32_t max_attacks = 1024;        // attacks open at once
  uint32_t update_every_windows = 6;  // an ongoing attack is re-reported at least this often...
  uint32_t update_growth_percent = 50;  // ...or when its observed value grew this much since the last report
  uint64_t hash_seed = 0x6465746563743a29ull;

  bool any_enabled() const {
    return volumetric.enabled || syn_flood.enabled || port_scan.enabled || heavy_hitters.enabled;
  }
  // The tick: the greatest common divisor of the enabled windows, so every window is whole ticks.
  uint64_t tick_ns() const;
};

// Throws EngineConfigError naming the field ("detectors.synFlood.synsPerSecond: ...").
void validate_detect_config(const DetectConfig& c);

}  // namespace tapline
