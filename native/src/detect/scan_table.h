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

// A source's evidence. A source seen once since it entered holds its one
// (port, host) pair as it is (`single`): most entries under a churn of new
// sources never see a second flow, and clearing two 256-byte sketches for each
// would cost more than the rest of the update. merge_into() gives the same
// result either way; `ports` and `hosts` themselves are valid when !single.
struct ScanEntry {
  AddrKey src;
  uint64_t hash;
  uint64_t first_port;  // while single: the port hash and host hash of the one flow
  uint64_t first_host;
  bool single;
  HyperLogLog ports;
  HyperLogLog hosts;

  void merge_into(HyperLogLog& ports_out, HyperLogLog& hosts_out) const {
    if (single) {
      ports_out.add(first_port);
      hosts_out.add(first_host);
    } else {
      ports_out.merge(ports);
      hosts_out.merge(hosts);
    }
  }
};

class ScanTable {
 public:
  explicit ScanTable(uint32_t capacity)
      : capacity_(capacity), stride_(kStride % capacity), index_(capacity), entries_(capacity), flows_(capacity) {}

  // A flow from `src` (hashed to h) towards `dst_hash` / `port_hash` began.
  // Returns true when another source was replaced to make room.
  bool add(const AddrKey& src, uint64_t h, uint64_t dst_hash, uint64_t port_hash) {
    auto key_of = [this](uint32_t e) -> const AddrKey& { return entries_[e].src; };
    uint32_t e = index_.find(src, h, key_of);
    if (e != AddrIndex::kNone) {
      ScanEntry& s = entries_[e];
      flows_[e] += 1;
      if (s.single) {
        s.single = false;
        s.ports.clear();
        s.hosts.clear();
        s.ports.add(s.first_port);
        s.hosts.add(s.first_host);
      }
      s.ports.add(port_hash);
      s.hosts.add(dst_hash);
      return false;
    }
    uint64_t inherit = 0;
    bool replaced = false;
    if (size_ < capacity_) {
      e = size_++;
    } else {
      // The smallest of kSample entries from a rotating position, not of all:
      // a constant cost per new source however large the table (a flood of
      // new sources must not cost a table scan each). The guarantee weakens
      // only slightly: a source must beat the sampled minimum to stay. The
      // counts live apart from the entries (one or two cache lines for the
      // whole sample), positions advance by a stride reduced once (no division).
      e = cursor_;
      uint32_t i = cursor_;
      for (uint32_t k = 1; k < kSample; ++k) {
        i += stride_;
        i = i >= size_ ? i - size_ : i;
        e = flows_[i] < flows_[e] ? i : e;
      }
      cursor_ = cursor_ + 1 == size_ ? 0 : cursor_ + 1;
      inherit = flows_[e];
      index_.erase(entries_[e].hash, e);
      replaced = true;
    }
    ScanEntry& n = entries_[e];
    n.src = src;
    n.hash = h;
    n.first_port = port_hash;
    n.first_host = dst_hash;
    n.single = true;
    flows_[e] = inherit + 1;
    index_.insert(h, e);
    return replaced;
  }

  uint32_t size() const { return size_; }
  const ScanEntry& entry(uint32_t i) const { return entries_[i]; }
  // Flow starts of entry i (space-saving count: may include the inherited minimum).
  uint64_t flows(uint32_t i) const { return flows_[i]; }
  void clear() {
    if (size_ == 0) return;
    size_ = 0;
    cursor_ = 0;
    index_.clear();
  }
  size_t memory_bytes() const {
    return index_.memory_bytes() + capacity_ * (sizeof(ScanEntry) + sizeof(uint64_t));
  }

 private:
  static constexpr uint32_t kSample = 8;
  static constexpr uint32_t kStride = 31;  // spreads the sample over the table
  uint32_t capacity_;
  uint32_t stride_;  // kStride % capacity_: replacements happen only when size_ == capacity_
  uint32_t size_ = 0;
  uint32_t cursor_ = 0;
  AddrIndex index_;
  std::vector<ScanEntry> entries_;
  std::vector<uint64_t> flows_;
};

}  // namespace tapline
