// Remembers the transport ports of first IP fragments so that later
// fragments of the same datagram join the same flow. Bounded: a fixed
// set-associative table; the oldest entry of a set is replaced when it is full.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tapline {

struct FragmentId {
  uint8_t src[16];
  uint8_t dst[16];
  uint32_t id;  // IPv4: 16-bit identification; IPv6: 32-bit fragment identification
  uint8_t proto;
  uint8_t ip_version;
  uint8_t pad[2] = {0, 0};
};

class FragmentTable {
 public:
  // `sets` is rounded up to a power of two; each set holds kWays entries.
  FragmentTable(uint32_t sets, uint64_t timeout_ns, uint64_t seed);

  // Records the ports of a first fragment. Returns true if a live entry had to be evicted.
  bool remember(const FragmentId& id, uint16_t sport, uint16_t dport, uint64_t ts_ns);
  // Finds the ports of a later fragment; false if the first fragment was not seen (or expired).
  bool find(const FragmentId& id, uint64_t ts_ns, uint16_t& sport, uint16_t& dport) const;

  size_t memory_bytes() const { return entries_.size() * sizeof(Entry); }

 private:
  static constexpr uint32_t kWays = 4;
  struct Entry {
    FragmentId id;
    uint64_t ts_ns;
    uint16_t sport, dport;
    bool used;
  };
  uint32_t set_of(const FragmentId& id) const;
  std::vector<Entry> entries_;
  uint32_t mask_;
  uint64_t timeout_ns_;
  uint64_t seed_;
};

}  // namespace tapline
