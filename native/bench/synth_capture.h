// Benchmark captures written by the replay bench itself, for machines that
// have the bench binary but not the Node.js generators (the lent multi-core
// machine): the same two shapes as test/gen/bench.ts, not the same bytes.
//   mix:   `flows` concurrent flows (a finished one is replaced), 70% TCP
//          (SYN, SYN-ACK, ACK, data both ways, FIN, FIN) and 30% UDP, 10%
//          over IPv6, exponential packets per flow (mean 40, 2% elephants at
//          20x), data payloads of 1-1,400 bytes (half the packets after
//          the handshake are pure ACKs).
//   flood: SYNs from random IPv4 sources and ports to 192.0.2.80:80/443,
//          2% answered by the victim's SYN-ACK; 60-byte frames.
// Timestamps advance 1 µs per packet (a 1 Mpps capture clock); IPv4 header
// checksums are right, TCP/UDP checksums are zero (nothing here reads them).
#pragma once
#include <cstdint>
#include <string>

namespace tapline::bench {

// Writes `packets` packets of `shape` ("mix" or "flood") to a pcap file;
// returns the flows it has packets of (the records a replay must export). Throws std::runtime_error on a bad shape or an I/O error.
uint64_t write_synth_capture(const std::string& shape, uint64_t packets, uint32_t flows, uint64_t seed,
                             const std::string& path);

}  // namespace tapline::bench
