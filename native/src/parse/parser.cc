#include "parse/parser.h"

#include <cstring>

#include "flow/flow_hash.h"
#include "parse/bytes.h"

namespace tapline {

Parser::Parser(const ParserConfig& config)
    : config_(config), frags_(config.fragment_sets, config.fragment_timeout_ns, config.hash_seed) {}

// Most of what a capture carries in one straight line: Ethernet II, untagged
// or with one VLAN tag, IPv4 without options and not a fragment, or IPv6
// without extension headers, the whole IP packet captured, TCP (its header
// inside the segment) or UDP. It decides before it writes anything but `out`,
// and counts nothing (its callers count, per packet or per burst), so a packet
// it declines goes through the general path as if it had never looked; what it
// accepts ends with the same ParsedPacket the general path gives, written in
// place (parser_fast_path_test checks both on the corpus and on the edge of
// every condition below).
inline __attribute__((always_inline)) uint32_t Parser::fast_decode(const RawPacket& pkt, ParsedPacket& out) const {
  if (pkt.linktype != kLinkEthernet || pkt.caplen < 14 + 20 + 8) return kFastDeclined;
  const uint16_t type = be16(pkt.data + 12);
  if (type == ethertype::kIpv4) return fast_ipv4(pkt, 14, kNoVlan, out);
  if (type == ethertype::kIpv6) return fast_ipv6(pkt, 14, kNoVlan, out);
  if (type == ethertype::kVlan || type == ethertype::kQinq || type == ethertype::kQinqOld) {
    // One tag, as the general path reads it: the outermost tag names the
    // flow's VLAN. A second tag is the general path's.
    if (pkt.caplen < 18 + 20 + 8) return kFastDeclined;
    const uint16_t vlan = be16(pkt.data + 14) & 0x0FFF;
    const uint16_t inner = be16(pkt.data + 16);
    const uint32_t r = inner == ethertype::kIpv4   ? fast_ipv4(pkt, 18, vlan, out)
                       : inner == ethertype::kIpv6 ? fast_ipv6(pkt, 18, vlan, out)
                                                   : kFastDeclined;
    return r == kFastDeclined ? kFastDeclined : r | kFastVlan;
  }
  return kFastDeclined;
}

// l2: the IP header's offset (14, or 18 behind a tag); vlan: the key's VLAN.
inline __attribute__((always_inline)) uint32_t Parser::fast_ipv4(const RawPacket& pkt, uint32_t l2, uint16_t vlan,
                                                                 ParsedPacket& out) const {
  const uint32_t caplen = pkt.caplen;
  const uint8_t* const h = pkt.data + l2;
  const uint32_t total = be16(h + 2);
  const uint8_t proto = h[9];
  if (h[0] != 0x45 || (be16(h + 6) & 0x3FFF) != 0 || total > caplen - l2) return kFastDeclined;
  const uint8_t* const l4 = h + 20;
  uint32_t off = 0;
  if (proto == ipproto::kTcp) {
    if (total < 40) return kFastDeclined;
    off = (l4[12] >> 4) * 4u;
    if (off < 20 || off > total - 20) return kFastDeclined;
  } else if (proto != ipproto::kUdp || total < 28) {
    return kFastDeclined;
  }
  // The canonical key as set_key() makes it: an IPv4 address is its first 4
  // bytes (the other 12 are zero), so comparing the big-endian words is
  // comparing the addresses.
  const uint32_t s = be32(h + 12), t = be32(h + 16);
  const uint16_t sport = be16(l4), dport = be16(l4 + 2);
  const bool src_is_a = s != t ? s < t : sport <= dport;
  FlowKey& k = out.key;
  std::memset(k.addr_a, 0, sizeof k.addr_a + sizeof k.addr_b);
  std::memcpy(k.addr_a, src_is_a ? h + 12 : h + 16, 4);
  std::memcpy(k.addr_b, src_is_a ? h + 16 : h + 12, 4);
  k.port_a = src_is_a ? sport : dport;
  k.port_b = src_is_a ? dport : sport;
  k.vlan = vlan;
  k.proto = proto;
  k.ip_version = 4;
  const FlowHashes fh = hash_flow_key(k, config_.hash_seed);
  out.hash = fh.hash;
  out.sig = fh.sig;
  out.side = src_is_a ? kSideA : kSideB;
  return fast_finish(pkt, l4, proto, total, total - 20 - off, out);
}

inline __attribute__((always_inline)) uint32_t Parser::fast_ipv6(const RawPacket& pkt, uint32_t l2, uint16_t vlan,
                                                                 ParsedPacket& out) const {
  const uint32_t caplen = pkt.caplen;
  const uint8_t* const h = pkt.data + l2;
  if (caplen < l2 + 40 + 8) return kFastDeclined;
  const uint32_t payload = be16(h + 4);
  const uint8_t proto = h[6];
  // Payload length 0 (a jumbogram or a TSO capture), a packet the frame does
  // not hold whole, and extension headers (proto below) are the general path's.
  if ((h[0] >> 4) != 6 || payload == 0 || payload > caplen - l2 - 40) return kFastDeclined;
  const uint8_t* const l4 = h + 40;
  uint32_t off = 0;
  if (proto == ipproto::kTcp) {
    if (payload < 20) return kFastDeclined;
    off = (l4[12] >> 4) * 4u;
    if (off < 20 || off > payload) return kFastDeclined;
  } else if (proto != ipproto::kUdp || payload < 8) {
    return kFastDeclined;
  }
  out.key.vlan = vlan;
  out.key.proto = proto;
  out.key.ip_version = 6;
  set_key(h + 8, h + 24, be16(l4), be16(l4 + 2), out);
  return fast_finish(pkt, l4, proto, 40 + payload, payload - off, out) | kFastV6;
}

// The fields after the key, common to both straight lines.
inline __attribute__((always_inline)) uint32_t Parser::fast_finish(const RawPacket& pkt, const uint8_t* l4, uint8_t proto,
                                                                   uint32_t ip_bytes, uint32_t tcp_payload,
                                                                   ParsedPacket& out) const {
  out.ts_ns = pkt.ts_ns;
  out.ip_bytes = ip_bytes;
  out.ts_digits = pkt.ts_digits;
  out.fragment = kNotDeferred;
  out.fragment_id = 0;
  if (proto == ipproto::kTcp) {
    out.tcp_flags = l4[13];
    out.tcp.seq = be32(l4 + 4);
    out.tcp.ack = be32(l4 + 8);
    out.tcp.payload = static_cast<uint16_t>(tcp_payload < 0xFFFFu ? tcp_payload : 0xFFFFu);
    out.tcp.ok = 1;
    out.tcp.pad = 0;
    return kFastTcp;
  }
  out.tcp_flags = 0;
  out.tcp = TcpSeg{};
  return kFastUdp;
}

uint32_t Parser::parse_burst(const RawPacket* raw, uint32_t n, ParsedPacket* out) {
  // Headers of the whole burst first (DRAM latency outlasts one packet's
  // parse), then parse while the later ones arrive.
  for (uint32_t i = 0; i < n; ++i) __builtin_prefetch(raw[i].data);
  uint32_t k = 0;
  uint64_t fast = 0, fast_tcp = 0, fast_v6 = 0, fast_vlan = 0, fast_wire = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const RawPacket& pkt = raw[i];
    if (config_.fast_path) {
      const uint32_t r = fast_decode(pkt, out[k]);
      if (r != kFastDeclined) {
        ++k;
        ++fast;
        fast_tcp += r & kFastTcp;
        fast_v6 += (r & kFastV6) >> 2;
        fast_vlan += (r & kFastVlan) >> 3;
        fast_wire += pkt.wirelen > pkt.caplen ? pkt.wirelen : pkt.caplen;
        continue;
      }
    }
    k += general(pkt, out[k]) ? 1 : 0;
  }
  if (fast != 0) count_fast(fast, fast_tcp, fast_v6, fast_vlan, fast_wire);
  return k;
}

