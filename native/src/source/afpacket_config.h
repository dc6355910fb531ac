// Options of the AF_PACKET source (agent config: capture.backend "afpacket").
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tapline {

struct AfPacketConfig {
  std::vector<std::string> interfaces;
  uint32_t ring_mib = 32;           // ring memory per worker and interface
  uint32_t block_kib = 1024;        // TPACKET_V3 block size (a power of two, >= the page size)
  uint32_t block_timeout_ms = 10;   // a partly filled block is handed over after this long
  int32_t fanout_group = -1;        // PACKET_FANOUT group id; -1: derived from the process id
  bool promiscuous = true;
  std::string cores;                // cpuset list to pin workers to, one CPU each ("" = not pinned)
};

}  // namespace tapline
