// The addon's entry point: registers the one exported class.
#include <napi.h>

#include "engine_wrap.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tapline::binding::EngineWrap::Init(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(tapline_native, Init)
