// A finished (or cut) bidirectional flow as it leaves a worker.
#pragma once
#include <cstdint>

#include "parse/flow_key.h"

namespace tapline {

// Why a record was exported. The JSON names are part of the record contract.
enum class EndReason : uint8_t { kIdle, kActive, kFin, kRst, kEvicted, kEof, kShutdown };

inline const char* end_reason_name(EndReason r) {
  switch (r) {
    case EndReason::kIdle: return "idle";
    case EndReason::kActive: return "active";
    case EndReason::kFin: return "fin";
    case EndReason::kRst: return "rst";
    case EndReason::kEvicted: return "evicted";
    case EndReason::kEof: return "eof";
    case EndReason::kShutdown: return "shutdown";
  }
  return "unknown";
}

// TCP latency of a record (flow-record.v2: tcpHandshakeServerUs ...): which
// of the measured values are present (a value is absent, not zero, when it
// was not measured).
enum TcpMeasured : uint8_t {
  kTcpHandshakeServer = 1,  // tcp_handshake_server_us
  kTcpHandshakeClient = 2,  // tcp_handshake_client_us
  kTcpRtt = 4,              // tcp_rtt_min_us and tcp_rtt_smoothed_us
};

// Counters are indexed by Side of the canonical key; `initiator` says which
// side sent the first packet (RFC 5103: the record's source).
struct FlowRecord {
  FlowKey key;
  uint64_t first_ns;
  uint64_t last_ns;
  uint64_t packets[2];
  uint64_t bytes[2];
  uint8_t tcp_flags[2];
  uint8_t initiator;
  EndReason reason;
  uint8_t ts_digits;
  uint8_t worker;
  uint8_t tcp_measured;  // TcpMeasured bits; TCP only
  uint8_t pad;
  // TCP only (see the flow-record.v2 JSON Schema for the semantics), in µs.
  uint32_t tcp_handshake_server_us;  // initiator SYN -> responder SYN/ACK
  uint32_t tcp_handshake_client_us;  // SYN/ACK -> the initiator's ACK
  uint32_t tcp_rtt_min_us;
  uint32_t tcp_rtt_smoothed_us;
  uint32_t tcp_retransmits[2];  // by Side, like packets[]
};

}  // namespace tapline
