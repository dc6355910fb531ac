// IPv4 and IPv6 decoding: header validation, fragments, the IPv6 extension-header walk.
#include <cstring>

#include "parse/bytes.h"
#include "parse/parser.h"

namespace tapline {

bool Parser::ipv4(Cursor c, Decoded& d) {
  if (!c.has(20)) {
    stats_.malformed.truncated_ipv4.add();
    return false;
  }
  const uint8_t* h = c.p;
  if ((h[0] >> 4) != 4) {
    stats_.malformed.bad_ip_version.add();
    return false;
  }
  const uint32_t ihl = (h[0] & 0x0F) * 4u;
  const uint32_t total = be16(h + 2);
  if (ihl < 20) {
    stats_.malformed.bad_ipv4_header_length.add();
    return false;
  }
  if (!c.has(ihl)) {
    stats_.malformed.truncated_ipv4.add();
    return false;
  }
  // TSO/GRO captures on the sending host carry total length 0; count the frame's bytes then.
  uint32_t ip_bytes = total;
  if (total == 0) {
    ip_bytes = static_cast<uint32_t>(c.left());
  } else if (total < ihl) {
    stats_.malformed.bad_ipv4_total_length.add();
    return false;
  } else if (total > c.left() + uncaptured_) {
    stats_.malformed.bad_ipv4_total_length.add();  // claims more than the wire carried
    return false;
  }
  stats_.proto.ipv4.add();
  d.ip_version = 4;
  std::memset(d.src, 0, sizeof(d.src));
  std::memset(d.dst, 0, sizeof(d.dst));
  std::memcpy(d.src, h + 12, 4);
  std::memcpy(d.dst, h + 16, 4);
  d.proto = h[9];
  d.ip_bytes = ip_bytes;
  d.l4_len = ip_bytes - ihl;  // ip_bytes >= ihl: total >= ihl, or the frame holds the header

  const uint16_t frag = be16(h + 6);
  const uint16_t offset = frag & 0x1FFF;
  const bool more = (frag & 0x2000) != 0;
  // The transport header ends where the IP payload ends (Ethernet padding is not payload).
  Cursor payload{h + ihl, total != 0 && total <= c.left() ? h + total : c.end};
  if (offset == 0 && !more) return transport(payload, d);

  stats_.proto.ipv4_fragment.add();
  fragment_ = true;
  FragmentId id{};
  std::memcpy(id.src, h + 12, 4);
  std::memcpy(id.dst, h + 16, 4);
  id.id = be16(h + 4);
  id.proto = d.proto;
  id.ip_version = 4;
  if (config_.defer_fragments) return defer(id.id, offset == 0, payload, d);
  if (offset == 0) {
    if (!transport(payload, d)) return false;
    if (frags_.remember(id, d.sport, d.dport, ts_ns_)) stats_.fragment_evictions.add();
    return true;
  }
  if (!frags_.find(id, ts_ns_, d.sport, d.dport)) {
    d.sport = d.dport = 0;
    stats_.fragments_unmatched.add();
  }
  return true;
}

bool Parser::ipv6(Cursor c, Decoded& d) {
  if (!c.has(40)) {
    stats_.malformed.truncated_ipv6.add();
    return false;
  }
  const uint8_t* h = c.p;
  if ((h[0] >> 4) != 6) {
    stats_.malformed.bad_ip_version.add();
    return false;
  }
  const uint32_t payload_len = be16(h + 4);
  // Payload length 0 means a jumbogram (hop-by-hop option) or a TSO capture: use the frame.
  const uint32_t avail = static_cast<uint32_t>(c.left() - 40);
  if (payload_len > static_cast<uint64_t>(avail) + uncaptured_) {  // more than the wire carried
    stats_.malformed.bad_ipv6_payload_length.add();
    return false;
  }
  stats_.proto.ipv6.add();
  d.ip_version = 6;
  std::memcpy(d.src, h + 8, 16);
  std::memcpy(d.dst, h + 24, 16);
  d.ip_bytes = payload_len == 0 ? 40 + avail : 40 + payload_len;
  Cursor p{h + 40, payload_len != 0 && payload_len <= avail ? h + 40 + payload_len : c.end};

  uint8_t next = h[6];
  bool fragment = false, first_fragment = false;
  uint32_t frag_id = 0;
  for (int n = 0;; ++n) {
    const bool ext = next == ipproto::kHopByHop || next == ipproto::kRouting || next == ipproto::kFragment ||
                     next == ipproto::kDestOpts || next == ipproto::kAh || next == ipproto::kMobility ||
                     next == ipproto::kHip || next == ipproto::kShim6;
    if (!ext) break;
    if (n == kMaxIpv6ExtHeaders) {
      stats_.malformed.ipv6_ext_depth.add();
      return false;
    }
    if (!p.has(8)) {
      stats_.malformed.truncated_ipv6_ext.add();
      return false;
    }
    size_t len;
    if (next == ipproto::kFragment) {
      const uint16_t off = be16(p.p + 2);
      fragment = true;
      first_fragment = (off & 0xFFF8) == 0;
      frag_id = be32(p.p + 4);
      len = 8;
      if (!first_fragment) {  // later fragments carry no transport header
        next = p.p[0];
        break;
      }
    } else if (next == ipproto::kAh) {
      len = (static_cast<size_t>(p.p[1]) + 2) * 4;
    } else {
      len = (static_cast<size_t>(p.p[1]) + 1) * 8;
    }
    if (!p.has(len)) {
      stats_.malformed.truncated_ipv6_ext.add();
      return false;
    }
    next = p.p[0];
    p.p += len;
  }
  d.proto = next;
  {
    const uint32_t ext_bytes = static_cast<uint32_t>(p.p - (h + 40));
    const uint32_t l3_payload = payload_len != 0 ? payload_len : avail;
    d.l4_len = l3_payload > ext_bytes ? l3_payload - ext_bytes : 0;
  }
  if (!fragment) return transport(p, d);

  stats_.proto.ipv6_fragment.add();
  fragment_ = true;
  FragmentId id{};
  std::memcpy(id.src, h + 8, 16);
  std::memcpy(id.dst, h + 24, 16);
  id.id = frag_id;
  id.proto = next;
  id.ip_version = 6;
  if (config_.defer_fragments) return defer(id.id, first_fragment, p, d);
  if (first_fragment) {
    if (!transport(p, d)) return false;
    if (frags_.remember(id, d.sport, d.dport, ts_ns_)) stats_.fragment_evictions.add();
    return true;
  }
  if (!frags_.find(id, ts_ns_, d.sport, d.dport)) {
    d.sport = d.dport = 0;
    stats_.fragments_unmatched.add();
  }
  return true;
}

// A fragment left to resolve_fragment(): a first one is decoded down to its
// ports; a later one keeps ports 0 until it is resolved.
bool Parser::defer(uint32_t fragment_id, bool first, Cursor transport_header, Decoded& d) {
  d.fragment = first ? kFirstFragment : kLaterFragment;
  d.fragment_id = fragment_id;
  return first ? transport(transport_header, d) : true;
}

}  // namespace tapline
