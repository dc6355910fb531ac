// Parser: link layers (Ethernet II, 802.1Q, 802.1ad QinQ, Linux SLL/SLL2,
// raw IP, BSD NULL/LOOP) from raw bytes, and their malformed cases.
#include <gtest/gtest.h>

#include "test_util.h"

namespace tapline::test {
namespace {

const Addr kA = ip("10.0.0.1"), kB = ip("10.0.0.2");
const Addr kA6 = ip("2001:db8::1"), kB6 = ip("2001:db8::2");

Bytes v4_udp() { return ipv4(kA, kB, 17, udp(1000, 53, 4)); }
Bytes v6_udp() { return ipv6(kA6, kB6, 17, udp(1000, 53, 4)); }

TEST(ParserLink, EthernetIpv4Udp) {
  ParseHarness h;
  ASSERT_TRUE(h.parse(eth(0x0800, v4_udp())));
  const ParsedPacket& p = h.out;
  EXPECT_EQ(key_addr(p.key.addr_a, 4), "10.0.0.1");
  EXPECT_EQ(key_addr(p.key.addr_b, 4), "10.0.0.2");
  EXPECT_EQ(p.key.port_a, 1000);
  EXPECT_EQ(p.key.port_b, 53);
  EXPECT_EQ(p.key.proto, 17);
  EXPECT_EQ(p.key.ip_version, 4);
  EXPECT_EQ(p.key.vlan, kNoVlan);
  EXPECT_EQ(p.side, kSideA);
  EXPECT_EQ(p.ip_bytes, 20u + 8 + 4);
  EXPECT_EQ(p.ts_ns, kT0);
  // IPv4 addresses use the first 4 bytes; the rest of the key is zero.
  for (int i = 4; i < 16; ++i) EXPECT_EQ(p.key.addr_a[i] | p.key.addr_b[i], 0) << i;
  EXPECT_EQ(h.protocols(), (Counts{{"ethernet", 1}, {"ipv4", 1}, {"udp", 1}}));
  EXPECT_EQ(h.parser.stats().packets.get(), 1u);
  EXPECT_EQ(h.parser.stats().flow_packets.get(), 1u);
  EXPECT_EQ(h.parser.stats().wire_bytes.get(), 14u + 32);
  EXPECT_TRUE(h.malformed().empty());
}

TEST(ParserLink, EthernetIpv6) {
  ParseHarness h;
  ASSERT_TRUE(h.parse(eth(0x86dd, v6_udp())));
  EXPECT_EQ(h.out.key.ip_version, 6);
  EXPECT_EQ(key_addr(h.out.key.addr_a, 6), "2001:db8::1");
  EXPECT_EQ(key_addr(h.out.key.addr_b, 6), "2001:db8::2");
  EXPECT_EQ(h.out.ip_bytes, 40u + 12);
  EXPECT_EQ(h.protocols(), (Counts{{"ethernet", 1}, {"ipv6", 1}, {"udp", 1}}));
}

TEST(ParserLink, NonIpEthernetIsCountedNotMalformed) {
  ParseHarness h;
  EXPECT_FALSE(h.parse(eth(0x0806, Bytes(28, 0))));  // ARP
  EXPECT_FALSE(h.parse(eth(0x88cc, Bytes(30, 0))));  // LLDP
  Bytes llc = eth(46, Bytes{0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00});  // 802.3 length field
  llc.resize(60, 0);
  EXPECT_FALSE(h.parse(llc));
  EXPECT_EQ(h.protocols(), (Counts{{"ethernet", 3}, {"arp", 1}, {"other_l3", 2}}));
  EXPECT_TRUE(h.malformed().empty());
  EXPECT_EQ(h.parser.stats().flow_packets.get(), 0u);
}

TEST(ParserLink, Vlan8021Q) {
  ParseHarness h;
  // PCP 5, DEI 1, VID 100: only the 12-bit VID is the flow's VLAN.
  ASSERT_TRUE(h.parse(eth(0x8100, vlan_tag(0xB000 | 100, 0x0800, v4_udp()))));
  EXPECT_EQ(h.out.key.vlan, 100);
  EXPECT_EQ(h.out.key.port_b, 53);
  EXPECT_EQ(h.protocols(), (Counts{{"ethernet", 1}, {"vlan", 1}, {"ipv4", 1}, {"udp", 1}}));
}

TEST(ParserLink, QinQUsesOuterVlan) {
  for (uint16_t outer : {0x88a8, 0x9100, 0x8100}) {
    ParseHarness h;
    ASSERT_TRUE(h.parse(eth(outer, vlan_tag(200, 0x8100, vlan_tag(300, 0x86dd, v6_udp()))))) << outer;
    EXPECT_EQ(h.out.key.vlan, 200);
    EXPECT_EQ(h.out.key.ip_version, 6);
    EXPECT_EQ(h.protocols(), (Counts{{"ethernet", 1}, {"vlan", 1}, {"qinq", 1}, {"ipv6", 1}, {"udp", 1}}));
  }
}

TEST(ParserLink, VlanDepthBound) {
  static_assert(kMaxVlanTags == 3);
  ParseHarness h;
  // Three tags are accepted...
  ASSERT_TRUE(h.parse(eth(0x88a8, vlan_tag(1, 0x8100, vlan_tag(2, 0x8100, vlan_tag(3, 0x0800, v4_udp()))))));
  EXPECT_EQ(h.out.key.vlan, 1);
  // ...a fourth is not, whatever follows it.
  const Bytes four =
      eth(0x88a8, vlan_tag(1, 0x8100, vlan_tag(2, 0x8100, vlan_tag(3, 0x8100, vlan_tag(4, 0x0800, v4_udp())))));
  EXPECT_TRUE(RejectedAs(h, four, kLinkEthernet, "vlan_depth"));
  // A stack of tags that never ends in a payload stops at the bound too.
  Bytes endless = eth(0x8100, {});
  for (int i = 0; i < 64; ++i) append(endless, Bytes{0, 1, 0x81, 0x00});
  EXPECT_TRUE(RejectedAs(h, endless, kLinkEthernet, "vlan_depth"));
}

TEST(ParserLink, LinuxSll) {
  ParseHarness h;
  ASSERT_TRUE(h.parse(sll(0x0800, v4_udp()), kLinkSll));
  EXPECT_EQ(h.out.key.port_a, 1000);
  ASSERT_TRUE(h.parse(sll(0x86dd, v6_udp()), kLinkSll));
  EXPECT_EQ(h.out.key.ip_version, 6);
  ASSERT_TRUE(h.parse(sll(0x8100, vlan_tag(42, 0x0800, v4_udp())), kLinkSll));
  EXPECT_EQ(h.out.key.vlan, 42);
  EXPECT_EQ(h.protocols(), (Counts{{"sll", 3}, {"vlan", 1}, {"ipv4", 2}, {"ipv6", 1}, {"udp", 3}}));
}

TEST(ParserLink, LinuxSll2) {
  ParseHarness h;
  ASSERT_TRUE(h.parse(sll2(0x0800, v4_udp()), kLinkSll2));
  EXPECT_EQ(key_addr(h.out.key.addr_b, 4), "10.0.0.2");
  ASSERT_TRUE(h.parse(sll2(0x86dd, v6_udp()), kLinkSll2));
  EXPECT_EQ(h.out.key.ip_version, 6);
  EXPECT_EQ(h.protocols(), (Counts{{"sll2", 2}, {"ipv4", 1}, {"ipv6", 1}, {"udp", 2}}));
}

TEST(ParserLink, RawIpLinkTypes) {
  ParseHarness h;
  ASSERT_TRUE(h.parse(v4_udp(), kLinkRaw));
  EXPECT_EQ(h.out.key.ip_version, 4);
  ASSERT_TRUE(h.parse(v6_udp(), kLinkRaw));
  EXPECT_EQ(h.out.key.ip_version, 6);
  ASSERT_TRUE(h.parse(v4_udp(), kLinkIpv4));
  ASSERT_TRUE(h.parse(v6_udp(), kLinkIpv6));
  EXPECT_EQ(h.protocols(), (Counts{{"raw_ip", 4}, {"ipv4", 2}, {"ipv6", 2}, {"udp", 4}}));
  // 228/229 fix the version: the other one is malformed, not re-dispatched.
  EXPECT_TRUE(RejectedAs(h, v6_udp(), kLinkIpv4, "bad_ip_version"));
  EXPECT_TRUE(RejectedAs(h, v4_udp() + Bytes(20, 0), kLinkIpv6, "bad_ip_version"));
  // 101 dispatches on the first nibble; neither 4 nor 6 is malformed.
  Bytes v5 = v4_udp();
  v5[0] = 0x55;
  EXPECT_TRUE(RejectedAs(h, v5, kLinkRaw, "bad_ip_version"));
  EXPECT_TRUE(RejectedAs(h, {}, kLinkRaw, "truncated_l2"));
}

TEST(ParserLink, BsdNullAndLoopFamilies) {
  ParseHarness h;
  // NULL: host byte order of the capturing machine, either one.
  ASSERT_TRUE(h.parse(loopback(2, false, v4_udp()), kLinkNull));
  ASSERT_TRUE(h.parse(loopback(2, true, v4_udp()), kLinkNull));
  // AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
  for (uint32_t fam : {10u, 24u, 28u, 30u}) {
    ASSERT_TRUE(h.parse(loopback(fam, false, v6_udp()), kLinkNull)) << fam;
    EXPECT_EQ(h.out.key.ip_version, 6);
    ASSERT_TRUE(h.parse(loopback(fam, true, v6_udp()), kLinkNull)) << fam;
  }
  // LOOP: network byte order.
  ASSERT_TRUE(h.parse(loopback(2, true, v4_udp()), kLinkLoop));
  ASSERT_TRUE(h.parse(loopback(24, true, v6_udp()), kLinkLoop));
  EXPECT_EQ(h.protocols(), (Counts{{"loopback", 12}, {"ipv4", 3}, {"ipv6", 9}, {"udp", 12}}));
  // Another family (AF_APPLETALK) is not IP: counted, not malformed.
  EXPECT_FALSE(h.parse(loopback(16, false, Bytes(20, 0)), kLinkNull));
  EXPECT_EQ(h.protocols()["other_l3"], 1u);
  EXPECT_TRUE(h.malformed().empty());
}

TEST(ParserLink, UnsupportedLinkType) {
  ParseHarness h;
  for (uint16_t lt : {105, 127, 9, 276 + 1}) {
    EXPECT_TRUE(RejectedAs(h, eth(0x0800, v4_udp()), lt, "unsupported_linktype")) << lt;
  }
  EXPECT_EQ(h.malformed(), (Counts{{"unsupported_linktype", 4}}));
}

// Every cut inside a link-layer header is truncated_l2.
TEST(ParserLink, TruncatedLinkHeaders) {
  struct Case {
    uint16_t linktype;
    Bytes frame;
    size_t header;
  };
  const Case cases[] = {
      {kLinkEthernet, eth(0x0800, v4_udp()), 14},
      {kLinkEthernet, eth(0x8100, vlan_tag(7, 0x0800, v4_udp())), 18},
      {kLinkEthernet, eth(0x88a8, vlan_tag(7, 0x8100, vlan_tag(8, 0x0800, v4_udp()))), 22},
      {kLinkSll, sll(0x0800, v4_udp()), 16},
      {kLinkSll2, sll2(0x0800, v4_udp()), 20},
      {kLinkNull, loopback(2, false, v4_udp()), 4},
      {kLinkLoop, loopback(2, true, v4_udp()), 4},
  };
  for (const Case& c : cases) {
    for (size_t n = 0; n < c.header; ++n) {
      // Cuts inside the first (untagged) link header are truncated_l2; so are cuts inside a VLAN tag.
      ParseHarness h;
      EXPECT_TRUE(RejectedAs(h, prefix(c.frame, n), c.linktype, "truncated_l2", static_cast<uint32_t>(c.frame.size())))
          << "linktype " << c.linktype << " cut at " << n;
    }
    ParseHarness h;
    EXPECT_TRUE(h.parse(c.frame, c.linktype)) << "linktype " << c.linktype;
  }
}

}  // namespace
}  // namespace tapline::test
