// A worker's share of a preloaded capture, replayed from memory (benchmarks:
// measures the worker, not the disk). Each loop shifts timestamps by the
// capture's span so flows age as if the traffic went on.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/worker.h"

namespace tapline {

class ReplayFeed final : public WorkerFeed {
 public:
  explicit ReplayFeed(uint32_t loops) : loops_(loops) {}

  void add(const RawPacket& pkt) {
    offsets_.push_back(bytes_.size());
    bytes_.insert(bytes_.end(), pkt.data, pkt.data + pkt.caplen);
    packets_.push_back(pkt);
  }
  // Fixes the packets' data pointers once all bytes are loaded.
  void seal(uint64_t span_ns) {
    for (size_t i = 0; i < packets_.size(); ++i) packets_[i].data = bytes_.data() + offsets_[i];
    offsets_.clear();
    offsets_.shrink_to_fit();
    span_ns_ = span_ns;
  }

  uint32_t rx_burst(RawPacket* out, uint32_t n, bool& done) override {
    uint32_t k = 0;
    while (k < n) {
      if (pos_ == packets_.size()) {
        pos_ = 0;
        if (++loop_ >= loops_ || packets_.empty()) {
          done = true;
          break;
        }
      }
      out[k] = packets_[pos_++];
      out[k].ts_ns += loop_ * span_ns_;
      ++k;
    }
    return k;
  }

  size_t memory_bytes() const { return bytes_.capacity() + packets_.capacity() * sizeof(RawPacket); }
  size_t packets() const { return packets_.size(); }

 private:
  std::vector<uint8_t> bytes_;
  std::vector<size_t> offsets_;
  std::vector<RawPacket> packets_;
  uint32_t loops_;
  uint64_t loop_ = 0;
  size_t pos_ = 0;
  uint64_t span_ns_ = 0;
};

}  // namespace tapline
