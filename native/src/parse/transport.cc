// Transport headers: ports (or ICMP type/code equivalents) and TCP flags.
#include "parse/bytes.h"
#include "parse/parser.h"

namespace tapline {

void icmp_ports(uint8_t type, uint8_t code, bool v6, uint16_t& sport, uint16_t& dport, bool& one_way) {
  // Counterpart types from the Community ID v1 specification.
  int peer = -1;
  if (!v6) {
    switch (type) {
      case 8: peer = 0; break;    // echo request / reply
      case 0: peer = 8; break;
      case 13: peer = 14; break;  // timestamp
      case 14: peer = 13; break;
      case 15: peer = 16; break;  // information
      case 16: peer = 15; break;
      case 10: peer = 9; break;   // router solicitation / advertisement
      case 9: peer = 10; break;
      case 17: peer = 18; break;  // address mask
      case 18: peer = 17; break;
      default: break;
    }
  } else {
    switch (type) {
      case 128: peer = 129; break;  // echo request / reply
      case 129: peer = 128; break;
      case 133: peer = 134; break;  // router solicitation / advertisement
      case 134: peer = 133; break;
      case 135: peer = 136; break;  // neighbor solicitation / advertisement
      case 136: peer = 135; break;
      case 130: peer = 131; break;  // multicast listener query / report
      case 131: peer = 130; break;
      case 144: peer = 145; break;  // home agent address discovery
      case 145: peer = 144; break;
      case 139: peer = 140; break;  // node information query / response
      case 140: peer = 139; break;
      default: break;
    }
  }
  sport = type;
  if (peer >= 0) {
    dport = static_cast<uint16_t>(peer);
    one_way = false;
  } else {
    dport = code;
    one_way = true;
  }
}

bool Parser::transport(Cursor c, Decoded& d) {
  switch (d.proto) {
    case ipproto::kTcp: {
      if (!c.has(20)) {
        stats_.malformed.truncated_tcp.add();
        return false;
      }
      const uint32_t off = (c.p[12] >> 4) * 4u;
      // Options past the end of the segment: malformed, unless a snaplen or
      // fragmentation may have cut the segment short.
      if (off < 20 || (off > c.left() && uncaptured_ == 0 && !fragment_)) {
        stats_.malformed.bad_tcp_offset.add();
        return false;
      }
      stats_.proto.tcp.add();
      d.sport = be16(c.p);
      d.dport = be16(c.p + 2);
      d.tcp_flags = c.p[13];
      // Sequence fields for the flow table's TCP latency (flow-record.v2). A
      // fragment's segment length is not known from its first fragment.
      if (!fragment_) {
        const uint32_t payload = d.l4_len > off ? d.l4_len - off : 0;
        d.tcp.seq = be32(c.p + 4);
        d.tcp.ack = be32(c.p + 8);
        d.tcp.payload = static_cast<uint16_t>(payload < 0xFFFFu ? payload : 0xFFFFu);
        d.tcp.ok = 1;
      }
      return true;
    }
    case ipproto::kUdp:
      if (!c.has(8)) {
        stats_.malformed.truncated_udp.add();
        return false;
      }
      stats_.proto.udp.add();
      d.sport = be16(c.p);
      d.dport = be16(c.p + 2);
      return true;
    case ipproto::kSctp:
      if (!c.has(12)) {
        stats_.malformed.truncated_sctp.add();
        return false;
      }
      stats_.proto.sctp.add();
      d.sport = be16(c.p);
      d.dport = be16(c.p + 2);
      return true;
    case ipproto::kIcmp:
    case ipproto::kIcmpv6: {
      if (!c.has(4)) {
        stats_.malformed.truncated_icmp.add();
        return false;
      }
      const bool v6 = d.proto == ipproto::kIcmpv6;
      (v6 ? stats_.proto.icmpv6 : stats_.proto.icmp).add();
      icmp_ports(c.p[0], c.p[1], v6, d.sport, d.dport, d.icmp_one_way);
      return true;
    }
    default:
      stats_.proto.other_l4.add();
      d.sport = d.dport = 0;
      return true;
  }
}

}  // namespace tapline
