// Bounds-checked big-endian reads over a captured frame. Callers check the
// length once per header (`need`) and then read fields without further checks.
#pragma once
#include <cstdint>
#include <cstring>

namespace tapline {

inline uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}
inline uint64_t be64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}
inline uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[3]) << 24 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[1]) << 8 | p[0];
}

// A window [p, end) of captured bytes.
struct Cursor {
  const uint8_t* p;
  const uint8_t* end;
  bool has(size_t n) const { return static_cast<size_t>(end - p) >= n; }
  size_t left() const { return static_cast<size_t>(end - p); }
};

// EtherTypes and IP protocol numbers the parser dispatches on.
namespace ethertype {
constexpr uint16_t kIpv4 = 0x0800;
constexpr uint16_t kArp = 0x0806;
constexpr uint16_t kVlan = 0x8100;      // 802.1Q C-tag
constexpr uint16_t kQinq = 0x88A8;      // 802.1ad S-tag
constexpr uint16_t kQinqOld = 0x9100;   // pre-standard S-tag still seen in the wild
constexpr uint16_t kIpv6 = 0x86DD;
}  // namespace ethertype

namespace ipproto {
constexpr uint8_t kHopByHop = 0;
constexpr uint8_t kIcmp = 1;
constexpr uint8_t kTcp = 6;
constexpr uint8_t kUdp = 17;
constexpr uint8_t kRouting = 43;
constexpr uint8_t kFragment = 44;
constexpr uint8_t kEsp = 50;
constexpr uint8_t kAh = 51;
constexpr uint8_t kIcmpv6 = 58;
constexpr uint8_t kNoNext = 59;
constexpr uint8_t kDestOpts = 60;
constexpr uint8_t kMobility = 135;
constexpr uint8_t kHip = 139;
constexpr uint8_t kShim6 = 140;
constexpr uint8_t kSctp = 132;
}  // namespace ipproto

}  // namespace tapline
