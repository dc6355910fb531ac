// Parser counters: packets by protocol layer and malformed packets by reason.
// Each list is an X-macro (field, JSON name) so the struct, the reset and the
// export to JavaScript can never disagree.
#pragma once
#include <cstdint>

#include "common/counter.h"

namespace tapline {

#define TAPLINE_PROTOCOL_COUNTERS(X) \
  X(ethernet, "ethernet")            \
  X(sll, "sll")                      \
  X(sll2, "sll2")                    \
  X(loopback, "loopback")            \
  X(raw_ip, "rawIp")                 \
  X(vlan, "vlan")                    \
  X(qinq, "qinq")                    \
  X(arp, "arp")                      \
  X(other_l3, "otherL3")             \
  X(ipv4, "ipv4")                    \
  X(ipv6, "ipv6")                    \
  X(ipv4_fragment, "ipv4Fragment")   \
  X(ipv6_fragment, "ipv6Fragment")   \
  X(tcp, "tcp")                      \
  X(udp, "udp")                      \
  X(icmp, "icmp")                    \
  X(icmpv6, "icmpv6")                \
  X(sctp, "sctp")                    \
  X(other_l4, "otherL4")

#define TAPLINE_MALFORMED_REASONS(X)                         \
  X(unsupported_linktype, "unsupportedLinkType")             \
  X(truncated_l2, "truncatedL2")                             \
  X(vlan_depth, "vlanDepth")                                 \
  X(bad_ip_version, "badIpVersion")                          \
  X(truncated_ipv4, "truncatedIpv4")                         \
  X(bad_ipv4_header_length, "badIpv4HeaderLength")           \
  X(bad_ipv4_total_length, "badIpv4TotalLength")             \
  X(truncated_ipv6, "truncatedIpv6")                         \
  X(bad_ipv6_payload_length, "badIpv6PayloadLength")         \
  X(ipv6_ext_depth, "ipv6ExtensionDepth")                    \
  X(truncated_ipv6_ext, "truncatedIpv6Extension")            \
  X(truncated_tcp, "truncatedTcp")                           \
  X(bad_tcp_offset, "badTcpDataOffset")                      \
  X(truncated_udp, "truncatedUdp")                           \
  X(truncated_icmp, "truncatedIcmp")                         \
  X(truncated_sctp, "truncatedSctp")

struct ProtocolCounters {
#define TAPLINE_FIELD(f, n) Counter f;
  TAPLINE_PROTOCOL_COUNTERS(TAPLINE_FIELD)
#undef TAPLINE_FIELD
};

struct MalformedCounters {
#define TAPLINE_FIELD(f, n) Counter f;
  TAPLINE_MALFORMED_REASONS(TAPLINE_FIELD)
#undef TAPLINE_FIELD
};

struct alignas(64) ParseStats {
  Counter packets;     // every packet offered to the parser
  Counter wire_bytes;  // their wire lengths
  Counter flow_packets;  // packets that became part of a flow
  Counter fragments_unmatched;  // non-first fragments whose first fragment was not seen
  Counter fragment_evictions;   // fragment-table entries replaced before they expired
  Counter unsupported_linktype_seen;  // the last link type counted as unsupported (a value, not a count)
  ProtocolCounters proto;
  MalformedCounters malformed;

  uint64_t malformed_total() const {
    uint64_t t = 0;
#define TAPLINE_ADD(f, n) t += malformed.f.get();
    TAPLINE_MALFORMED_REASONS(TAPLINE_ADD)
#undef TAPLINE_ADD
    return t;
  }
};

}  // namespace tapline
