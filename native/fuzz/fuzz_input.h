// Input framing shared by parser_fuzz and flow_fuzz (and written by
// seed-corpus.mjs): a sequence of packet records
//
//   [link u8][flags u8][length u16 big-endian][length bytes]
//
// link   picks the link type: kLinkTypes[link % kNumLinkTypes] (the first
//        byte of an input is the first packet's link type);
// flags  bit 7: the packet was cut by a snaplen: wirelen = caplen + 1 +
//        ((flags >> 4) & 7) * 200; bits 0-3: the clock step before this
//        packet, 0 = none, k = 4^k microseconds (k = 15: one second back).
// A length past the end of the input takes what is left. Each packet gets
// its own exactly-sized heap copy, so ASan sees any read past caplen.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "common/raw_packet.h"

namespace tapline::fuzz {

// Keep in sync with LINK_TYPES in seed-corpus.mjs. 105 (802.11) is unsupported on purpose.
constexpr uint16_t kLinkTypes[] = {kLinkEthernet, kLinkSll, kLinkSll2, kLinkRaw, kLinkIpv4,
                                   kLinkIpv6,     kLinkNull, kLinkLoop, 105};
constexpr size_t kNumLinkTypes = sizeof(kLinkTypes) / sizeof(kLinkTypes[0]);

class PacketReader {
 public:
  PacketReader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}

  // The next packet, valid until the next call; false at the end of the input.
  bool next(RawPacket& out) {
    if (end_ - p_ < 4) return false;
    const uint8_t link = p_[0], flags = p_[1];
    size_t len = static_cast<size_t>(p_[2]) << 8 | p_[3];
    p_ += 4;
    if (len > static_cast<size_t>(end_ - p_)) len = static_cast<size_t>(end_ - p_);
    copy_.reset(new uint8_t[len == 0 ? 1 : len]);
    if (len != 0) std::memcpy(copy_.get(), p_, len);
    p_ += len;

    const uint8_t step = flags & 0x0f;
    if (step == 15) {
      ts_ns_ -= 1000000000ull;
    } else if (step != 0) {
      ts_ns_ += (uint64_t{1} << (2 * step)) * 1000;
    }
    out.data = len == 0 ? copy_.get() + 1 : copy_.get();  // empty: any read is out of bounds
    out.caplen = static_cast<uint32_t>(len);
    out.wirelen = (flags & 0x80) ? out.caplen + 1 + ((flags >> 4) & 7) * 200u : out.caplen;
    out.ts_ns = ts_ns_;
    out.linktype = kLinkTypes[link % kNumLinkTypes];
    out.ts_digits = 6;
    return true;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  std::unique_ptr<uint8_t[]> copy_;
  uint64_t ts_ns_ = 1700000000ull * 1000000000ull;
};

}  // namespace tapline::fuzz
