// Parser: transport headers (TCP, UDP, ICMP, ICMPv6, SCTP) from raw bytes,
// the ICMP port equivalents, and a sweep of every truncation of every
// protocol: each cut frame is rejected with exactly one malformed counter.
#include <gtest/gtest.h>

#include "test_util.h"

namespace tapline::test {
namespace {

const Addr kA = ip("10.0.0.1"), kB = ip("10.0.0.2");
const Addr kA6 = ip("fe80::1"), kB6 = ip("fe80::2");

Bytes v4(uint8_t proto, const Bytes& l4) { return eth(0x0800, ipv4(kA, kB, proto, l4)); }
Bytes v6(uint8_t proto, const Bytes& l4) { return eth(0x86dd, ipv6(kA6, kB6, proto, l4)); }
Ipv4Opts with_options(const Bytes& options) {
  Ipv4Opts o;
  o.options = options;
  return o;
}

TEST(ParserTcp, PortsAndFlags) {
  ParseHarness h;
  const uint8_t flags = tcpf::kFin | tcpf::kPsh | tcpf::kAck | 0x80 /* CWR */;
  ASSERT_TRUE(h.parse(v4(6, tcp(0xfffe, 1, flags, 5))));
  EXPECT_EQ(h.out.key.port_a, 0xfffe);
  EXPECT_EQ(h.out.key.port_b, 1);
  EXPECT_EQ(h.out.tcp_flags, flags);
  EXPECT_EQ(h.out.ip_bytes, 45u);
  EXPECT_EQ(h.protocols()["tcp"], 1u);
}

TEST(ParserTcp, DataOffsetWithOptions) {
  ParseHarness h;
  for (uint8_t words : {5, 6, 10, 15}) {
    ASSERT_TRUE(h.parse(v4(6, tcp(1, 2, tcpf::kSyn, 0, words)))) << int(words);
    EXPECT_EQ(h.out.ip_bytes, 20u + words * 4u);
  }
  // Offsets below 5 words cannot hold the header.
  for (uint8_t words : {0, 1, 4}) {
    EXPECT_TRUE(RejectedAs(h, v4(6, tcp(1, 2, tcpf::kSyn, 0, words)), kLinkEthernet, "bad_tcp_offset")) << int(words);
  }
}

TEST(ParserTcp, DataOffsetBeyondTheSegment) {
  ParseHarness h;
  // The header claims 60 bytes, the segment (IP payload) has 20.
  Bytes seg = tcp(1, 2, tcpf::kAck);
  seg[12] = 15 << 4;
  EXPECT_TRUE(RejectedAs(h, v4(6, seg), kLinkEthernet, "bad_tcp_offset"));
  EXPECT_TRUE(RejectedAs(h, v6(6, seg), kLinkEthernet, "bad_tcp_offset"));
  // Cut by the snaplen, the options may well be on the wire: accepted.
  const Bytes full = v4(6, tcp(1, 2, tcpf::kAck, 0, 15));
  ASSERT_TRUE(h.parse(prefix(full, 54), kLinkEthernet, static_cast<uint32_t>(full.size())));
  EXPECT_EQ(h.out.ip_bytes, 80u);
}

TEST(ParserUdp, Ports) {
  ParseHarness h;
  ASSERT_TRUE(h.parse(v6(17, udp(123, 123, 48))));
  EXPECT_EQ(h.out.key.port_a, 123);
  EXPECT_EQ(h.out.key.port_b, 123);
  EXPECT_EQ(h.out.tcp_flags, 0);
  EXPECT_EQ(h.out.ip_bytes, 40u + 56);
  EXPECT_EQ(h.protocols()["udp"], 1u);
}

TEST(ParserSctp, Ports) {
  ParseHarness h;
  ASSERT_TRUE(h.parse(v4(132, sctp(36412, 2905, 16))));
  EXPECT_EQ(h.out.key.proto, 132);
  EXPECT_EQ(h.out.key.port_a, 36412);
  EXPECT_EQ(h.out.key.port_b, 2905);
  EXPECT_EQ(h.protocols()["sctp"], 1u);
}

TEST(ParserIcmp, EchoRequestAndReplyShareAFlow) {
  ParseHarness h;
  ASSERT_TRUE(h.parse(v4(1, icmp(8, 0, 56))));
  EXPECT_EQ(h.out.key.port_a, 8);  // type, counterpart type
  EXPECT_EQ(h.out.key.port_b, 0);
  EXPECT_EQ(h.out.side, kSideA);
  const FlowKey req = h.out.key;
  ASSERT_TRUE(h.parse(eth(0x0800, ipv4(kB, kA, 1, icmp(0, 0, 56)))));
  EXPECT_TRUE(h.out.key == req);
  EXPECT_EQ(h.out.side, kSideB);
  EXPECT_EQ(h.protocols()["icmp"], 2u);
}

TEST(ParserIcmp, OneWayMessagesUseTheCode) {
  ParseHarness h;
  ASSERT_TRUE(h.parse(eth(0x0800, ipv4(kB, kA, 1, icmp(3, 13, 28)))));  // unreachable, admin prohibited
  EXPECT_EQ(key_addr(h.out.key.addr_a, 4), "10.0.0.1");
  EXPECT_EQ(h.out.key.port_a, 13);
  EXPECT_EQ(h.out.key.port_b, 3);
  EXPECT_EQ(h.out.side, kSideB);
}

TEST(ParserIcmp, Icmpv6) {
  ParseHarness h;
  ASSERT_TRUE(h.parse(v6(58, icmp(135, 0, 24))));  // neighbor solicitation
  EXPECT_EQ(h.out.key.port_a, 135);
  EXPECT_EQ(h.out.key.port_b, 136);
  ASSERT_TRUE(h.parse(v6(58, icmp(1, 4, 48))));  // unreachable, port unreachable
  EXPECT_EQ(h.out.key.port_a, 1);
  EXPECT_EQ(h.out.key.port_b, 4);
  EXPECT_EQ(h.protocols()["icmpv6"], 2u);
  // ICMP (v4) type numbers inside IPv6 are not ICMPv6: protocol 1 in IPv6 maps as v4.
  ASSERT_TRUE(h.parse(v6(1, icmp(8, 0))));
  EXPECT_EQ(h.out.key.port_b, 0);
}

// The Community ID / Zeek counterpart tables (ICMP4_counterpart, ICMP6_counterpart).
TEST(ParserIcmp, PortEquivalentTables) {
  struct Row {
    uint8_t type;
    bool v6;
    int peer;  // -1: one-way
  };
  const Row rows[] = {
      {8, false, 0},     {0, false, 8},     {13, false, 14},   {14, false, 13},   {15, false, 16},
      {16, false, 15},   {10, false, 9},    {9, false, 10},    {17, false, 18},   {18, false, 17},
      {3, false, -1},    {5, false, -1},    {11, false, -1},   {12, false, -1},   {128, false, -1},
      {128, true, 129},  {129, true, 128},  {133, true, 134},  {134, true, 133},  {135, true, 136},
      {136, true, 135},  {130, true, 131},  {131, true, 130},  {139, true, 140},  {140, true, 139},
      {144, true, 145},  {145, true, 144},  {1, true, -1},     {2, true, -1},     {3, true, -1},
      {4, true, -1},     {137, true, -1},   {143, true, -1},   {146, true, -1},   {147, true, -1},
      {8, true, -1},     {0, true, -1},
  };
  for (const Row& r : rows) {
    uint16_t s = 0xffff, d = 0xffff;
    bool one_way = false;
    icmp_ports(r.type, 7, r.v6, s, d, one_way);
    EXPECT_EQ(s, r.type) << int(r.type) << (r.v6 ? " v6" : " v4");
    EXPECT_EQ(one_way, r.peer < 0) << int(r.type) << (r.v6 ? " v6" : " v4");
    EXPECT_EQ(d, r.peer < 0 ? 7 : r.peer) << int(r.type) << (r.v6 ? " v6" : " v4");
  }
}

TEST(ParserOther, UnknownTransportHasNoPorts) {
  ParseHarness h;
  ASSERT_TRUE(h.parse(v4(47, Bytes{0, 0, 0x08, 0x00, 1, 2, 3, 4})));  // GRE: not decoded (yet)
  EXPECT_EQ(h.out.key.proto, 47);
  EXPECT_EQ(h.out.key.port_a, 0);
  EXPECT_EQ(h.out.key.port_b, 0);
  ASSERT_TRUE(h.parse(v4(89, {})));  // OSPF with no payload at all
  EXPECT_EQ(h.protocols()["other_l4"], 2u);
}

TEST(ParserTransport, Truncated) {
  ParseHarness h;
  EXPECT_TRUE(RejectedAs(h, v4(6, Bytes(19, 0)), kLinkEthernet, "truncated_tcp"));
  EXPECT_TRUE(RejectedAs(h, v6(6, {}), kLinkEthernet, "truncated_tcp"));
  EXPECT_TRUE(RejectedAs(h, v4(17, Bytes(7, 0)), kLinkEthernet, "truncated_udp"));
  EXPECT_TRUE(RejectedAs(h, v4(1, Bytes(3, 0)), kLinkEthernet, "truncated_icmp"));
  EXPECT_TRUE(RejectedAs(h, v6(58, Bytes(1, 0)), kLinkEthernet, "truncated_icmp"));
  EXPECT_TRUE(RejectedAs(h, v4(132, Bytes(11, 0)), kLinkEthernet, "truncated_sctp"));
  EXPECT_EQ(h.parser.stats().malformed_total(), 6u);
  EXPECT_EQ(h.parser.stats().flow_packets.get(), 0u);
}

// Every prefix of a valid frame, read under a snaplen (wirelen = the full
// frame), is rejected with the counter of the layer the cut falls into.
// Read as a whole frame (wirelen = caplen) it is rejected too, with exactly
// one malformed counter: the lengths then say bytes are missing.
struct Layer {
  size_t end;          // cuts below this offset...
  const char* reason;  // ...count this reason
};
struct SweepCase {
  const char* name;
  uint16_t linktype;
  Bytes frame;
  std::vector<Layer> layers;
};

TEST(ParserTruncation, EveryPrefixOfEveryProtocol) {
  const Addr a = ip("10.9.8.7"), b = ip("10.1.2.3");
  const SweepCase cases[] = {
      {"eth/ipv4/tcp", kLinkEthernet, eth(0x0800, ipv4(a, b, 6, tcp(1, 2, tcpf::kSyn, 0, 6))),
       {{14, "truncated_l2"}, {34, "truncated_ipv4"}, {54, "truncated_tcp"}}},
      {"eth/ipv4+opts/udp", kLinkEthernet, eth(0x0800, ipv4(a, b, 17, udp(1, 2, 3), with_options(Bytes(8, 1)))),
       {{14, "truncated_l2"}, {42, "truncated_ipv4"}, {50, "truncated_udp"}}},
      {"vlan/ipv6/icmpv6", kLinkEthernet, eth(0x8100, vlan_tag(5, 0x86dd, ipv6(kA6, kB6, 58, icmp(128, 0)))),
       {{18, "truncated_l2"}, {58, "truncated_ipv6"}, {62, "truncated_icmp"}}},
      {"sll/ipv6/hbh/sctp", kLinkSll, sll(0x86dd, ipv6(kA6, kB6, 0, ext6(132, 1) + sctp(1, 2))),
       {{16, "truncated_l2"}, {56, "truncated_ipv6"}, {72, "truncated_ipv6_ext"}, {84, "truncated_sctp"}}},
      {"sll2/ipv4/icmp", kLinkSll2, sll2(0x0800, ipv4(a, b, 1, icmp(3, 1, 8))),
       {{20, "truncated_l2"}, {40, "truncated_ipv4"}, {44, "truncated_icmp"}}},
      {"null/ipv6/frag/udp", kLinkNull, loopback(30, false, ipv6(kA6, kB6, 44, frag6(17, 0, true, 9) + udp(1, 2, 8))),
       {{4, "truncated_l2"}, {44, "truncated_ipv6"}, {52, "truncated_ipv6_ext"}, {60, "truncated_udp"}}},
      {"raw/ipv4/tcp", kLinkRaw, ipv4(a, b, 6, tcp(1, 2, tcpf::kAck)),
       {{1, "truncated_l2"}, {20, "truncated_ipv4"}, {40, "truncated_tcp"}}},
      {"ipv6-link/udp", kLinkIpv6, ipv6(kA6, kB6, 17, udp(1, 2)), {{40, "truncated_ipv6"}, {48, "truncated_udp"}}},
  };
  for (const SweepCase& c : cases) {
    const uint32_t wire = static_cast<uint32_t>(c.frame.size());
    ParseHarness whole;
    ASSERT_TRUE(whole.parse(c.frame, c.linktype)) << c.name;
    // The last layer's end is where the frame becomes valid under a snaplen.
    for (size_t n = 0; n < c.layers.back().end; ++n) {
      const char* reason = nullptr;
      for (const Layer& l : c.layers) {
        if (n < l.end) {
          reason = l.reason;
          break;
        }
      }
      ParseHarness snap;
      EXPECT_TRUE(RejectedAs(snap, prefix(c.frame, n), c.linktype, reason, wire)) << c.name << " cut at " << n;
    }
    for (size_t n = c.layers.back().end; n < c.frame.size(); ++n) {
      ParseHarness snap;
      EXPECT_TRUE(snap.parse(prefix(c.frame, n), c.linktype, wire)) << c.name << " snaplen " << n;
    }
    for (size_t n = 0; n < c.frame.size(); ++n) {
      ParseHarness cut;
      EXPECT_FALSE(cut.parse(prefix(c.frame, n), c.linktype)) << c.name << " cut at " << n;
      EXPECT_EQ(cut.parser.stats().malformed_total(), 1u) << c.name << " cut at " << n;
    }
  }
}

}  // namespace
}  // namespace tapline::test
