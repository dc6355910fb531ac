#include "flow/community_id.h"

#include <cstring>

#include "common/sha1.h"
#include "parse/parser.h"

namespace tapline {

size_t community_id(const FlowRecord& r, uint16_t seed, char* out) {
  const bool init_a = r.initiator == kSideA;
  const uint8_t* saddr = init_a ? r.key.addr_a : r.key.addr_b;
  const uint8_t* daddr = init_a ? r.key.addr_b : r.key.addr_a;
  uint16_t sport = init_a ? r.key.port_a : r.key.port_b;
  uint16_t dport = init_a ? r.key.port_b : r.key.port_a;
  const size_t alen = r.key.ip_version == 4 ? 4 : 16;
  const uint8_t proto = r.key.proto;
  const bool has_ports = proto == 6 || proto == 17 || proto == 132 || proto == 1 || proto == 58;

  bool one_way = false;
  if (proto == 1 || proto == 58) {
    // The key holds the port equivalents already; re-derive one-wayness from the type.
    uint16_t s2, d2;
    icmp_ports(static_cast<uint8_t>(sport), static_cast<uint8_t>(dport), proto == 58, s2, d2, one_way);
  }
  // Order the endpoints unless the flow is a one-way ICMP message.
  bool swap = false;
  if (!one_way) {
    const int c = std::memcmp(saddr, daddr, alen);
    swap = c > 0 || (c == 0 && sport > dport);
  }
  if (swap) {
    std::swap(saddr, daddr);
    std::swap(sport, dport);
  }
  uint8_t buf[2 + 16 + 16 + 2 + 4];
  size_t n = 0;
  buf[n++] = static_cast<uint8_t>(seed >> 8);
  buf[n++] = static_cast<uint8_t>(seed);
  std::memcpy(buf + n, saddr, alen);
  n += alen;
  std::memcpy(buf + n, daddr, alen);
  n += alen;
  buf[n++] = proto;
  buf[n++] = 0;
  if (has_ports) {
    buf[n++] = static_cast<uint8_t>(sport >> 8);
    buf[n++] = static_cast<uint8_t>(sport);
    buf[n++] = static_cast<uint8_t>(dport >> 8);
    buf[n++] = static_cast<uint8_t>(dport);
  }
  uint8_t digest[20];
  sha1(buf, n, digest);
  out[0] = '1';
  out[1] = ':';
  return 2 + base64_encode(digest, 20, out + 2);
}

}  // namespace tapline
