// Builds the live source a SourceConfig names (AF_PACKET or DPDK).
#pragma once
#include <memory>

#include "engine/engine.h"

namespace tapline {

// Throws CaptureError (device missing, no permission, setup) or EngineConfigError.
std::unique_ptr<LiveSource> open_live_source(const SourceConfig& source, uint32_t workers, const CaptureFilter* filter);

}  // namespace tapline
