// SYN floods: connection requests (SYN without ACK) per second towards one
// destination over the window, when at least half_open_percent of them did
// not complete the handshake (the flow table reports each completion: the
// initiator's first ACK after the responder's SYN-ACK).
#pragma once
#include "detect/destination_window.h"

namespace tapline {

class SynFloodDetector final : public DestinationWindowDetector {
 public:
  explicit SynFloodDetector(const DetectConfig& c);

 private:
  void check(const AddrKey& k, uint64_t h, uint64_t start_ns, uint64_t end_ns, AlertMachine& alerts) override;

  DetectConfig::SynFlood config_;
};

}  // namespace tapline
