#include "js_config.h"

#include <cmath>
#include <string>

namespace tapline::binding {

namespace {

// A whole number in [lo, hi], or `fallback` when the field is absent.
uint64_t read_uint(const Napi::Object& o, const char* field, uint64_t lo, uint64_t hi, uint64_t fallback) {
  const Napi::Value v = o.Get(field);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw EngineConfigError(std::string(field) + ": must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
    throw EngineConfigError(std::string(field) + ": must be a whole number between " + std::to_string(lo) +
                            " and " + std::to_string(hi));
  }
  return static_cast<uint64_t>(d);
}

constexpr uint64_t kMsToNs = 1000000ull;
constexpr uint64_t kMaxTimeoutMs = 7ull * 24 * 3600 * 1000;  // a week

}  // namespace

JsEngineOptions read_engine_options(const Napi::Object& o) {
  JsEngineOptions out;
  EngineConfig& e = out.engine;
  e.workers = static_cast<uint32_t>(read_uint(o, "workers", 1, 64, 1));
  e.max_flows = read_uint(o, "maxFlows", 1, 1ull << 31, e.max_flows);
  e.timeouts.idle_ns = read_uint(o, "idleTimeoutMs", 1, kMaxTimeoutMs, e.timeouts.idle_ns / kMsToNs) * kMsToNs;
  e.timeouts.active_ns =
      read_uint(o, "activeTimeoutMs", 1, kMaxTimeoutMs, e.timeouts.active_ns / kMsToNs) * kMsToNs;
  e.export_ring = static_cast<uint32_t>(read_uint(o, "exportRing", 64, 1u << 24, e.export_ring));
  read_detect_options(o, e.detect);  // js_detect_config.cc

  const Napi::Value src = o.Get("source");
  if (!src.IsObject()) throw EngineConfigError("source: must be an object");
  const Napi::Object s = src.As<Napi::Object>();
  const Napi::Value kind = s.Get("kind");
  const Napi::Value path = s.Get("path");
  if (!kind.IsString()) throw EngineConfigError("source.kind: must be \"file\" or \"replay\"");
  const std::string k = kind.As<Napi::String>().Utf8Value();
  read_capture_options(o, out.source);  // filter, snaplen (js_live_config.cc)
  if (read_live_source(s, k, out.source)) return out;  // afpacket, dpdk
  if (k == "file") {
    out.source.kind = SourceConfig::Kind::kFile;
  } else if (k == "replay") {
    out.source.kind = SourceConfig::Kind::kReplay;
  } else {
    throw EngineConfigError("source.kind: must be \"file\" or \"replay\", got \"" + k + "\"");
  }
  if (!path.IsString() || path.As<Napi::String>().Utf8Value().empty()) {
    throw EngineConfigError("source.path: must be a non-empty string");
  }
  out.source.path = path.As<Napi::String>().Utf8Value();
  out.source.loops = static_cast<uint32_t>(read_uint(s, "loops", 1, 1u << 20, 1));
  return out;
}

}  // namespace tapline::binding
