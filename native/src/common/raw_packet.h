// A captured frame as a source hands it to the engine: borrowed bytes plus
// capture metadata. Sources own the memory; a RawPacket is valid until the
// source produces the next burst.
#pragma once
#include <cstdint>

namespace tapline {

// Link-layer header types (tcpdump.org LINKTYPE_* values) the parser decodes.
enum LinkType : uint16_t {
  kLinkNull = 0,       // BSD loopback: 4-byte host-order address family
  kLinkEthernet = 1,   // Ethernet II / 802.3
  kLinkRaw = 101,      // raw IPv4 or IPv6, version from the first nibble
  kLinkLoop = 108,     // OpenBSD loopback: 4-byte network-order family
  kLinkSll = 113,      // Linux cooked capture v1
  kLinkIpv4 = 228,     // raw IPv4
  kLinkIpv6 = 229,     // raw IPv6
  kLinkSll2 = 276,     // Linux cooked capture v2
};

struct RawPacket {
  const uint8_t* data = nullptr;
  uint32_t caplen = 0;   // bytes present at data
  uint32_t wirelen = 0;  // bytes on the wire (>= caplen)
  uint64_t ts_ns = 0;    // capture time, nanoseconds since the Unix epoch
  uint16_t linktype = kLinkEthernet;
  uint8_t ts_digits = 6;  // sub-second digits the source really has (0..9)
};

}  // namespace tapline
