// The engine's blocking operations, each an AsyncWorker that runs on libuv's
// thread pool and settles a Promise: opening (file open, replay preload, table
// allocation), draining a batch (waits briefly for records, encodes them) and
// closing (joins the threads). The JS thread never blocks on them.
#pragma once
#include <napi.h>

#include <string>

#include "engine_handle.h"
#include "js_config.h"

namespace tapline::binding {

enum class BatchEncoding { kJsonl, kPacked };

// Resolves with an Engine JS object built by `make_object` from the handle.
class OpenTask : public Napi::AsyncWorker {
 public:
  using MakeObject = Napi::Object (*)(Napi::Env, EngineHandlePtr);
  OpenTask(Napi::Env env, JsEngineOptions options, MakeObject make_object);
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

 private:
  Napi::Promise::Deferred deferred_;
  JsEngineOptions options_;
  MakeObject make_object_;
  EngineHandlePtr handle_;
  std::exception_ptr failure_;
};

// Resolves with { records, data: Buffer } or null once the engine is done
// and every record has been drained.
class DrainTask : public Napi::AsyncWorker {
 public:
  DrainTask(Napi::Env env, EngineHandlePtr handle, uint32_t max_records, BatchEncoding encoding, uint32_t wait_ms);
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

 private:
  Napi::Promise::Deferred deferred_;
  EngineHandlePtr handle_;
  uint32_t max_records_;
  BatchEncoding encoding_;
  uint32_t wait_ms_;
  uint32_t count_ = 0;
  bool done_ = false;
  std::string* data_ = nullptr;  // handed to the Buffer, freed by its finalizer
};

// Stops (if asked), joins every engine thread and resolves.
class CloseTask : public Napi::AsyncWorker {
 public:
  CloseTask(Napi::Env env, EngineHandlePtr handle);
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

 private:
  Napi::Promise::Deferred deferred_;
  EngineHandlePtr handle_;
};

}  // namespace tapline::binding
