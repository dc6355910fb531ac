// Reads the engine options object handed over by agent/engine/engine.ts
// (already validated by its zod schema; re-checked here because a native
// boundary trusts nothing). Throws EngineConfigError naming the field.
#pragma once
#include <napi.h>

#include "engine/engine.h"

namespace tapline::binding {

struct JsEngineOptions {
  EngineConfig engine;
  SourceConfig source;
};

JsEngineOptions read_engine_options(const Napi::Object& o);

}  // namespace tapline::binding
