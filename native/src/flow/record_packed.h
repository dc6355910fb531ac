// The packed binary form of a flow record: fixed 128-byte little-endian
// entries, oriented from the initiator (src = RFC 5103 source). Consumers
// that aggregate (top-N tables, metrics) read fields in place instead of
// parsing JSON. agent/engine/packed-record.ts mirrors this layout.
//
//  off size field              off size field
//    0  16  src address          80   2  srcPort
//   16  16  dst address          82   2  dstPort
//   32   8  packets              84   2  vlan (0xFFFF = untagged)
//   40   8  bytes                86   1  proto
//   48   8  revPackets           87   1  ipVersion
//   56   8  revBytes             88   1  tcpFlags
//   64   8  start (ns, epoch)    89   1  revTcpFlags
//   72   8  end (ns, epoch)      90   1  endReason (EndReason order)
//                                91   1  timestamp digits
//                                92   1  worker
//                                93   1  TCP measured (TcpMeasured bits; 0 for non-TCP)
//                                94   2  reserved (0)
//   96   4  tcpHandshakeServerUs (when bit 1)
//  100   4  tcpHandshakeClientUs (when bit 2)
//  104   4  tcpRttMinUs (when bit 4)
//  108   4  tcpRttSmoothedUs (when bit 4)
//  112   4  tcpRetransmits (TCP only, else 0)
//  116   4  revTcpRetransmits (TCP only, else 0)
//  120   8  reserved (0)
// IPv4 addresses fill the first 4 bytes of their field, the rest is zero.
// A value whose bit is clear is 0 in the record and absent in JSON.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "flow/flow_record.h"

namespace tapline {

constexpr size_t kPackedRecordBytes = 128;

// Appends the packed form of `r` to `out`.
void append_record_packed(const FlowRecord& r, std::string& out);

}  // namespace tapline
