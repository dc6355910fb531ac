// libFuzzer harness: packets (fuzz_input.h framing) parsed and accounted in
// a deliberately small FlowTable, in bursts, with the clock advanced as a
// worker does, then flushed. Checks conservation: every accepted packet and
// IP byte is in exactly one exported record, and the table ends empty.
#include <cstddef>
#include <cstdint>

#include "flow/flow_table.h"
#include "fuzz_input.h"
#include "parse/parser.h"

using namespace tapline;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Totals : RecordSink {
  uint64_t records = 0, packets = 0, bytes = 0;
  void emit(const FlowRecord& r) override {
    ++records;
    packets += r.packets[0] + r.packets[1];
    bytes += r.bytes[0] + r.bytes[1];
    check(r.first_ns <= r.last_ns);
    check(r.initiator == kSideA || r.initiator == kSideB);
    check(r.packets[0] + r.packets[1] != 0);
    check(r.key.ip_version == 4 || r.key.ip_version == 6);
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ParserConfig cfg;
  cfg.fragment_sets = 4;
  Parser parser(cfg);
  Totals sink;
  const FlowTimeouts timeouts{15000000000ull, 60000000000ull, 2000000000ull};
  FlowTable table(16, timeouts, sink);  // 16 flows: eviction is reached quickly
  fuzz::PacketReader in(data, size);
  RawPacket raw;
  ParsedPacket burst[FlowTable::kBurst];
  uint32_t n = 0;
  uint64_t accepted = 0, bytes = 0, clock = 0;
  auto account = [&] {
    table.process_burst(burst, n);
    for (uint32_t i = 0; i < n; ++i) clock = burst[i].ts_ns > clock ? burst[i].ts_ns : clock;
    table.advance(clock);
    n = 0;
  };
  bool more = true;
  while (more) {
    more = in.next(raw);
    if (more && parser.parse(raw, burst[n])) {
      ++accepted;
      bytes += burst[n].ip_bytes;
      ++n;
    }
    // A zero-length record ends a burst early: bursts of every size get tried.
    if (n == FlowTable::kBurst || (n != 0 && (!more || raw.caplen == 0))) account();
  }
  table.flush(EndReason::kEof, clock);
  check(sink.packets == accepted);
  check(sink.bytes == bytes);
  check(table.stats().active.get() == 0);
  check(table.stats().exported.get() == sink.records);
  check(table.stats().created.get() <= sink.records);
  return 0;
}
