#include "flow/record_packed.h"

#include <cstring>

namespace tapline {

namespace {
inline void put_le(uint8_t* p, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
}  // namespace

void append_record_packed(const FlowRecord& r, std::string& out) {
  uint8_t b[kPackedRecordBytes] = {};
  const int s = r.initiator, d = 1 - r.initiator;
  const bool src_a = s == kSideA;
  std::memcpy(b, src_a ? r.key.addr_a : r.key.addr_b, 16);
  std::memcpy(b + 16, src_a ? r.key.addr_b : r.key.addr_a, 16);
  put_le(b + 32, r.packets[s], 8);
  put_le(b + 40, r.bytes[s], 8);
  put_le(b + 48, r.packets[d], 8);
  put_le(b + 56, r.bytes[d], 8);
  put_le(b + 64, r.first_ns, 8);
  put_le(b + 72, r.last_ns, 8);
  put_le(b + 80, src_a ? r.key.port_a : r.key.port_b, 2);
  put_le(b + 82, src_a ? r.key.port_b : r.key.port_a, 2);
  put_le(b + 84, r.key.vlan, 2);
  b[86] = r.key.proto;
  b[87] = r.key.ip_version;
  b[88] = r.tcp_flags[s];
  b[89] = r.tcp_flags[d];
  b[90] = static_cast<uint8_t>(r.reason);
  b[91] = r.ts_digits;
  b[92] = r.worker;
  if (r.key.proto == 6) {
    b[93] = r.tcp_measured;
    put_le(b + 96, r.tcp_measured & kTcpHandshakeServer ? r.tcp_handshake_server_us : 0, 4);
    put_le(b + 100, r.tcp_measured & kTcpHandshakeClient ? r.tcp_handshake_client_us : 0, 4);
    put_le(b + 104, r.tcp_measured & kTcpRtt ? r.tcp_rtt_min_us : 0, 4);
    put_le(b + 108, r.tcp_measured & kTcpRtt ? r.tcp_rtt_smoothed_us : 0, 4);
    put_le(b + 112, r.tcp_retransmits[s], 4);
    put_le(b + 116, r.tcp_retransmits[d], 4);
  }
  out.append(reinterpret_cast<const char*>(b), sizeof b);
}

}  // namespace tapline
