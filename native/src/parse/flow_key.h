// The canonical, direction-free identity of a flow and the per-packet summary
// the parser hands to a worker.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace tapline {

constexpr uint16_t kNoVlan = 0xFFFF;

// Canonical 5-tuple (+ VLAN, IP version): the (address, port) pair that sorts
// lower is side A, so both directions of a flow produce the same key. IPv4
// addresses occupy the first 4 bytes of each address, the rest is zero.
struct FlowKey {
  uint8_t addr_a[16];
  uint8_t addr_b[16];
  uint16_t port_a;  // host byte order
  uint16_t port_b;
  uint16_t vlan;    // outermost 802.1Q/802.1ad VLAN ID, kNoVlan when untagged
  uint8_t proto;    // IANA protocol number of the transport header
  uint8_t ip_version;  // 4 or 6

  // Five word compares, branch-free: this runs for every packet.
  bool operator==(const FlowKey& o) const {
    uint64_t x[5], y[5];
    std::memcpy(x, this, sizeof x);
    std::memcpy(y, &o, sizeof y);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4])) == 0;
  }
};
static_assert(sizeof(FlowKey) == 40, "FlowKey is hashed as five 64-bit words");

// Which side of the canonical key sent the packet.
enum Side : uint8_t { kSideA = 0, kSideB = 1 };

// TCP sequence fields of one segment, host byte order (flow-record.v2 TCP
// latency). `ok` is 0 for non-TCP, and for TCP in IP fragments (the segment's
// length is unknown); then the rest is 0 too.
struct TcpSeg {
  uint32_t seq;
  uint32_t ack;
  uint16_t payload;  // payload octets on the wire (from the IP length fields), capped at 0xFFFF
  uint8_t ok;
  uint8_t pad;
};

// An IP fragment whose datagram a later step resolves (ParserConfig::defer_fragments).
enum FragmentKind : uint8_t {
  kNotDeferred = 0,    // not a fragment, or resolved by the parser itself
  kFirstFragment = 1,  // offset 0: carries the ports later fragments take
  kLaterFragment = 2,  // no transport header: ports 0 until resolved
};

// One parsed packet: everything the flow table needs. The first cache line
// is what every packet uses (lookup, counters, detectors); the second holds
// the TCP sequence fields, read only for TCP.
struct alignas(64) ParsedPacket {
  FlowKey key;
  uint64_t ts_ns;
  uint32_t hash;      // seeded, symmetric: picks the worker and the bucket
  uint32_t sig;       // second, independent hash: bucket signature and alternate bucket
  uint32_t ip_bytes;  // IP-layer octets from the IP header (IPFIX octetDeltaCount)
  uint8_t tcp_flags;
  uint8_t side;       // Side of the sender
  uint8_t ts_digits;  // sub-second digits of the capture clock
  uint8_t fragment;   // FragmentKind: set only by a parser that defers fragments (ParserConfig)
  TcpSeg tcp;  // read by the flow table for TCP only
  uint32_t fragment_id;  // with `fragment`: the IP identification (IPv4) or fragment id (IPv6)
};
static_assert(sizeof(ParsedPacket) == 128, "two cache lines per parsed packet");
static_assert(offsetof(ParsedPacket, tcp) == 64, "the TCP fields begin the second cache line");

}  // namespace tapline
