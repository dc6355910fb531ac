#include "engine_tasks.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "flow/record_json.h"
#include "flow/record_packed.h"
#include "js_errors.h"

namespace tapline::binding {

OpenTask::OpenTask(Napi::Env env, JsEngineOptions options, MakeObject make_object)
    : Napi::AsyncWorker(env, "tapline:open"),
      deferred_(Napi::Promise::Deferred::New(env)),
      options_(std::move(options)),
      make_object_(make_object) {}

void OpenTask::Execute() {
  try {
    auto handle = std::make_shared<EngineHandle>();
    handle->engine = std::make_unique<Engine>(options_.engine, options_.source);
    handle_ = std::move(handle);
  } catch (...) {
    failure_ = std::current_exception();
    SetError("open failed");  // the real error is built in OnError from failure_
  }
}

void OpenTask::OnOK() { deferred_.Resolve(make_object_(Env(), std::move(handle_))); }

void OpenTask::OnError(const Napi::Error&) {
  const NativeFailure f = classify(failure_);
  deferred_.Reject(make_error(Env(), f.code, f.message).Value());
}

DrainTask::DrainTask(Napi::Env env, EngineHandlePtr handle, uint32_t max_records, BatchEncoding encoding,
                     uint32_t wait_ms)
    : Napi::AsyncWorker(env, "tapline:drain"),
      deferred_(Napi::Promise::Deferred::New(env)),
      handle_(std::move(handle)),
      max_records_(max_records),
      encoding_(encoding),
      wait_ms_(wait_ms) {}

void DrainTask::Execute() {
  Engine& engine = *handle_->engine;
  // Records are encoded where they lie in the export rings (no copy out), at
  // most kChunk at a time, so the workers get their slots back as it goes.
  constexpr uint32_t kChunk = 1024;
  data_ = new std::string();
  const bool packed = encoding_ == BatchEncoding::kPacked;
  const size_t guess = static_cast<size_t>(packed ? kPackedRecordBytes : 400) * std::min<uint32_t>(max_records_, 4096);
  auto encode = [this, packed, guess](const FlowRecord& r) {
    if (data_->capacity() < guess) data_->reserve(guess);  // once, at the first record
    if (packed) {
      append_record_packed(r, *data_);
    } else {
      append_record_json(r, *data_);
    }
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms_);
  // Take what is there; if nothing is, wait (here, off the JS thread) until
  // records arrive, the engine finishes, or the wait runs out.
  for (;;) {
    count_ = engine.drain_each(std::min(max_records_, kChunk), encode);
    if (count_ != 0) break;
    if (engine.done()) {
      done_ = true;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  // Keep filling the batch while records keep coming and there is room.
  while (count_ != 0 && count_ < max_records_) {
    const uint32_t more = engine.drain_each(std::min(max_records_ - count_, kChunk), encode);
    if (more == 0) break;
    count_ += more;
  }
  if (count_ == 0) {
    delete data_;
    data_ = nullptr;
  }
}

void DrainTask::OnOK() {
  handle_->draining.store(false);
  Napi::Env env = Env();
  if (done_) {
    deferred_.Resolve(env.Null());
    return;
  }
  Napi::Buffer<char> buffer;
  if (data_ == nullptr) {
    buffer = Napi::Buffer<char>::New(env, 0);  // nothing arrived within the wait
  } else {
    std::string* data = data_;
    data_ = nullptr;
    buffer = Napi::Buffer<char>::New(env, data->data(), data->size(),
                                     [](Napi::Env, char*, std::string* owner) { delete owner; }, data);
  }
  Napi::Object batch = Napi::Object::New(env);
  batch.Set("records", Napi::Number::New(env, count_));
  batch.Set("data", buffer);
  deferred_.Resolve(batch);
}

void DrainTask::OnError(const Napi::Error& e) {
  handle_->draining.store(false);
  delete data_;
  data_ = nullptr;
  deferred_.Reject(make_error(Env(), kCodeNative, e.Message()).Value());
}

CloseTask::CloseTask(Napi::Env env, EngineHandlePtr handle)
    : Napi::AsyncWorker(env, "tapline:close"), deferred_(Napi::Promise::Deferred::New(env)), handle_(std::move(handle)) {}

void CloseTask::Execute() { handle_->engine->join(); }

void CloseTask::OnOK() { deferred_.Resolve(Env().Undefined()); }

void CloseTask::OnError(const Napi::Error& e) {
  deferred_.Reject(make_error(Env(), kCodeNative, e.Message()).Value());
}

}  // namespace tapline::binding
