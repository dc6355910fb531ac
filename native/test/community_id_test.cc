// SHA-1 (FIPS 180 vectors), base64 (RFC 4648 vectors) and Community ID v1:
// the published baseline of the spec (corelight/community-id-spec,
// baseline/baseline_deflt.json and baseline_seed1.json) computed from raw
// packets, and hand-assembled hash inputs for the cases the baseline misses.
#include <gtest/gtest.h>

#include <string>

#include "common/sha1.h"
#include "flow/community_id.h"
#include "test_util.h"

namespace tapline::test {
namespace {

std::string sha1_hex(const Bytes& b) {
  uint8_t d[20];
  sha1(b.data(), b.size(), d);
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (uint8_t x : d) {
    s += kHex[x >> 4];
    s += kHex[x & 15];
  }
  return s;
}
Bytes str(const std::string& s) { return Bytes(s.begin(), s.end()); }
std::string b64(const Bytes& b) {
  std::string out(4 * ((b.size() + 2) / 3) + 1, '#');
  const size_t n = base64_encode(b.data(), b.size(), out.data());
  EXPECT_EQ(out[n], '#') << "wrote past the returned length";
  out.resize(n);
  return out;
}

TEST(Sha1, FipsVectors) {
  EXPECT_EQ(sha1_hex(str("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(sha1_hex(str("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(sha1_hex(str("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(sha1_hex(Bytes(1000000, 'a')), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

// Lengths around the 55/56-byte padding split and the block size (values from Python's hashlib).
TEST(Sha1, PaddingBoundaries) {
  const std::pair<size_t, const char*> cases[] = {
      {55, "8ae2d46729cfe68ff927af5eec9c7d1b66d65ac2"},  {56, "636e2ec698dac903498e648bd2f3af641d3c88cb"},
      {63, "6d942da0c4392b123528f2905c713a3ce28364bd"},  {64, "c6138d514ffa2135bfce0ed0b8fac65669917ec7"},
      {65, "69bd728ad6e13cd76ff19751fde427b00e395746"},  {119, "41c89d06001bab4ab78736b44efe7ce18ce6ae08"},
      {120, "d3dbd653bd8597b7475321b60a36891278e6a04a"}, {128, "e6434bc401f98603d7eda504790c98c67385d535"},
  };
  for (const auto& [n, want] : cases) EXPECT_EQ(sha1_hex(pattern(n)), want) << n;
}

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(b64(str("")), "");
  EXPECT_EQ(b64(str("f")), "Zg==");
  EXPECT_EQ(b64(str("fo")), "Zm8=");
  EXPECT_EQ(b64(str("foo")), "Zm9v");
  EXPECT_EQ(b64(str("foob")), "Zm9vYg==");
  EXPECT_EQ(b64(str("fooba")), "Zm9vYmE=");
  EXPECT_EQ(b64(str("foobar")), "Zm9vYmFy");
  EXPECT_EQ(b64(Bytes{0xfb, 0xff, 0xbf}), "+/+/");  // the last two alphabet characters
  EXPECT_EQ(b64(Bytes{0x00, 0x10, 0x83, 0x10, 0x51, 0x87}), "ABCDEFGH");
}

// Builds a packet for a tuple (ICMP: sport = type, code given), parses it
// and returns the Community ID of the record it would start.
std::string cid_of(uint8_t proto, const char* saddr, const char* daddr, uint16_t sport, uint16_t dport_or_code,
                   uint16_t seed = 0) {
  Bytes l4;
  switch (proto) {
    case 6: l4 = tcp(sport, dport_or_code, tcpf::kSyn); break;
    case 17: l4 = udp(sport, dport_or_code); break;
    case 132: l4 = sctp(sport, dport_or_code); break;
    case 1:
    case 58: l4 = icmp(static_cast<uint8_t>(sport), static_cast<uint8_t>(dport_or_code), 8); break;
    default: l4 = Bytes(8, 0);
  }
  ParseHarness h;
  if (!h.parse(eth_ip(ip(saddr), ip(daddr), proto, l4))) return "<not parsed>";
  FlowRecord r{};
  r.key = h.out.key;
  r.initiator = h.out.side;
  char out[64];
  std::memset(out, '#', sizeof out);
  const size_t n = community_id(r, seed, out);
  EXPECT_EQ(n, 30u);
  EXPECT_EQ(out[30], '#');
  return std::string(out, n);
}

struct Vector {
  uint8_t proto;
  const char* saddr;
  const char* daddr;
  uint16_t sport;  // ICMP: type
  uint16_t dport;  // ICMP: code
  const char* id;
};

TEST(CommunityId, SpecBaselineDefaultSeed) {
  const Vector v[] = {
      {58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 0, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
      {58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 0, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
      {58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 0, "1:zavyT/cezQr1fmImYCwYnMXbgck="},
      {58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 0, "1:zavyT/cezQr1fmImYCwYnMXbgck="},
      {58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, "1:2ObVBgIn28oZvibYZhZMBgh7WdQ="},
      {58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4, "1:hLZd0XGWojozrvxqE0dWB1iM6R0="},
      {58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 0, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
      {58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 0, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
      {58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 0, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0="},
      {58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 0, "1:pkvHqCL88/tg1k4cPigmZXUtL00="},
      {1, "192.168.0.89", "192.168.0.1", 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
      {1, "192.168.0.1", "192.168.0.89", 0, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
      {1, "10.0.0.1", "10.0.0.2", 11, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM="},
      {6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
      {6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
      {132, "192.168.170.8", "192.168.170.56", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
      {132, "192.168.170.56", "192.168.170.8", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
      {6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
      {6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
      {17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
      {17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
      {46, "10.1.12.1", "10.1.12.2", 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
      {46, "10.1.12.2", "10.1.12.1", 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
      // Tenzir's documented example.
      {6, "1.2.3.4", "43.3.132.3", 4584, 3483, "1:koNcqhFRD5kb254ZrLsdv630jCM="},
  };
  for (const Vector& x : v) {
    EXPECT_EQ(cid_of(x.proto, x.saddr, x.daddr, x.sport, x.dport), x.id)
        << int(x.proto) << " " << x.saddr << " " << x.sport << " -> " << x.daddr << " " << x.dport;
  }
}

TEST(CommunityId, SpecBaselineSeed1) {
  const Vector v[] = {
      {58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 0, "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY="},
      {58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 0, "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM="},
      {58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, "1:lVEtCZpYu84Xqaa++3lXFyuu2n4="},
      {58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4, "1:W8MHwXpWzpoSTD+cGcaJr4u0ys8="},
      {58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 0, "1:GfZxjAkDk2MkegpBYHV6tadtFXQ="},
  };
  for (const Vector& x : v) {
    EXPECT_EQ(cid_of(x.proto, x.saddr, x.daddr, x.sport, x.dport, 1), x.id) << x.saddr << " type " << x.sport;
  }
}

// The hash input assembled by hand: seed, addresses, proto, 0, ports, all big-endian.
std::string cid_by_hand(uint16_t seed, const char* s, const char* d, uint8_t proto, uint16_t sp, uint16_t dp) {
  Bytes in;
  put16(in, seed);
  append(in, addr_bytes(ip(s)));
  append(in, addr_bytes(ip(d)));
  put8(in, proto);
  put8(in, 0);
  put16(in, sp);
  put16(in, dp);
  uint8_t digest[20];
  sha1(in.data(), in.size(), digest);
  return "1:" + b64(Bytes(digest, digest + 20));
}

TEST(CommunityId, OneWayIcmpKeepsTheSenderFirst) {
  // Destination unreachable from the higher address: not reordered (the baseline only
  // has one-way messages sent from the lower address).
  const std::string want = cid_by_hand(0, "10.0.0.2", "10.0.0.1", 1, 3, 3);
  EXPECT_EQ(want, "1:LhjXG72oBqb/FpYqPl9LboG4/B4=");  // Python hashlib/base64 of the same bytes
  EXPECT_EQ(cid_of(1, "10.0.0.2", "10.0.0.1", 3, 3), want);
  // ICMPv6 mobile prefix solicitation has no counterpart in Zeek's table: one-way too.
  EXPECT_EQ(cid_of(58, "fe80::2", "fe80::1", 146, 0), cid_by_hand(0, "fe80::2", "fe80::1", 58, 146, 0));
  EXPECT_EQ(cid_of(58, "fe80::2", "fe80::1", 146, 0), "1:UMYEnWXXJ9+nbyoj10xPzYoUBio=");
}

TEST(CommunityId, EqualAddressesOrderByPortAndSeedIsBigEndian) {
  const std::string want = cid_by_hand(0x1234, "2001:db8::7", "2001:db8::7", 6, 80, 9000);
  EXPECT_EQ(want, "1:vBL9g/arVSK+2XsEuObmXwdjUJI=");
  EXPECT_EQ(cid_of(6, "2001:db8::7", "2001:db8::7", 9000, 80, 0x1234), want);
  EXPECT_EQ(cid_of(6, "2001:db8::7", "2001:db8::7", 80, 9000, 0x1234), want);
}

TEST(CommunityId, RecordFromTheFlowTableUsesTheInitiator) {
  // Whatever side starts the flow, both directions give the same ID.
  Parser p;
  CollectingSink sink;
  FlowTable table(64, FlowTimeouts{}, sink);
  const ParsedPacket a = must_parse(p, tcp_frame("66.35.250.204", 80, "128.232.110.120", 34855, tcpf::kSyn | tcpf::kAck), kT0);
  const ParsedPacket b = must_parse(p, tcp_frame("128.232.110.120", 34855, "66.35.250.204", 80, tcpf::kAck), kT0 + 1);
  table.process_burst(&a, 1);
  table.process_burst(&b, 1);
  table.flush(EndReason::kEof, kT0 + 2);
  ASSERT_EQ(sink.records.size(), 1u);
  char out[32];
  EXPECT_EQ(std::string(out, community_id(sink.records[0], 0, out)), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
}

}  // namespace
}  // namespace tapline::test
