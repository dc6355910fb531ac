// Decodes a captured frame down to the transport header and produces the
// ParsedPacket a worker needs. Style of DPDK's rte_net_get_ptype and
// Suricata's decoders: a length check before every header, bounded loops,
// every malformed packet counted by reason, nothing logged per packet.
#pragma once
#include <cstdint>

#include "common/raw_packet.h"
#include "parse/bytes.h"
#include "parse/flow_key.h"
#include "parse/fragment_table.h"
#include "parse/parse_stats.h"

namespace tapline {

struct ParserConfig {
  uint64_t hash_seed = 0x7461706c696e6521ull;
  uint32_t fragment_sets = 1024;  // x4 ways
  uint64_t fragment_timeout_ns = 30ull * 1000000000ull;
  // The straight-line path for untagged Ethernet + IPv4 + TCP/UDP (off only to
  // check it against the general path: parser_fast_path_test).
  bool fast_path = true;
  // Leave IP fragments to resolve_fragment(): packets are marked (ParsedPacket::fragment)
  // instead of looked up here. For parsers that see only part of a capture (the file
  // engine parses blocks on every worker) while every worker resolves all fragments in order.
  bool defer_fragments = false;
};

constexpr int kMaxVlanTags = 3;       // 802.1ad S-tag + C-tag, and one more for odd carriers
constexpr int kMaxIpv6ExtHeaders = 8;

// The decoded fields of one packet before they are made canonical.
struct Decoded {
  uint8_t src[16];
  uint8_t dst[16];
  uint16_t sport;
  uint16_t dport;
  uint16_t vlan;
  uint8_t proto;
  uint8_t ip_version;
  uint32_t ip_bytes;
  uint8_t tcp_flags;
  bool icmp_one_way;
  uint32_t l4_len;  // transport octets on the wire, from the IP length fields (a snaplen does not cut it)
  TcpSeg tcp;
  uint8_t fragment;  // FragmentKind (deferred fragments only)
  uint32_t fragment_id;
};

class Parser {
 public:
  explicit Parser(const ParserConfig& config = {});

  // Decodes `pkt`. Returns true and fills `out` when the packet belongs to an
  // IP flow; returns false for non-IP and malformed packets (counted).
  bool parse(const RawPacket& pkt, ParsedPacket& out);
  // A burst: prefetches the headers of raw[0..n), parses them and writes the
  // packets that belong to an IP flow to out[0..k), in order; returns k. The same results and counters as
  // parse() on each, but the straight-line path's counters are added once per
  // burst, not per packet.
  uint32_t parse_burst(const RawPacket* raw, uint32_t n, ParsedPacket* out);

  const ParseStats& stats() const { return stats_; }
  ParseStats& stats() { return stats_; }
  uint64_t hash_seed() const { return config_.hash_seed; }

  // The straight-line path alone (parse() tries it first): true and `out` filled when it takes
  // the packet, false, with nothing counted, when the general path must decide. Public for its test.
  bool fast_path(const RawPacket& pkt, ParsedPacket& out);
  // Deferred fragments (ParserConfig::defer_fragments), in capture order on every
  // worker, which keeps every worker's fragment table the table one parser would have:
  // a first fragment is remembered, a later one takes its ports (new key and hashes).
  // True when `pkt` then belongs to worker `self` of `workers`, which counts the
  // fragment's eviction or failed match; the others only update their table.
  bool resolve_fragment(ParsedPacket& pkt, uint32_t workers, uint32_t self);
  size_t memory_bytes() const { return frags_.memory_bytes(); }

 private:
  // fast_decode(): kFastDeclined, or kFastTcp / kFastUdp, | kFastV6 for IPv6, | kFastVlan behind a tag.
  enum : uint32_t { kFastDeclined = 0, kFastTcp = 1, kFastUdp = 2, kFastV6 = 4, kFastVlan = 8 };
  uint32_t fast_decode(const RawPacket& pkt, ParsedPacket& out) const;
  uint32_t fast_ipv4(const RawPacket& pkt, uint32_t l2, uint16_t vlan, ParsedPacket& out) const;
  uint32_t fast_ipv6(const RawPacket& pkt, uint32_t l2, uint16_t vlan, ParsedPacket& out) const;
  uint32_t fast_finish(const RawPacket& pkt, const uint8_t* l4, uint8_t proto, uint32_t ip_bytes, uint32_t tcp_payload,
                       ParsedPacket& out) const;
  void count_fast(uint64_t packets, uint64_t tcp, uint64_t v6, uint64_t vlan, uint64_t wire_bytes);
  bool general(const RawPacket& pkt, ParsedPacket& out);  // parse() without the straight-line path
  bool link(Cursor c, uint16_t linktype, Decoded& d);
  bool ethertype(Cursor c, uint16_t type, Decoded& d);
  bool ip_by_version(Cursor c, Decoded& d);
  bool ipv4(Cursor c, Decoded& d);
  bool ipv6(Cursor c, Decoded& d);
  bool transport(Cursor c, Decoded& d);
  bool defer(uint32_t fragment_id, bool first, Cursor transport_header, Decoded& d);
  void finish(const Decoded& d, ParsedPacket& out) const;
  // The canonical key, side and hashes of a packet from `src`:`sport` to `dst`:`dport`.
  void set_key(const uint8_t* src, const uint8_t* dst, uint16_t sport, uint16_t dport, ParsedPacket& out) const;

  ParserConfig config_;
  FragmentTable frags_;
  ParseStats stats_;
  uint32_t uncaptured_ = 0;  // wirelen - caplen of the current packet (cut by a snaplen)
  bool fragment_ = false;    // the current packet is an IP fragment
  uint64_t ts_ns_ = 0;                 // timestamp of the current packet
};

// ICMP/ICMPv6 "port equivalents" of the Community ID spec: the type and the
// type of its counterpart (echo request <-> reply, ...), or the code for
// types that have none (one-way). Used for the flow key and the record ports.
void icmp_ports(uint8_t type, uint8_t code, bool v6, uint16_t& sport, uint16_t& dport, bool& one_way);

}  // namespace tapline
