#include "js_errors.h"

#include <new>

#include "engine/engine.h"
#include "source/capture_file.h"
#include "source/capture_filter.h"
#include "source/live_source.h"

namespace tapline::binding {

Napi::Error make_error(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

NativeFailure classify(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const EngineConfigError& x) {
    return {kCodeConfig, x.what()};
  } catch (const CaptureFileError& x) {
    return {kCodeCaptureFile, x.what()};
  } catch (const FilterError& x) {
    return {kCodeFilter, x.what()};
  } catch (const CaptureError& x) {
    switch (x.kind()) {
      case CaptureError::Kind::kDevice: return {kCodeCaptureDevice, x.what()};
      case CaptureError::Kind::kPermission: return {kCodeCapturePermission, x.what()};
      case CaptureError::Kind::kSetup: return {kCodeCaptureSetup, x.what()};
    }
    return {kCodeCaptureSetup, x.what()};
  } catch (const std::bad_alloc&) {
    return {kCodeNative, "out of memory while allocating the flow engine"};
  } catch (const std::exception& x) {
    return {kCodeNative, x.what()};
  } catch (...) {
    return {kCodeNative, "unknown native exception"};
  }
}

}  // namespace tapline::binding
