#include "engine/live_source_factory.h"

#include "source/afpacket_source.h"
#include "source/dpdk_source.h"

namespace tapline {

std::unique_ptr<LiveSource> open_live_source(const SourceConfig& source, uint32_t workers, const CaptureFilter* filter) {
  switch (source.kind) {
    case SourceConfig::Kind::kAfPacket:
      return std::make_unique<AfPacketSource>(source.afpacket, workers, source.snaplen, filter);
    case SourceConfig::Kind::kDpdk:
      return std::make_unique<DpdkSource>(source.dpdk, workers, source.snaplen, filter);
    default:
      throw EngineConfigError("source.kind: not a live source");
  }
}

}  // namespace tapline
