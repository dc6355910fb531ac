// What the JS Engine object and its in-flight async tasks share. A task holds
// the handle by shared_ptr, so the engine outlives every task that uses it.
#pragma once
#include <atomic>
#include <memory>

#include "engine/engine.h"

namespace tapline::binding {

struct EngineHandle {
  std::unique_ptr<Engine> engine;
  std::atomic<bool> draining{false};  // one drain at a time: the export rings have one consumer
  std::atomic<bool> closing{false};
};

using EngineHandlePtr = std::shared_ptr<EngineHandle>;

}  // namespace tapline::binding
