#include "flow/record_json.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "flow/community_id.h"

namespace tapline {

namespace {
// Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

char* put_digits(char* p, uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + width;
}

void append_u64(std::string& out, uint64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, res.ptr);
}

void append_addr(std::string& out, const uint8_t* addr, int version) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(version == 4 ? AF_INET : AF_INET6, addr, buf, sizeof(buf));
  out += '"';
  out += buf;
  out += '"';
}
}  // namespace

size_t format_rfc3339(uint64_t ts_ns, int digits, char* out) {
  const uint64_t secs = ts_ns / 1000000000ull;
  const uint64_t frac = ts_ns % 1000000000ull;
  int64_t y;
  unsigned mo, d;
  civil_from_days(static_cast<int64_t>(secs / 86400), y, mo, d);
  const uint64_t sod = secs % 86400;
  char* p = out;
  p = put_digits(p, static_cast<uint64_t>(y), 4);
  *p++ = '-';
  p = put_digits(p, mo, 2);
  *p++ = '-';
  p = put_digits(p, d, 2);
  *p++ = 'T';
  p = put_digits(p, sod / 3600, 2);
  *p++ = ':';
  p = put_digits(p, sod / 60 % 60, 2);
  *p++ = ':';
  p = put_digits(p, sod % 60, 2);
  if (digits > 0) {
    if (digits > 9) digits = 9;
    uint64_t f = frac;
    for (int i = digits; i < 9; ++i) f /= 10;
    *p++ = '.';
    p = put_digits(p, f, digits);
  }
  *p++ = 'Z';
  return static_cast<size_t>(p - out);
}

void append_record_json(const FlowRecord& r, std::string& out) {
  const int s = r.initiator, d = 1 - r.initiator;
  const uint8_t* saddr = s == kSideA ? r.key.addr_a : r.key.addr_b;
  const uint8_t* daddr = s == kSideA ? r.key.addr_b : r.key.addr_a;
  out += "{\"srcAddr\":";
  append_addr(out, saddr, r.key.ip_version);
  out += ",\"dstAddr\":";
  append_addr(out, daddr, r.key.ip_version);
  out += ",\"srcPort\":";
  append_u64(out, s == kSideA ? r.key.port_a : r.key.port_b);
  out += ",\"dstPort\":";
  append_u64(out, s == kSideA ? r.key.port_b : r.key.port_a);
  out += ",\"proto\":";
  append_u64(out, r.key.proto);
  out += ",\"ipVersion\":";
  append_u64(out, r.key.ip_version);
  out += ",\"vlan\":";
  if (r.key.vlan == kNoVlan) {
    out += "null";
  } else {
    append_u64(out, r.key.vlan);
  }
  out += ",\"packets\":";
  append_u64(out, r.packets[s]);
  out += ",\"bytes\":";
  append_u64(out, r.bytes[s]);
  out += ",\"revPackets\":";
  append_u64(out, r.packets[d]);
  out += ",\"revBytes\":";
  append_u64(out, r.bytes[d]);
  out += ",\"tcpFlags\":";
  append_u64(out, r.tcp_flags[s]);
  out += ",\"revTcpFlags\":";
  append_u64(out, r.tcp_flags[d]);
  char ts[40];
  out += ",\"start\":\"";
  out.append(ts, format_rfc3339(r.first_ns, r.ts_digits, ts));
  out += "\",\"end\":\"";
  out.append(ts, format_rfc3339(r.last_ns, r.ts_digits, ts));
  out += "\",\"endReason\":\"";
  out += end_reason_name(r.reason);
  out += "\",\"communityId\":\"";
  char cid[40];
  out.append(cid, community_id(r, 0, cid));
  out += '"';
  if (r.key.proto == 6) {  // TCP latency (flow-record.v2): each value only when measured
    if (r.tcp_measured & kTcpHandshakeServer) {
      out += ",\"tcpHandshakeServerUs\":";
      append_u64(out, r.tcp_handshake_server_us);
    }
    if (r.tcp_measured & kTcpHandshakeClient) {
      out += ",\"tcpHandshakeClientUs\":";
      append_u64(out, r.tcp_handshake_client_us);
    }
    if (r.tcp_measured & kTcpRtt) {
      out += ",\"tcpRttMinUs\":";
      append_u64(out, r.tcp_rtt_min_us);
      out += ",\"tcpRttSmoothedUs\":";
      append_u64(out, r.tcp_rtt_smoothed_us);
    }
    out += ",\"tcpRetransmits\":";
    append_u64(out, r.tcp_retransmits[s]);
    out += ",\"revTcpRetransmits\":";
    append_u64(out, r.tcp_retransmits[d]);
  }
  out += "}\n";
}

}  // namespace tapline
