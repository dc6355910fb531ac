// Reads `detectors` of the engine options (agent/engine/detector-options.ts):
// thresholds and windows of each detector, the cooldown, and the fixed sketch
// sizes. Absent detectors are off. Field errors name the full path.
#include <cmath>
#include <string>

#include "js_config.h"

namespace tapline::binding {

namespace {

constexpr uint64_t kSecToNs = 1000000000ull;

uint64_t read_whole(const Napi::Object& o, const std::string& path, const char* field, uint64_t lo, uint64_t hi,
                    uint64_t fallback) {
  const Napi::Value v = o.Get(field);
  const std::string name = path + "." + field;
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw EngineConfigError(name + ": must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
    throw EngineConfigError(name + ": must be a whole number between " + std::to_string(lo) + " and " +
                            std::to_string(hi));
  }
  return static_cast<uint64_t>(d);
}

bool read_enabled(const Napi::Object& o, const std::string& path) {
  const Napi::Value v = o.Get("enabled");
  if (!v.IsBoolean()) throw EngineConfigError(path + ".enabled: must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

// The detector's object, or nothing when absent.
bool section(const Napi::Object& d, const char* name, Napi::Object& out) {
  const Napi::Value v = d.Get(name);
  if (v.IsUndefined()) return false;
  if (!v.IsObject()) throw EngineConfigError(std::string("detectors.") + name + ": must be an object");
  out = v.As<Napi::Object>();
  return true;
}

constexpr uint64_t kMaxRate = 1ull << 50;
constexpr uint64_t kMaxWindowSec = 86400;

}  // namespace

void read_detect_options(const Napi::Object& o, DetectConfig& c) {
  const Napi::Value v = o.Get("detectors");
  if (v.IsUndefined()) return;
  if (!v.IsObject()) throw EngineConfigError("detectors: must be an object");
  const Napi::Object d = v.As<Napi::Object>();
  Napi::Object s;
  if (section(d, "volumetric", s) && (c.volumetric.enabled = read_enabled(s, "detectors.volumetric"))) {
    const std::string p = "detectors.volumetric";
    c.volumetric.packets_per_second = read_whole(s, p, "packetsPerSecond", 1, kMaxRate, 0);
    c.volumetric.bytes_per_second = read_whole(s, p, "bytesPerSecond", 1, kMaxRate, 0);
    c.volumetric.window_ns = read_whole(s, p, "windowSeconds", 1, kMaxWindowSec, 10) * kSecToNs;
  }
  if (section(d, "synFlood", s) && (c.syn_flood.enabled = read_enabled(s, "detectors.synFlood"))) {
    const std::string p = "detectors.synFlood";
    c.syn_flood.syns_per_second = read_whole(s, p, "synsPerSecond", 1, kMaxRate, 0);
    c.syn_flood.half_open_percent = static_cast<uint32_t>(read_whole(s, p, "halfOpenPercent", 1, 100, 90));
    c.syn_flood.window_ns = read_whole(s, p, "windowSeconds", 1, kMaxWindowSec, 10) * kSecToNs;
  }
  if (section(d, "portScan", s) && (c.port_scan.enabled = read_enabled(s, "detectors.portScan"))) {
    const std::string p = "detectors.portScan";
    c.port_scan.distinct_ports = static_cast<uint32_t>(read_whole(s, p, "distinctPorts", 2, 65535, 0));
    c.port_scan.distinct_hosts = static_cast<uint32_t>(read_whole(s, p, "distinctHosts", 2, 1u << 24, 0));
    c.port_scan.window_ns = read_whole(s, p, "windowSeconds", 1, kMaxWindowSec, 60) * kSecToNs;
  }
  if (section(d, "heavyHitters", s) && (c.heavy_hitters.enabled = read_enabled(s, "detectors.heavyHitters"))) {
    const std::string p = "detectors.heavyHitters";
    c.heavy_hitters.top_k = static_cast<uint32_t>(read_whole(s, p, "topK", 1, 1000, 10));
    c.heavy_hitters.interval_ns = read_whole(s, p, "intervalSeconds", 1, kMaxWindowSec, 60) * kSecToNs;
  }
  const std::string p = "detectors";
  c.cooldown_ns = read_whole(d, p, "cooldownSeconds", 1, kMaxWindowSec, c.cooldown_ns / kSecToNs) * kSecToNs;
  c.sketch_width = static_cast<uint32_t>(read_whole(d, p, "sketchWidth", 256, 1u << 20, c.sketch_width));
  c.alert_queue = static_cast<uint32_t>(read_whole(d, p, "alertQueue", 16, 1u << 20, c.alert_queue));
  c.max_attacks = static_cast<uint32_t>(read_whole(d, p, "maxAttacks", 1, 1u << 20, c.max_attacks));
  c.update_every_windows =
      static_cast<uint32_t>(read_whole(d, p, "updateEveryWindows", 1, 1u << 20, c.update_every_windows));
  // Further checks (power-of-two width, a rate for volumetric, ...) in validate_detect_config().
}

}  // namespace tapline::binding
