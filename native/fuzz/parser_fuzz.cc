// libFuzzer harness: arbitrary packets (every supported link type, the first
// byte picks it; see fuzz_input.h) through Parser::parse. Beyond ASan/UBSan
// it checks the counter contract: a rejected packet counts at most one
// malformed reason, an accepted one none, and a result is well-formed.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.h"
#include "parse/parser.h"

using namespace tapline;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ParserConfig cfg;
  cfg.fragment_sets = 4;  // small: the fuzzer also reaches replacement and eviction
  cfg.fragment_timeout_ns = 2000000000ull;
  Parser parser(cfg);
  fuzz::PacketReader in(data, size);
  RawPacket raw;
  uint64_t packets = 0, accepted = 0;
  while (in.next(raw)) {
    const uint64_t malformed_before = parser.stats().malformed_total();
    ParsedPacket out;
    const bool ok = parser.parse(raw, out);
    const uint64_t delta = parser.stats().malformed_total() - malformed_before;
    ++packets;
    if (ok) {
      ++accepted;
      check(delta == 0);
      check(out.key.ip_version == 4 || out.key.ip_version == 6);
      check(out.side == kSideA || out.side == kSideB);
      check(out.sig != 0);
      check(out.ts_ns == raw.ts_ns);
      check(out.ip_bytes <= 65535u + 40u || out.ip_bytes <= raw.caplen);
      // Canonical order: side A is the lower (address, port).
      const int c = std::memcmp(out.key.addr_a, out.key.addr_b, 16);
      check(c < 0 || (c == 0 && out.key.port_a <= out.key.port_b));
      if (out.key.ip_version == 4) {
        for (int i = 4; i < 16; ++i) check((out.key.addr_a[i] | out.key.addr_b[i]) == 0);
      }
    } else {
      check(delta <= 1);
    }
  }
  check(parser.stats().packets.get() == packets);
  check(parser.stats().flow_packets.get() == accepted);
  return 0;
}
