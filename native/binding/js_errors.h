// Native failures as typed JavaScript errors: every error carries a `code`
// that agent/engine/errors.ts turns into its own class.
#pragma once
#include <napi.h>

#include <exception>
#include <string>

namespace tapline::binding {

inline constexpr const char* kCodeConfig = "ERR_TAPLINE_CONFIG";              // invalid option
inline constexpr const char* kCodeCaptureFile = "ERR_TAPLINE_CAPTURE_FILE";  // unreadable/corrupt file
inline constexpr const char* kCodeState = "ERR_TAPLINE_STATE";                // call at the wrong time
inline constexpr const char* kCodeFilter = "ERR_TAPLINE_FILTER";                       // capture filter does not compile
inline constexpr const char* kCodeCaptureDevice = "ERR_TAPLINE_CAPTURE_DEVICE";        // no such interface/PCI device/vdev
inline constexpr const char* kCodeCapturePermission = "ERR_TAPLINE_CAPTURE_PERMISSION";  // capability, vfio, hugepages
inline constexpr const char* kCodeCaptureSetup = "ERR_TAPLINE_CAPTURE_SETUP";          // EAL, cores, rings, memory
inline constexpr const char* kCodeNative = "ERR_TAPLINE_NATIVE";              // anything else

Napi::Error make_error(Napi::Env env, const char* code, const std::string& message);

// The code of a C++ exception (one of the constants above) and its message.
struct NativeFailure {
  const char* code = kCodeNative;
  std::string message;
};
NativeFailure classify(std::exception_ptr e);

}  // namespace tapline::binding
