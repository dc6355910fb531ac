// Parser: IPv4 (options, fragments, lengths) and IPv6 (extension headers,
// fragments, the depth bound) from raw bytes, their malformed cases, byte
// accounting under a snaplen and with Ethernet padding.
#include <gtest/gtest.h>

#include "test_util.h"

namespace tapline::test {
namespace {

const Addr kA = ip("192.0.2.1"), kB = ip("198.51.100.7");
const Addr kA6 = ip("2001:db8::1"), kB6 = ip("2001:db8::2");

TEST(ParserIpv4, OptionsAreSkippedByIhl) {
  ParseHarness h;
  Ipv4Opts o;
  o.options = {0x94, 0x04, 0x00, 0x00,   // Router Alert
               0x01, 0x01, 0x01, 0x00};  // NOP NOP NOP EOL
  const Bytes frame = eth(0x0800, ipv4(kA, kB, 6, tcp(40000, 443, tcpf::kSyn), o));
  ASSERT_TRUE(h.parse(frame));
  EXPECT_EQ(key_addr(h.out.key.addr_a, 4), "192.0.2.1");
  EXPECT_EQ(h.out.key.port_a, 40000);
  EXPECT_EQ(h.out.key.port_b, 443);
  EXPECT_EQ(h.out.tcp_flags, tcpf::kSyn);
  EXPECT_EQ(h.out.ip_bytes, 28u + 20);
}

TEST(ParserIpv4, MaximumHeaderLength) {
  ParseHarness h;
  Ipv4Opts o;
  o.options = Bytes(40, 0x01);  // IHL 15: 60-byte header
  ASSERT_TRUE(h.parse(eth(0x0800, ipv4(kA, kB, 17, udp(7, 9), o))));
  EXPECT_EQ(h.out.key.port_a, 7);
  EXPECT_EQ(h.out.ip_bytes, 68u);
}

TEST(ParserIpv4, FragmentsJoinTheFirstFragmentsPorts) {
  ParseHarness h;
  const Bytes l4 = udp(5353, 9999, 40);  // 48 bytes: 40 in the first fragment, 8 in the second
  Ipv4Opts first;
  first.id = 777;
  first.frag = 0x2000;  // MF, offset 0
  Ipv4Opts later;
  later.id = 777;
  later.frag = 5;  // offset 40 bytes, last
  ASSERT_TRUE(h.parse(eth(0x0800, ipv4(kA, kB, 17, prefix(l4, 40), first))));
  const FlowKey k1 = h.out.key;
  EXPECT_EQ(k1.port_a, 5353);
  EXPECT_EQ(k1.port_b, 9999);
  EXPECT_EQ(h.out.ip_bytes, 60u);
  ASSERT_TRUE(h.parse(eth(0x0800, ipv4(kA, kB, 17, Bytes(l4.begin() + 40, l4.end()), later))));
  EXPECT_TRUE(h.out.key == k1);
  EXPECT_EQ(h.out.ip_bytes, 28u);
  EXPECT_EQ(h.parser.stats().fragments_unmatched.get(), 0u);
  EXPECT_EQ(h.protocols(), (Counts{{"ethernet", 2}, {"ipv4", 2}, {"ipv4_fragment", 2}, {"udp", 1}}));
  // A later fragment of the reverse direction is another datagram: no match.
  ASSERT_TRUE(h.parse(eth(0x0800, ipv4(kB, kA, 17, Bytes(8, 0), later))));
  EXPECT_EQ(h.parser.stats().fragments_unmatched.get(), 1u);
}

TEST(ParserIpv4, LaterFragmentWithoutFirstGetsPortZero) {
  ParseHarness h;
  Ipv4Opts later;
  later.id = 4242;
  later.frag = 0x2000 | 185;  // MF, offset 1480: a middle fragment
  ASSERT_TRUE(h.parse(eth(0x0800, ipv4(kA, kB, 6, Bytes(100, 0xee), later))));
  EXPECT_EQ(h.out.key.port_a, 0);
  EXPECT_EQ(h.out.key.port_b, 0);
  EXPECT_EQ(h.out.key.proto, 6);
  EXPECT_EQ(h.out.tcp_flags, 0);  // fragment bytes are not a TCP header
  EXPECT_EQ(h.out.ip_bytes, 120u);
  EXPECT_EQ(h.parser.stats().fragments_unmatched.get(), 1u);
  EXPECT_EQ(h.protocols().count("tcp"), 0u);
  // The first fragment arriving late does not fix the earlier one, but later ones join it.
  Ipv4Opts first;
  first.id = 4242;
  first.frag = 0x2000;
  ASSERT_TRUE(h.parse(eth(0x0800, ipv4(kA, kB, 6, tcp(1234, 80, tcpf::kAck, 1460), first))));
  Ipv4Opts last;
  last.id = 4242;
  last.frag = 370;
  ASSERT_TRUE(h.parse(eth(0x0800, ipv4(kA, kB, 6, Bytes(40, 0), last))));
  EXPECT_EQ(h.out.key.port_a, 1234);
  EXPECT_EQ(h.out.key.port_b, 80);
  EXPECT_EQ(h.parser.stats().fragments_unmatched.get(), 1u);
}

TEST(ParserIpv4, FragmentTableForgetsAfterTimeout) {
  ParserConfig cfg;
  cfg.fragment_timeout_ns = 30 * kSec;
  ParseHarness h(cfg);
  Ipv4Opts first;
  first.frag = 0x2000;
  Ipv4Opts later;
  later.frag = 10;
  ASSERT_TRUE(h.parse(eth(0x0800, ipv4(kA, kB, 17, udp(1, 2, 72), first)), kLinkEthernet, 0, kT0));
  ASSERT_TRUE(h.parse(eth(0x0800, ipv4(kA, kB, 17, Bytes(8, 0), later)), kLinkEthernet, 0, kT0 + 29 * kSec));
  EXPECT_EQ(h.out.key.port_a, 1);
  ASSERT_TRUE(h.parse(eth(0x0800, ipv4(kA, kB, 17, Bytes(8, 0), later)), kLinkEthernet, 0, kT0 + 31 * kSec));
  EXPECT_EQ(h.out.key.port_a, 0);
  EXPECT_EQ(h.parser.stats().fragments_unmatched.get(), 1u);
}

TEST(ParserIpv4, TsoCaptureWithTotalLengthZero) {
  ParseHarness h;
  Ipv4Opts o;
  o.total = 0;
  ASSERT_TRUE(h.parse(eth(0x0800, ipv4(kA, kB, 6, tcp(1, 2, tcpf::kAck, 3000), o))));
  EXPECT_EQ(h.out.ip_bytes, 20u + 20 + 3000);  // the frame's bytes
}

TEST(ParserIpv4, Malformed) {
  ParseHarness h;
  const Bytes good = ipv4(kA, kB, 17, udp(1, 2, 10));
  // Shorter than the fixed header.
  for (size_t n : {1, 10, 19}) EXPECT_TRUE(RejectedAs(h, eth(0x0800, prefix(good, n)), kLinkEthernet, "truncated_ipv4", 14 + 38));
  // IHL below 5.
  for (uint8_t ihl : {0, 1, 4}) {
    Ipv4Opts o;
    o.ihl = ihl;
    EXPECT_TRUE(RejectedAs(h, eth(0x0800, ipv4(kA, kB, 17, udp(1, 2), o)), kLinkEthernet, "bad_ipv4_header_length"));
  }
  // IHL beyond the captured bytes.
  Ipv4Opts big_ihl;
  big_ihl.ihl = 15;
  big_ihl.total = 60;
  EXPECT_TRUE(RejectedAs(h, eth(0x0800, ipv4(kA, kB, 17, Bytes(8, 0), big_ihl)), kLinkEthernet, "truncated_ipv4"));
  // Total length below the header length.
  Ipv4Opts small_total;
  small_total.total = 19;
  EXPECT_TRUE(RejectedAs(h, eth(0x0800, ipv4(kA, kB, 17, udp(1, 2), small_total)), kLinkEthernet, "bad_ipv4_total_length"));
  // Total length beyond what was on the wire.
  Ipv4Opts long_total;
  long_total.total = 29;
  EXPECT_TRUE(RejectedAs(h, eth(0x0800, ipv4(kA, kB, 17, udp(1, 2), long_total)), kLinkEthernet, "bad_ipv4_total_length"));
  // An IPv6 header behind EtherType IPv4.
  EXPECT_TRUE(RejectedAs(h, eth(0x0800, ipv6(kA6, kB6, 17, udp(1, 2))), kLinkEthernet, "bad_ip_version"));
  EXPECT_EQ(h.parser.stats().flow_packets.get(), 0u);
  EXPECT_EQ(h.parser.stats().packets.get(), 10u);
  EXPECT_EQ(h.parser.stats().malformed_total(), 10u);
}

TEST(ParserIpv6, ExtensionHeadersAreWalked) {
  ParseHarness h;
  // Hop-by-hop (8) -> routing (24) -> destination options (16) -> AH (16) -> TCP.
  Bytes ah{6, 2, 0, 0};  // AH: length in 4-octet units minus 2
  ah.resize(16, 0);
  const Bytes chain = ext6(43, 0) + ext6(60, 2) + ext6(51, 1) + ah + tcp(5000, 22, tcpf::kSyn | tcpf::kAck);
  ASSERT_TRUE(h.parse(eth(0x86dd, ipv6(kB6, kA6, 0, chain))));
  EXPECT_EQ(h.out.key.proto, 6);
  EXPECT_EQ(key_addr(h.out.key.addr_a, 6), "2001:db8::1");
  EXPECT_EQ(h.out.key.port_a, 22);
  EXPECT_EQ(h.out.key.port_b, 5000);
  EXPECT_EQ(h.out.side, kSideB);
  EXPECT_EQ(h.out.tcp_flags, tcpf::kSyn | tcpf::kAck);
  EXPECT_EQ(h.out.ip_bytes, 40u + chain.size());
  EXPECT_EQ(h.protocols(), (Counts{{"ethernet", 1}, {"ipv6", 1}, {"tcp", 1}}));
}

TEST(ParserIpv6, ExtensionDepthBound) {
  static_assert(kMaxIpv6ExtHeaders == 8);
  auto chain = [](int n) {
    Bytes b;
    for (int i = 0; i < n; ++i) append(b, ext6(i + 1 < n ? 60 : 17));
    return b + udp(1, 2);
  };
  ParseHarness h;
  ASSERT_TRUE(h.parse(eth(0x86dd, ipv6(kA6, kB6, 60, chain(8)))));
  EXPECT_EQ(h.out.key.proto, 17);
  EXPECT_EQ(h.out.key.port_b, 2);
  EXPECT_TRUE(RejectedAs(h, eth(0x86dd, ipv6(kA6, kB6, 60, chain(9))), kLinkEthernet, "ipv6_ext_depth"));
}

TEST(ParserIpv6, NoNextHeaderAndEspAreOtherL4) {
  ParseHarness h;
  ASSERT_TRUE(h.parse(eth(0x86dd, ipv6(kA6, kB6, 59, {}))));
  EXPECT_EQ(h.out.key.proto, 59);
  ASSERT_TRUE(h.parse(eth(0x86dd, ipv6(kA6, kB6, 50, Bytes(24, 7)))));
  EXPECT_EQ(h.out.key.proto, 50);
  EXPECT_EQ(h.out.key.port_a, 0);
  EXPECT_EQ(h.protocols()["other_l4"], 2u);
}

TEST(ParserIpv6, FragmentHeader) {
  ParseHarness h;
  const Bytes first = ext6(44, 0) + frag6(17, 0, true, 0xabcdef01) + udp(53, 40000, 16);
  ASSERT_TRUE(h.parse(eth(0x86dd, ipv6(kA6, kB6, 0, first))));
  const FlowKey k = h.out.key;
  EXPECT_EQ(k.proto, 17);
  EXPECT_EQ(k.port_a, 53);
  EXPECT_EQ(k.port_b, 40000);
  const Bytes later = frag6(17, 3, false, 0xabcdef01) + Bytes(8, 0);
  ASSERT_TRUE(h.parse(eth(0x86dd, ipv6(kA6, kB6, 44, later))));
  EXPECT_TRUE(h.out.key == k);
  EXPECT_EQ(h.out.ip_bytes, 40u + 16);
  EXPECT_EQ(h.parser.stats().fragments_unmatched.get(), 0u);
  // Another identification: unmatched, ports 0, protocol from the fragment header.
  ASSERT_TRUE(h.parse(eth(0x86dd, ipv6(kA6, kB6, 44, frag6(6, 3, false, 1) + Bytes(8, 0)))));
  EXPECT_EQ(h.out.key.proto, 6);
  EXPECT_EQ(h.out.key.port_a + h.out.key.port_b, 0);
  EXPECT_EQ(h.parser.stats().fragments_unmatched.get(), 1u);
  EXPECT_EQ(h.protocols(), (Counts{{"ethernet", 3}, {"ipv6", 3}, {"ipv6_fragment", 3}, {"udp", 1}}));
}

TEST(ParserIpv6, Malformed) {
  ParseHarness h;
  const Bytes good = ipv6(kA6, kB6, 17, udp(1, 2));
  for (size_t n : {0, 1, 39}) EXPECT_TRUE(RejectedAs(h, eth(0x86dd, prefix(good, n)), kLinkEthernet, "truncated_ipv6", 14 + 48));
  EXPECT_TRUE(RejectedAs(h, eth(0x86dd, ipv6(kA6, kB6, 17, udp(1, 2), 9)), kLinkEthernet, "bad_ipv6_payload_length"));
  EXPECT_TRUE(RejectedAs(h, eth(0x86dd, ipv6(kA6, kB6, 17, udp(1, 2), 8, 4)), kLinkEthernet, "bad_ip_version"));
  // Extension header cut before its first 8 bytes, and one whose length runs past the payload.
  EXPECT_TRUE(RejectedAs(h, eth(0x86dd, ipv6(kA6, kB6, 0, Bytes{17, 0, 0, 0})), kLinkEthernet, "truncated_ipv6_ext"));
  Bytes long_ext = ext6(17, 0);
  long_ext[1] = 3;  // claims 32 bytes, 8 present
  EXPECT_TRUE(RejectedAs(h, eth(0x86dd, ipv6(kA6, kB6, 60, long_ext)), kLinkEthernet, "truncated_ipv6_ext"));
  EXPECT_TRUE(RejectedAs(h, eth(0x86dd, ipv6(kA6, kB6, 44, Bytes{17, 0, 0, 8})), kLinkEthernet, "truncated_ipv6_ext"));
}

// A destination-options header claiming exactly the remaining bytes leaves no room for UDP.
TEST(ParserIpv6, ExtensionConsumesPayload) {
  ParseHarness h;
  EXPECT_TRUE(RejectedAs(h, eth(0x86dd, ipv6(kA6, kB6, 60, ext6(17, 1))), kLinkEthernet, "truncated_udp"));
}

TEST(ParserBytes, SnaplenTruncatedPacketsCountTheIpLength) {
  ParseHarness h;
  const Bytes full4 = eth(0x0800, ipv4(kA, kB, 6, tcp(1, 2, tcpf::kAck, 1460)));
  ASSERT_EQ(full4.size(), 1514u);
  ASSERT_TRUE(h.parse(prefix(full4, 54), kLinkEthernet, 1514));
  EXPECT_EQ(h.out.ip_bytes, 1500u);
  EXPECT_EQ(h.out.key.port_b, 2);
  EXPECT_EQ(h.parser.stats().wire_bytes.get(), 1514u);
  const Bytes full6 = eth(0x86dd, ipv6(kA6, kB6, 17, udp(1, 2, 1000)));
  ASSERT_TRUE(h.parse(prefix(full6, 62), kLinkEthernet, static_cast<uint32_t>(full6.size())));
  EXPECT_EQ(h.out.ip_bytes, 1048u);
  // Cut inside the transport header by the snaplen: that layer's truncation counter.
  EXPECT_TRUE(RejectedAs(h, prefix(full4, 40), kLinkEthernet, "truncated_tcp", 1514));
  EXPECT_TRUE(RejectedAs(h, prefix(full6, 60), kLinkEthernet, "truncated_udp", static_cast<uint32_t>(full6.size())));
  // A length field larger than the wire length is malformed even in a truncated capture.
  Ipv4Opts o;
  o.total = 9000;
  EXPECT_TRUE(RejectedAs(h, prefix(eth(0x0800, ipv4(kA, kB, 6, tcp(1, 2, 0, 1460), o)), 54), kLinkEthernet,
                         "bad_ipv4_total_length", 1514));
  EXPECT_TRUE(RejectedAs(h, prefix(eth(0x86dd, ipv6(kA6, kB6, 17, udp(1, 2, 1000), 1400)), 62), kLinkEthernet,
                         "bad_ipv6_payload_length", static_cast<uint32_t>(full6.size())));
}

TEST(ParserBytes, EthernetPaddingIsNotPayload) {
  ParseHarness h;
  // A bare TCP ACK is 54 bytes; Ethernet pads it to 60 with zeros.
  Bytes ack = eth(0x0800, ipv4(kA, kB, 6, tcp(1, 2, tcpf::kAck)));
  ack.resize(60, 0);
  ASSERT_TRUE(h.parse(ack));
  EXPECT_EQ(h.out.ip_bytes, 40u);
  Bytes ack6 = eth(0x86dd, ipv6(kA6, kB6, 17, udp(1, 2)));
  ack6.resize(90, 0xff);
  ASSERT_TRUE(h.parse(ack6));
  EXPECT_EQ(h.out.ip_bytes, 48u);
  // The transport header must fit inside the IP length, not in the padding.
  Ipv4Opts o;
  o.total = 30;  // 10 bytes of TCP header, the rest is padding
  Bytes cut = eth(0x0800, ipv4(kA, kB, 6, tcp(1, 2, tcpf::kAck), o));
  EXPECT_TRUE(RejectedAs(h, cut, kLinkEthernet, "truncated_tcp"));
}

TEST(ParserKey, BothDirectionsGiveTheSameKeyAndHash) {
  struct Dir {
    Bytes fwd, rev;
  };
  const Dir dirs[] = {
      {tcp_frame("10.1.1.1", 50000, "10.1.1.2", 80, tcpf::kSyn), tcp_frame("10.1.1.2", 80, "10.1.1.1", 50000, tcpf::kSyn | tcpf::kAck)},
      {udp_frame("2001:db8::9", 53, "2001:db8::1", 5353), udp_frame("2001:db8::1", 5353, "2001:db8::9", 53)},
      // Same address both ways: the ports decide.
      {tcp_frame("127.0.0.1", 9000, "127.0.0.1", 80, 0), tcp_frame("127.0.0.1", 80, "127.0.0.1", 9000, 0)},
      {eth(0x0800, ipv4(kA, kB, 1, icmp(8, 0))), eth(0x0800, ipv4(kB, kA, 1, icmp(0, 0)))},
      {eth(0x86dd, ipv6(kB6, kA6, 132, sctp(2905, 2905))), eth(0x86dd, ipv6(kA6, kB6, 132, sctp(2905, 2905)))},
  };
  for (const Dir& d : dirs) {
    ParseHarness h;
    ASSERT_TRUE(h.parse(d.fwd));
    const ParsedPacket f = h.out;
    ASSERT_TRUE(h.parse(d.rev));
    const ParsedPacket r = h.out;
    EXPECT_TRUE(f.key == r.key);
    EXPECT_EQ(f.hash, r.hash);
    EXPECT_EQ(f.sig, r.sig);
    EXPECT_NE(f.side, r.side);
    EXPECT_NE(f.sig, 0u);
  }
  // A different seed gives a different hash for the same key.
  ParserConfig other;
  other.hash_seed = 12345;
  ParseHarness h1, h2(other);
  ASSERT_TRUE(h1.parse(dirs[0].fwd));
  ASSERT_TRUE(h2.parse(dirs[0].fwd));
  EXPECT_TRUE(h1.out.key == h2.out.key);
  EXPECT_NE(h1.out.hash, h2.out.hash);
}

TEST(ParserKey, VlanAndVersionSeparateFlows) {
  ParseHarness h;
  const Bytes ip4 = ipv4(kA, kB, 17, udp(1, 2));
  ASSERT_TRUE(h.parse(eth(0x0800, ip4)));
  const FlowKey untagged = h.out.key;
  ASSERT_TRUE(h.parse(eth(0x8100, vlan_tag(10, 0x0800, ip4))));
  EXPECT_FALSE(h.out.key == untagged);
  EXPECT_EQ(h.out.key.vlan, 10);
}

}  // namespace
}  // namespace tapline::test
