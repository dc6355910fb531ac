// The packed binary form of a flow record: fixed 96-byte little-endian
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
//                                93   3  reserved (0)
// IPv4 addresses fill the first 4 bytes of their field, the rest is zero.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "flow/flow_record.h"

namespace tapline {

constexpr size_t kPackedRecordBytes = 96;

// Appends the packed form of `r` to `out`.
void append_record_packed(const FlowRecord& r, std::string& out);

}  // namespace tapline
