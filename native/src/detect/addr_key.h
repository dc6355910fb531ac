// One IP address as a detector key (the sender or the receiver of a packet),
// its hashes, and the per-packet fields the detectors read from a ParsedPacket.
#pragma once
#include <nmmintrin.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "parse/flow_key.h"

namespace tapline {

// IPv4 addresses occupy the first 4 bytes of `bytes`, the rest is zero (as in FlowKey).
struct AddrKey {
  uint8_t bytes[16];
  uint8_t version;  // 4 or 6; 0 = empty
  uint8_t pad[7];

  bool operator==(const AddrKey& o) const { return std::memcmp(this, &o, sizeof(AddrKey)) == 0; }
};
static_assert(sizeof(AddrKey) == 24, "three words");

inline AddrKey make_addr(const uint8_t* addr16, uint8_t version) {
  AddrKey k;
  std::memcpy(k.bytes, addr16, 16);
  k.version = version;
  std::memset(k.pad, 0, sizeof k.pad);
  return k;
}

// The receiver's port (the key is canonical; `side` says who sent).
inline uint16_t dport_of(const ParsedPacket& p) { return p.side == kSideA ? p.key.port_b : p.key.port_a; }

constexpr uint8_t kDetectTcpSyn = 0x02;
constexpr uint8_t kDetectTcpAck = 0x10;
constexpr uint8_t kDetectProtoTcp = 6;
constexpr uint8_t kDetectProtoUdp = 17;
constexpr uint8_t kDetectProtoSctp = 132;

// A connection request: SYN without ACK. Both tests are evaluated (`&`, not
// `&&`): on mixed traffic a short-circuit is a branch taken at random.
inline bool is_syn(const ParsedPacket& p) {
  return (p.key.proto == kDetectProtoTcp) & ((p.tcp_flags & (kDetectTcpSyn | kDetectTcpAck)) == kDetectTcpSyn);
}
// Protocols whose packets carry ports, by number: one load per packet, not three compares.
inline constexpr std::array<uint8_t, 256> kPortedProtos = [] {
  std::array<uint8_t, 256> t{};
  t[kDetectProtoTcp] = t[kDetectProtoUdp] = t[kDetectProtoSctp] = 1;
  return t;
}();
inline bool has_ports(uint8_t proto) { return kPortedProtos[proto] != 0; }

inline uint64_t mix64(uint64_t x) {  // splitmix64 finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

// 64 well-mixed bits of an address (seeded): the low and high halves index the
// count-min rows, the whole word places it in hash indexes. The address is
// read where it lies (16 bytes and the version: the three words of its AddrKey),
// so the per-packet path hashes without building a key.
inline uint64_t hash_addr_raw(const uint8_t* addr16, uint8_t version, uint64_t seed) {
  uint64_t w0, w1;
  std::memcpy(&w0, addr16, 8);
  std::memcpy(&w1, addr16 + 8, 8);
  uint64_t h = _mm_crc32_u64(seed, w0);
  h = _mm_crc32_u64(h, w1);
  h = _mm_crc32_u64(h, version);  // the third word: version, then seven zero bytes
  return mix64(h ^ (seed << 32));
}
inline uint64_t hash_addr(const AddrKey& k, uint64_t seed) { return hash_addr_raw(k.bytes, k.version, seed); }

// The sender's and the receiver's address bytes of a parsed packet: addr_b
// follows addr_a, so the side picks by offset (no branch on the direction,
// which on mixed traffic is taken at random).
static_assert(offsetof(FlowKey, addr_b) == offsetof(FlowKey, addr_a) + 16, "addresses side by side");
inline const uint8_t* src_bytes(const ParsedPacket& p) { return p.key.addr_a + 16 * (p.side != kSideA); }
inline const uint8_t* dst_bytes(const ParsedPacket& p) { return p.key.addr_a + 16 * (p.side == kSideA); }

}  // namespace tapline
