#include "source/iface_drops.h"

#include <fstream>

namespace tapline {

std::string IfaceDrops::af_xdp_iface(const std::string& vdev) {
  if (vdev.rfind("net_af_xdp", 0) != 0) return "";
  size_t at = vdev.find(',');
  while (at != std::string::npos) {
    const size_t next = vdev.find(',', at + 1);
    const std::string arg = vdev.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1);
    if (arg.rfind("iface=", 0) == 0) return arg.substr(6);
    at = next;
  }
  return "";
}

bool IfaceDrops::read(const std::string& iface, uint64_t& value) {
  if (iface.empty() || iface.find('/') != std::string::npos || iface[0] == '.') return false;
  std::ifstream in("/sys/class/net/" + iface + "/statistics/rx_dropped");
  return static_cast<bool>(in >> value);
}

void IfaceDrops::add(const std::string& iface) {
  uint64_t now = 0;
  if (read(iface, now)) ifaces_.emplace_back(iface, now);
}

uint64_t IfaceDrops::drops() const {
  uint64_t sum = 0;
  for (const auto& [iface, start] : ifaces_) {
    uint64_t now = 0;
    if (read(iface, now) && now > start) sum += now - start;
  }
  return sum;
}

}  // namespace tapline