bool Parser::parse(const RawPacket& pkt, ParsedPacket& out) {
  if (config_.fast_path && fast_path(pkt, out)) return true;
  return general(pkt, out);
}

bool Parser::fast_path(const RawPacket& pkt, ParsedPacket& out) {
  const uint32_t r = fast_decode(pkt, out);
  if (r == kFastDeclined) return false;
  count_fast(1, r & kFastTcp, (r & kFastV6) >> 2, (r & kFastVlan) >> 3, pkt.wirelen > pkt.caplen ? pkt.wirelen : pkt.caplen);
  return true;
}

// What the general path counts for packets the straight-line path took.
void Parser::count_fast(uint64_t packets, uint64_t tcp, uint64_t v6, uint64_t vlan, uint64_t wire_bytes) {
  stats_.packets.add(packets);
  stats_.wire_bytes.add(wire_bytes);
  stats_.proto.ethernet.add(packets);
  if (vlan != 0) stats_.proto.vlan.add(vlan);
  if (packets != v6) stats_.proto.ipv4.add(packets - v6);
  if (v6 != 0) stats_.proto.ipv6.add(v6);
  if (tcp != 0) stats_.proto.tcp.add(tcp);
  if (packets != tcp) stats_.proto.udp.add(packets - tcp);
  stats_.flow_packets.add(packets);
}

