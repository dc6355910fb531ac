#include "detect/detect_config.h"

#include <numeric>
#include <string>

#include "engine/engine.h"  // EngineConfigError

namespace tapline {

uint64_t DetectConfig::tick_ns() const {
  uint64_t g = 0;
  if (volumetric.enabled) g = std::gcd(g, volumetric.window_ns);
  if (syn_flood.enabled) g = std::gcd(g, syn_flood.window_ns);
  if (port_scan.enabled) g = std::gcd(g, port_scan.window_ns);
  if (heavy_hitters.enabled) g = std::gcd(g, heavy_hitters.interval_ns);
  return g == 0 ? 1'000'000'000ull : g;
}

namespace {
void require(bool ok, const std::string& field, const std::string& why) {
  if (!ok) throw EngineConfigError("detectors." + field + ": " + why);
}
constexpr uint64_t kMs = 1'000'000ull;
constexpr uint64_t kMaxWindowNs = 86'400'000ull * kMs;
}  // namespace

void validate_detect_config(const DetectConfig& c) {
  auto window = [](uint64_t ns) { return ns >= kMs && ns <= kMaxWindowNs && ns % kMs == 0; };
  if (c.volumetric.enabled) {
    require(c.volumetric.packets_per_second != 0 || c.volumetric.bytes_per_second != 0, "volumetric",
            "needs packetsPerSecond or bytesPerSecond");
    require(window(c.volumetric.window_ns), "volumetric.windowSeconds", "must be 1 ms .. 1 day");
  }
  if (c.syn_flood.enabled) {
    require(c.syn_flood.syns_per_second != 0, "synFlood.synsPerSecond", "must be at least 1");
    require(c.syn_flood.half_open_percent >= 1 && c.syn_flood.half_open_percent <= 100, "synFlood.halfOpenPercent",
            "must be 1..100");
    require(window(c.syn_flood.window_ns), "synFlood.windowSeconds", "must be 1 ms .. 1 day");
  }
  if (c.port_scan.enabled) {
    require(c.port_scan.distinct_ports >= 2 && c.port_scan.distinct_ports <= 65535, "portScan.distinctPorts",
            "must be 2..65535");
    require(window(c.port_scan.window_ns), "portScan.windowSeconds", "must be 1 ms .. 1 day");
  }
  if (c.heavy_hitters.enabled) {
    require(c.heavy_hitters.top_k >= 1 && c.heavy_hitters.top_k <= 1000, "heavyHitters.topK", "must be 1..1000");
    require(window(c.heavy_hitters.interval_ns), "heavyHitters.intervalSeconds", "must be 1 ms .. 1 day");
  }
  require(c.cooldown_ns >= kMs, "cooldownSeconds", "must be positive");
  const uint32_t w = c.sketch_width;
  require(w >= 256 && w <= (1u << 20) && (w & (w - 1)) == 0, "sketchWidth", "must be a power of two 256..1048576");
  require(c.candidates >= 8 && c.candidates <= 65536, "candidates", "must be 8..65536");
  require(c.scan_sources >= 8 && c.scan_sources <= 65536, "scanSources", "must be 8..65536");
  require(c.window_keys >= 64 && c.window_keys <= (1u << 20), "windowKeys", "must be 64..1048576");
  require(c.window_keys >= 2 * c.heavy_hitters.top_k, "windowKeys", "must be at least twice topK");
  require(c.tick_slots >= 2 && c.tick_slots <= 64, "tickSlots", "must be 2..64");
  require(c.alert_queue >= 16 && c.alert_queue <= (1u << 20), "alertQueue", "must be 16..1048576");
  require(c.max_attacks >= 1 && c.max_attacks <= (1u << 20), "maxAttacks", "must be 1..1048576");
  require(c.update_every_windows >= 1, "updateEveryWindows", "must be at least 1");
}

}  // namespace tapline
