// The `Engine` class the addon exports. agent/engine/binding.ts declares its
// shape; agent/engine/engine.ts is its only user.
//
//   Engine.open(options) -> Promise<Engine>     allocate, open/preload the source
//   engine.start()                               start the threads
//   engine.drain(max, 'jsonl'|'packed', waitMs)  -> Promise<{records, data} | null>
//   engine.stats()                               -> { name: bigint, ... } (nested)
//   engine.stop()                                stop input; live flows end "shutdown"
//   engine.close()                               -> Promise<void>: abandon + join
//   engine.drainAlerts(max)                      -> alert events queued by the detectors (alerts_js.cc)
#pragma once
#include <napi.h>

#include "engine_handle.h"

namespace tapline::binding {

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit EngineWrap(const Napi::CallbackInfo& info);
  ~EngineWrap() override;

 private:
  static Napi::Value Open(const Napi::CallbackInfo& info);
  static Napi::Object FromHandle(Napi::Env env, EngineHandlePtr handle);

  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Drain(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value DrainAlerts(const Napi::CallbackInfo& info);  // alerts_js.cc

  Engine& engine(Napi::Env env);

  EngineHandlePtr handle_;
};

}  // namespace tapline::binding
