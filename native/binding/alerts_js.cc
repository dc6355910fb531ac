// engine.drainAlerts(max) -> Array of alert events (agent/engine/alert-event.ts
// validates them): what the detectors' collector has queued, taken without
// blocking. Alerts are rare (one per attack state change, one report per
// interval), so each becomes one plain object. Allowed after close(): the
// final events of a finished input stay queued until taken.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine_wrap.h"
#include "js_errors.h"

namespace tapline::binding {

namespace {

std::string addr_string(const AddrKey& k) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(k.version == 4 ? AF_INET : AF_INET6, k.bytes, buf, sizeof(buf));
  return buf;
}

int64_t ns_to_ms(uint64_t ns) { return static_cast<int64_t>(ns / 1000000ull); }

Napi::Object to_js(Napi::Env env, const AlertEvent& e) {
  Napi::Object o = Napi::Object::New(env);
  const std::string key = e.has_key ? addr_string(e.key) : "";
  // Stable for one attack across raised/updated/resolved; a report is identified by its interval.
  o.Set("id", std::string(alert_type_name(e.type)) + ":" + (e.has_key ? key : "report") + ":" +
                  std::to_string(ns_to_ms(e.first_seen_ns)));
  o.Set("type", alert_type_name(e.type));
  o.Set("state", alert_state_name(e.state));
  Napi::Object k = Napi::Object::New(env);
  if (e.has_key) k.Set(e.key_is_src ? "src" : "dst", key);
  o.Set("key", k);
  o.Set("metric", alert_metric_name(e.metric));
  o.Set("observed", Napi::Number::New(env, e.observed));
  o.Set("threshold", Napi::Number::New(env, e.threshold));
  o.Set("windowMs", Napi::Number::New(env, static_cast<double>(ns_to_ms(e.window_ns))));
  o.Set("firstSeenMs", Napi::Number::New(env, static_cast<double>(ns_to_ms(e.first_seen_ns))));
  o.Set("lastSeenMs", Napi::Number::New(env, static_cast<double>(ns_to_ms(e.last_seen_ns))));
  if (e.type == AlertType::kHeavyHitters) {
    Napi::Array top = Napi::Array::New(env, e.top.size());
    for (size_t i = 0; i < e.top.size(); ++i) {
      const HeavyHitter& h = e.top[i];
      Napi::Object t = Napi::Object::New(env);
      t.Set("addr", addr_string(h.addr));
      t.Set("direction", h.dst ? "dst" : "src");
      t.Set("bytes", std::to_string(h.bytes));  // decimal strings: may pass 2^53
      t.Set("packets", std::to_string(h.packets));
      top.Set(static_cast<uint32_t>(i), t);
    }
    o.Set("top", top);
  }
  return o;
}

}  // namespace

Napi::Value EngineWrap::DrainAlerts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsNumber()) throw make_error(env, kCodeConfig, "drainAlerts(max): bad arguments");
  const int64_t max = info[0].As<Napi::Number>().Int64Value();
  if (max < 1 || max > 65536) throw make_error(env, kCodeConfig, "drainAlerts: max must be 1..65536");
  std::vector<AlertEvent> events(static_cast<size_t>(max));
  const uint32_t n = handle_->engine->drain_alerts(events.data(), static_cast<uint32_t>(max));
  Napi::Array out = Napi::Array::New(env, n);
  for (uint32_t i = 0; i < n; ++i) out.Set(i, to_js(env, events[i]));
  return out;
}

}  // namespace tapline::binding
