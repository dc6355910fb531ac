// The kernel's receive drops on the interfaces under DPDK's kernel-backed
// net_af_xdp ports. Frames the kernel could not hand to the XDP socket (RX
// ring full, fill ring empty) are counted in the interface's rx_dropped, and
// DPDK 22.11's net_af_xdp does not report them in imissed; without this they
// would be lost uncounted. Read when stats are asked for, never per packet.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tapline {

class IfaceDrops {
 public:
  // The interface named by iface= in an net_af_xdp vdev spec, or "" for any other vdev.
  static std::string af_xdp_iface(const std::string& vdev);

  // Remembers the interface's rx_dropped now; the delta from here is what drops() counts.
  void add(const std::string& iface);
  bool empty() const { return ifaces_.empty(); }
  // rx_dropped since add(), over every interface (one that can no longer be read counts 0).
  uint64_t drops() const;

 private:
  static bool read(const std::string& iface, uint64_t& value);
  std::vector<std::pair<std::string, uint64_t>> ifaces_;
};

}  // namespace tapline
