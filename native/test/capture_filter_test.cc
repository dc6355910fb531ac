// The capture filter (libpcap-compiled classic BPF) on raw frames, and the
// core-list parser of the live sources.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "source/capture_filter.h"
#include "source/live_source.h"

namespace tapline {
namespace {

// Ethernet + IPv4 + UDP (or TCP), optionally behind one 802.1Q tag.
std::vector<uint8_t> frame(uint8_t proto, uint16_t dport, bool vlan) {
  std::vector<uint8_t> f(12, 0x02);
  if (vlan) f.insert(f.end(), {0x81, 0x00, 0x00, 0x0a});
  f.insert(f.end(), {0x08, 0x00});
  const uint8_t ip[20] = {0x45, 0, 0, 40, 0, 1, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
  f.insert(f.end(), ip, ip + 20);
  const uint8_t l4[20] = {0x30, 0x39, static_cast<uint8_t>(dport >> 8), static_cast<uint8_t>(dport), 0, 20, 0, 0,
                          0, 0, 0, 0, 0x50, 0x02, 0, 0, 0, 0, 0, 0};
  f.insert(f.end(), l4, l4 + 20);
  return f;
}

RawPacket raw(const std::vector<uint8_t>& f, uint16_t linktype = kLinkEthernet) {
  RawPacket p;
  p.data = f.data();
  p.caplen = p.wirelen = static_cast<uint32_t>(f.size());
  p.linktype = linktype;
  return p;
}

TEST(CaptureFilter, SelectsLikeTcpdump) {
  CaptureFilter udp53("udp port 53", 65535);
  const auto a = frame(17, 53, false), b = frame(17, 54, false), c = frame(6, 53, false), d = frame(17, 53, true);
  EXPECT_TRUE(udp53.matches(raw(a)));
  EXPECT_FALSE(udp53.matches(raw(b)));
  EXPECT_FALSE(udp53.matches(raw(c)));
  EXPECT_FALSE(udp53.matches(raw(d)));  // tagged: tcpdump needs "vlan and ..."
  CaptureFilter tagged("vlan 10 and udp port 53", 65535);
  EXPECT_TRUE(tagged.matches(raw(d)));
  EXPECT_FALSE(tagged.matches(raw(a)));
  EXPECT_TRUE(udp53.matches_ethernet(a.data(), static_cast<uint32_t>(a.size()), static_cast<uint32_t>(a.size())));
}

TEST(CaptureFilter, OtherLinkTypesCompileOnFirstSight) {
  CaptureFilter f("udp port 53", 65535);
  auto e = frame(17, 53, false);
  std::vector<uint8_t> ip(e.begin() + 14, e.end());  // raw IPv4
  EXPECT_TRUE(f.matches(raw(ip, kLinkRaw)));
  CaptureFilter mac("ether host 02:02:02:02:02:02", 65535);
  EXPECT_TRUE(mac.matches(raw(e)));
  EXPECT_FALSE(mac.matches(raw(ip, kLinkRaw)));  // no link header: cannot apply, so rejected
}

TEST(CaptureFilter, BadExpressionNamesTheFilter) {
  try {
    CaptureFilter f("tcp port", 65535);
    FAIL() << "compiled";
  } catch (const FilterError& e) {
    EXPECT_NE(std::strstr(e.what(), "filter \"tcp port\" does not compile"), nullptr) << e.what();
  }
  EXPECT_THROW(CaptureFilter("", 65535), FilterError);
}

TEST(CoreList, ParsesRangesAndRejectsNonsense) {
  EXPECT_EQ(parse_core_list("2-4,8", "cores"), (std::vector<uint32_t>{2, 3, 4, 8}));
  EXPECT_EQ(parse_core_list("0", "cores"), (std::vector<uint32_t>{0}));
  for (const char* bad : {"", "1-", "-1", "3-1", "1,,2", "1,", "a", "1,1", "99999"}) {
    EXPECT_THROW(parse_core_list(bad, "cores"), CaptureError) << bad;
  }
}

}  // namespace
}  // namespace tapline