bool Parser::general(const RawPacket& pkt, ParsedPacket& out) {
  stats_.packets.add();
  stats_.wire_bytes.add(pkt.wirelen > pkt.caplen ? pkt.wirelen : pkt.caplen);
  uncaptured_ = pkt.wirelen > pkt.caplen ? pkt.wirelen - pkt.caplen : 0;
  fragment_ = false;
  ts_ns_ = pkt.ts_ns;
  Decoded d;
  d.vlan = kNoVlan;
  d.tcp_flags = 0;
  d.tcp = TcpSeg{};
  d.icmp_one_way = false;
  d.sport = d.dport = 0;
  d.fragment = kNotDeferred;
  d.fragment_id = 0;
  if (!link(Cursor{pkt.data, pkt.data + pkt.caplen}, pkt.linktype, d)) return false;
  finish(d, out);
  out.ts_ns = pkt.ts_ns;
  out.ts_digits = pkt.ts_digits;
  stats_.flow_packets.add();
  return true;
}

bool Parser::link(Cursor c, uint16_t linktype, Decoded& d) {
  switch (linktype) {
    case kLinkEthernet: {
      if (!c.has(14)) {
        stats_.malformed.truncated_l2.add();
        return false;
      }
      stats_.proto.ethernet.add();
      const uint16_t type = be16(c.p + 12);
      c.p += 14;
      if (type <= 1500) {  // 802.3 length field: LLC/SNAP, not IP over Ethernet II
        stats_.proto.other_l3.add();
        return false;
      }
      return ethertype(c, type, d);
    }
    case kLinkSll: {
      if (!c.has(16)) {
        stats_.malformed.truncated_l2.add();
        return false;
      }
      stats_.proto.sll.add();
      const uint16_t type = be16(c.p + 14);
      c.p += 16;
      return ethertype(c, type, d);
    }
    case kLinkSll2: {
      if (!c.has(20)) {
        stats_.malformed.truncated_l2.add();
        return false;
      }
      stats_.proto.sll2.add();
      const uint16_t type = be16(c.p);
      c.p += 20;
      return ethertype(c, type, d);
    }
    case kLinkNull:
    case kLinkLoop: {
      if (!c.has(4)) {
        stats_.malformed.truncated_l2.add();
        return false;
      }
      stats_.proto.loopback.add();
      // Address family in the capturing host's byte order (NULL) or network order (LOOP):
      // accept both. AF_INET is 2 everywhere; AF_INET6 is 10, 24, 28 or 30 by OS.
      uint32_t fam = linktype == kLinkLoop ? be32(c.p) : le32(c.p);
      if (fam > 0xFFFF) fam = be32(c.p);
      c.p += 4;
      if (fam == 2) return ipv4(c, d);
      if (fam == 10 || fam == 24 || fam == 28 || fam == 30) return ipv6(c, d);
      stats_.proto.other_l3.add();
      return false;
    }
    case kLinkRaw:
      stats_.proto.raw_ip.add();
      return ip_by_version(c, d);
    case kLinkIpv4:
      stats_.proto.raw_ip.add();
      return ipv4(c, d);
    case kLinkIpv6:
      stats_.proto.raw_ip.add();
      return ipv6(c, d);
    default:
      stats_.malformed.unsupported_linktype.add();
      stats_.unsupported_linktype_seen.set(linktype);
      return false;
  }
}

