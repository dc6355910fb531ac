#include "engine_wrap.h"

#include <string>

#include "engine_tasks.h"
#include "js_errors.h"

namespace tapline::binding {

namespace {
struct AddonData {
  Napi::FunctionReference engine_ctor;
};

// The handle an Engine object is constructed from (never from JavaScript).
struct PendingHandle {
  EngineHandlePtr handle;
};
}  // namespace

void EngineWrap::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "Engine",
                                    {
                                        StaticMethod<&EngineWrap::Open>("open"),
                                        InstanceMethod<&EngineWrap::Start>("start"),
                                        InstanceMethod<&EngineWrap::Drain>("drain"),
                                        InstanceMethod<&EngineWrap::Stats>("stats"),
                                        InstanceMethod<&EngineWrap::Stop>("stop"),
                                        InstanceMethod<&EngineWrap::Close>("close"),
                                        InstanceMethod<&EngineWrap::Info>("info"),
                                        InstanceMethod<&EngineWrap::DrainAlerts>("drainAlerts"),  // alerts_js.cc
                                    });
  auto* data = new AddonData();
  data->engine_ctor = Napi::Persistent(ctor);
  env.SetInstanceData(data);
  exports.Set("Engine", ctor);
}

EngineWrap::EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    make_error(info.Env(), kCodeState, "Engine cannot be constructed directly: use Engine.open(options)")
        .ThrowAsJavaScriptException();
    return;
  }
  handle_ = info[0].As<Napi::External<PendingHandle>>().Data()->handle;
}

EngineWrap::~EngineWrap() {
  // Garbage-collected without close(): nobody drains any more, so stop and
  // let full rings drop. A task in flight keeps the engine alive until it ends.
  if (handle_ && handle_->engine) handle_->engine->abandon();
}

Napi::Object EngineWrap::FromHandle(Napi::Env env, EngineHandlePtr handle) {
  PendingHandle pending{std::move(handle)};
  auto* data = env.GetInstanceData<AddonData>();
  return data->engine_ctor.New({Napi::External<PendingHandle>::New(env, &pending)});
}

Napi::Value EngineWrap::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsObject()) {
    make_error(env, kCodeConfig, "Engine.open(options): options must be an object").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  JsEngineOptions options;
  try {
    options = read_engine_options(info[0].As<Napi::Object>());
  } catch (...) {
    const NativeFailure f = classify(std::current_exception());
    make_error(env, f.code, f.message).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto* task = new OpenTask(env, std::move(options), &EngineWrap::FromHandle);
  Napi::Promise p = task->promise();
  task->Queue();
  return p;
}

Engine& EngineWrap::engine(Napi::Env env) {
  if (handle_->closing.load()) throw make_error(env, kCodeState, "the engine is closed");
  return *handle_->engine;
}

Napi::Value EngineWrap::Start(const Napi::CallbackInfo& info) {
  engine(info.Env()).start();
  return info.Env().Undefined();
}

Napi::Value EngineWrap::Drain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  engine(env);
  if (info.Length() != 3 || !info[0].IsNumber() || !info[1].IsString() || !info[2].IsNumber()) {
    throw make_error(env, kCodeConfig, "drain(maxRecords, 'jsonl' | 'packed', waitMs): bad arguments");
  }
  const int64_t max = info[0].As<Napi::Number>().Int64Value();
  const int64_t wait = info[2].As<Napi::Number>().Int64Value();
  const std::string enc = info[1].As<Napi::String>().Utf8Value();
  if (max < 1 || max > (1 << 20)) throw make_error(env, kCodeConfig, "drain: maxRecords must be 1..1048576");
  if (wait < 0 || wait > 60000) throw make_error(env, kCodeConfig, "drain: waitMs must be 0..60000");
  if (enc != "jsonl" && enc != "packed") throw make_error(env, kCodeConfig, "drain: encoding must be jsonl or packed");
  if (handle_->draining.exchange(true)) {
    throw make_error(env, kCodeState, "drain: a drain is already in progress (the export rings have one consumer)");
  }
  auto* task = new DrainTask(env, handle_, static_cast<uint32_t>(max),
                             enc == "packed" ? BatchEncoding::kPacked : BatchEncoding::kJsonl,
                             static_cast<uint32_t>(wait));
  Napi::Promise p = task->promise();
  task->Queue();
  return p;
}

Napi::Value EngineWrap::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const StatsSnapshot snap = handle_->engine->stats();
  Napi::Object root = Napi::Object::New(env);
  for (const auto& [name, value] : snap) {
    // "a.b.c" -> root.a.b.c, as BigInt: counters may pass 2^53.
    Napi::Object node = root;
    size_t from = 0;
    for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', from)) {
      const std::string part = name.substr(from, dot - from);
      Napi::Value child = node.Get(part);
      if (!child.IsObject()) {
        child = Napi::Object::New(env);
        node.Set(part, child);
      }
      node = child.As<Napi::Object>();
      from = dot + 1;
    }
    node.Set(name.substr(from), Napi::BigInt::New(env, static_cast<uint64_t>(value)));
  }
  return root;
}

Napi::Value EngineWrap::Stop(const Napi::CallbackInfo& info) {
  handle_->engine->request_stop();
  return info.Env().Undefined();
}

Napi::Value EngineWrap::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  handle_->closing.store(true);
  handle_->engine->abandon();
  auto* task = new CloseTask(env, handle_);
  Napi::Promise p = task->promise();
  task->Queue();
  return p;
}

Napi::Value EngineWrap::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Engine& e = *handle_->engine;
  Napi::Object o = Napi::Object::New(env);
  o.Set("workers", Napi::Number::New(env, e.workers()));
  o.Set("memoryBytes", Napi::Number::New(env, static_cast<double>(e.memory_bytes())));
  o.Set("inputError", Napi::String::New(env, e.input_error()));
  o.Set("inputTruncated", Napi::Boolean::New(env, e.input_truncated()));
  return o;
}

}  // namespace tapline::binding
