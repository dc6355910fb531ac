// SYN floods: connection requests (SYN without ACK) per second towards one
// destination over the window, when at least half_open_percent of them did
// not complete the handshake (the flow table reports each completion: the
// initiator's first ACK after the responder's SYN-ACK).
#pragma once
#include "detect/window_detector.h"

namespace tapline {

class SynFloodDetector final : public WindowDetector {
 public:
  explicit SynFloodDetector(const DetectConfig& c);
  void add(const DetectTick* const* ticks, uint32_t n) override;
  void evaluate(uint64_t start_ns, uint64_t end_ns, AlertMachine& alerts) override;
  size_t memory_bytes() const override { return window_.memory_bytes() + candidates_.memory_bytes(); }
  void append_stats(std::vector<std::pair<std::string, uint64_t>>& out) const override;

 private:
  DetectConfig::SynFlood config_;
  uint64_t seed_;
  CountMin<DstCell> window_;
  AddrSet candidates_;
  Counter candidate_drops_;
  Counter windows_;
};

}  // namespace tapline