bool Parser::ethertype(Cursor c, uint16_t type, Decoded& d) {
  for (int depth = 0;; ++depth) {
    switch (type) {
      case ethertype::kIpv4:
        return ipv4(c, d);
      case ethertype::kIpv6:
        return ipv6(c, d);
      case ethertype::kVlan:
      case ethertype::kQinq:
      case ethertype::kQinqOld:
        if (depth == kMaxVlanTags) {
          stats_.malformed.vlan_depth.add();
          return false;
        }
        if (!c.has(4)) {
          stats_.malformed.truncated_l2.add();
          return false;
        }
        if (depth == 0) {
          d.vlan = be16(c.p) & 0x0FFF;  // the outermost tag names the flow's VLAN
          stats_.proto.vlan.add();
        } else if (depth == 1) {
          stats_.proto.qinq.add();
        }
        type = be16(c.p + 2);
        c.p += 4;
        break;
      case ethertype::kArp:
        stats_.proto.arp.add();
        return false;
      default:
        stats_.proto.other_l3.add();
        return false;
    }
  }
}

bool Parser::ip_by_version(Cursor c, Decoded& d) {
  if (!c.has(1)) {
    stats_.malformed.truncated_l2.add();
    return false;
  }
  switch (c.p[0] >> 4) {
    case 4:
      return ipv4(c, d);
    case 6:
      return ipv6(c, d);
    default:
      stats_.malformed.bad_ip_version.add();
      return false;
  }
}

__attribute__((always_inline)) inline void Parser::set_key(const uint8_t* src, const uint8_t* dst, uint16_t sport, uint16_t dport,
                                                           ParsedPacket& out) const {
  // Canonical order: the (address, port) endpoint that sorts lower is side A,
  // compared as big-endian words (no byte loops, no library calls). Both
  // directions of a flow, ICMP one-way messages included, share one key.
  const uint64_t s0 = be64(src), s1 = be64(src + 8);
  const uint64_t t0 = be64(dst), t1 = be64(dst + 8);
  const bool src_is_a = s0 != t0 ? s0 < t0 : s1 != t1 ? s1 < t1 : sport <= dport;
  FlowKey& k = out.key;  // src and dst never point into it
  std::memcpy(k.addr_a, src_is_a ? src : dst, 16);
  std::memcpy(k.addr_b, src_is_a ? dst : src, 16);
  k.port_a = src_is_a ? sport : dport;
  k.port_b = src_is_a ? dport : sport;
  out.side = src_is_a ? kSideA : kSideB;
  const FlowHashes h = hash_flow_key(k, config_.hash_seed);
  out.hash = h.hash;
  out.sig = h.sig;
}

void Parser::finish(const Decoded& d, ParsedPacket& out) const {
  out.key.vlan = d.vlan;
  out.key.proto = d.proto;
  out.key.ip_version = d.ip_version;
  out.ip_bytes = d.ip_bytes;
  out.tcp_flags = d.tcp_flags;
  out.fragment = d.fragment;
  out.fragment_id = d.fragment_id;
  out.tcp = d.tcp;
  set_key(d.src, d.dst, d.sport, d.dport, out);
}

bool Parser::resolve_fragment(ParsedPacket& pkt, uint32_t workers, uint32_t self) {
  const FlowKey& k = pkt.key;
  const bool a_sent = pkt.side == kSideA;
  FragmentId id{};
  std::memcpy(id.src, a_sent ? k.addr_a : k.addr_b, 16);
  std::memcpy(id.dst, a_sent ? k.addr_b : k.addr_a, 16);
  id.id = pkt.fragment_id;
  id.proto = k.proto;
  id.ip_version = k.ip_version;
  const uint8_t kind = pkt.fragment;
  pkt.fragment = kNotDeferred;
  if (kind == kFirstFragment) {
    const bool evicted = frags_.remember(id, a_sent ? k.port_a : k.port_b, a_sent ? k.port_b : k.port_a, pkt.ts_ns);
    if (worker_of(pkt.hash, workers) != self) return false;
    if (evicted) stats_.fragment_evictions.add();
    return true;
  }
  uint16_t sport = 0, dport = 0;
  const bool found = frags_.find(id, pkt.ts_ns, sport, dport);
  set_key(id.src, id.dst, sport, dport, pkt);
  if (worker_of(pkt.hash, workers) != self) return false;
  if (!found) stats_.fragments_unmatched.add();
  return true;
}

}  // namespace tapline
