// Reads the engine options object handed over by agent/engine/engine.ts
// (already validated by its zod schema; re-checked here because a native
// boundary trusts nothing). Throws EngineConfigError naming the field.
#pragma once
#include <napi.h>

#include <string>

#include "engine/engine.h"

namespace tapline::binding {

struct JsEngineOptions {
  EngineConfig engine;
  SourceConfig source;
};

JsEngineOptions read_engine_options(const Napi::Object& o);

// js_live_config.cc: `filter` and `snaplen` (top level), and the live sources:
// fills `out` and returns true when `kind` is "afpacket" or "dpdk".
void read_capture_options(const Napi::Object& o, SourceConfig& out);
bool read_live_source(const Napi::Object& s, const std::string& kind, SourceConfig& out);

// js_detect_config.cc: `detectors` (absent: every detector off).
void read_detect_options(const Napi::Object& o, DetectConfig& out);

}  // namespace tapline::binding
