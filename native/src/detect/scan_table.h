// Port-scan evidence of one tick on one worker: for the sources that began
// the most flows, the distinct destination ports and hosts they tried (one
// HyperLogLog each). Space-saving (Metwally et al.) over sources: a full table
// replaces its smallest entry (of a sample of 8) and the newcomer inherits
// that count plus one, so a source beginning many flows is not pushed out by
// many light ones (unless more than ~1/capacity of the tick's new flows are
// light ones: a huge flood of new sources can mask a slow scan; counted).
// Only flow starts reach it, never every packet.
#pragma once
#include <cstdint>
#include <vector>

#include "common/counter.h"
#include "detect/addr_index.h"
#include "detect/hyperloglog.h"

namespace tapline {

struct ScanEntry {
  AddrKey src;
  uint64_t hash;
  uint64_t flows;  // flow starts (space-saving count: may include the inherited minimum)
  HyperLogLog ports;
  HyperLogLog hosts;
};

class ScanTable {
 public:
  explicit ScanTable(uint32_t capacity) : capacity_(capacity), index_(capacity), entries_(capacity) {}

  // A flow from `src` (hashed to h) towards `dst_hash` / `port_hash` began.
  // Returns true when another source was replaced to make room.
  bool add(const AddrKey& src, uint64_t h, uint64_t dst_hash, uint64_t port_hash) {
    auto key_of = [this](uint32_t e) -> const AddrKey& { return entries_[e].src; };
    uint32_t e = index_.find(src, h, key_of);
    bool replaced = false;
    if (e == AddrIndex::kNone) {
      uint64_t inherit = 0;
      if (size_ < capacity_) {
        e = size_++;
      } else {
        // The smallest of kSample entries from a rotating position, not of all:
        // a constant cost per new source however large the table (a flood of
        // new sources must not cost a table scan each). The guarantee weakens
        // only slightly: a source must beat the sampled minimum to stay.
        e = cursor_;
        for (uint32_t k = 1; k < kSample; ++k) {
          const uint32_t i = (cursor_ + k * kStride) % size_;
          e = entries_[i].flows < entries_[e].flows ? i : e;
        }
        cursor_ = (cursor_ + 1) % size_;
        inherit = entries_[e].flows;
        index_.erase(entries_[e].hash, e);
        replaced = true;
      }
      ScanEntry& n = entries_[e];
      n.src = src;
      n.hash = h;
      n.flows = inherit;
      n.ports.clear();
      n.hosts.clear();
      index_.insert(h, e);
    }
    ScanEntry& s = entries_[e];
    s.flows += 1;
    s.ports.add(port_hash);
    s.hosts.add(dst_hash);
    return replaced;
  }

  uint32_t size() const { return size_; }
  const ScanEntry& entry(uint32_t i) const { return entries_[i]; }
  void clear() {
    if (size_ == 0) return;
    size_ = 0;
    cursor_ = 0;
    index_.clear();
  }
  size_t memory_bytes() const { return index_.memory_bytes() + capacity_ * sizeof(ScanEntry); }

 private:
  static constexpr uint32_t kSample = 8;
  static constexpr uint32_t kStride = 31;  // spreads the sample over the table
  uint32_t capacity_;
  uint32_t size_ = 0;
  uint32_t cursor_ = 0;
  AddrIndex index_;
  std::vector<ScanEntry> entries_;
};

}  // namespace tapline
