// The parser's straight-line path (Ethernet, one VLAN tag or none, IPv4 or IPv6, TCP/UDP) against
// the general path it shortcuts: for every frame, both must accept or both
// decline, fill the same ParsedPacket byte for byte, and leave the same
// counters. Frames: every capture of the tcpdump corpus, and valid TCP and
// UDP frames with every byte of their headers mutated, every truncation and
// snaplen cut: the edge of each condition the fast path tests.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.h"

namespace tapline::test {
namespace {

ParserConfig with_fast_path(bool on) {
  ParserConfig c;
  c.fast_path = on;
  return c;
}

Counts all_counts(const ParseStats& s) {
  Counts m = protocol_counts(s);
  for (const auto& [k, v] : malformed_counts(s)) m["malformed." + k] = v;
  m["packets"] = s.packets.get();
  m["wire_bytes"] = s.wire_bytes.get();
  m["flow_packets"] = s.flow_packets.get();
  m["fragments_unmatched"] = s.fragments_unmatched.get();
  m["fragment_evictions"] = s.fragment_evictions.get();
  return m;
}

// Whether the fast path alone takes the frame (a parser of its own, so the pair's counters stay comparable).
bool fast_takes(const Bytes& frame, uint16_t linktype = kLinkEthernet, uint32_t wirelen = 0) {
  static Parser probe;
  RawPacket raw;
  raw.data = frame.data();
  raw.caplen = static_cast<uint32_t>(frame.size());
  raw.wirelen = wirelen != 0 ? wirelen : raw.caplen;
  raw.ts_ns = kT0;
  raw.linktype = linktype;
  raw.ts_digits = 6;
  ParsedPacket out;
  return frame.size() > 0 && probe.fast_path(raw, out);
}

struct Pair {
  ParseHarness fast{with_fast_path(true)};
  ParseHarness general{with_fast_path(false)};
  uint64_t accepted = 0;
  uint64_t fast_taken = 0;

  // Both paths on one frame; returns an assertion naming the frame's length on a difference.
  ::testing::AssertionResult same(const Bytes& frame, uint16_t linktype = kLinkEthernet, uint32_t wirelen = 0) {
    const bool a = fast.parse(frame, linktype, wirelen);
    const bool b = general.parse(frame, linktype, wirelen);
    if (a != b) return ::testing::AssertionFailure() << "accepted by one path only (" << frame.size() << " bytes)";
    if (a && std::memcmp(&fast.out, &general.out, sizeof(ParsedPacket)) != 0) {
      return ::testing::AssertionFailure() << "different ParsedPacket (" << frame.size() << " bytes)";
    }
    accepted += a ? 1 : 0;
    fast_taken += fast_takes(frame, linktype, wirelen) ? 1 : 0;
    return ::testing::AssertionSuccess();
  }
};

std::vector<Bytes> base_frames() {
  return {
      tcp_frame("10.0.0.1", 40000, "10.0.0.2", 80, tcpf::kSyn),
      tcp_frame("10.0.0.2", 80, "10.0.0.1", 40000, tcpf::kAck | tcpf::kPsh, 100),
      eth_ip(ip("192.168.1.9"), ip("192.168.1.1"), 6, tcp(5555, 443, tcpf::kAck, 30, 8)),  // options
      udp_frame("172.16.0.5", 53, "172.16.0.9", 33333, 40),
      udp_frame("172.16.0.9", 33333, "172.16.0.5", 53),
      eth_ip(ip("10.1.1.1"), ip("10.1.1.1"), 17, udp(7, 7, 0)),  // same address, same port
      eth_ip(ip("10.0.0.1"), ip("10.0.0.2"), 6, tcp(1, 2, tcpf::kSyn)) + pattern(6),  // Ethernet padding
      tcp_frame("fd00::1", 40000, "fd00::2", 443, tcpf::kSyn),
      tcp_frame("fd00::2", 443, "fd00::1", 40000, tcpf::kAck | tcpf::kPsh, 100),
      eth_ip(ip("2001:db8::9"), ip("2001:db8::1"), 6, tcp(5555, 443, tcpf::kAck, 30, 8)),  // options
      udp_frame("fd00:1::5", 53, "fd00:1::9", 33333, 40),
      eth_ip(ip("fd00::7"), ip("fd00::7"), 17, udp(7, 7, 0)),                           // same address, same port
      eth_ip(ip("fd00::1"), ip("fd00::2"), 17, udp(1, 2, 0)) + pattern(10),            // Ethernet padding
      // One VLAN tag (802.1Q, 802.1ad, the old 0x9100): the tag names the flow's VLAN.
      eth(0x8100, vlan_tag(0x2007, 0x0800, ipv4(ip("10.0.0.1"), ip("10.0.0.2"), 6, tcp(40000, 80, tcpf::kSyn)))),
      eth(0x88a8, vlan_tag(0x0FFF, 0x86dd, ipv6(ip("fd00::1"), ip("fd00::2"), 17, udp(53, 5353, 12)))),
      eth(0x9100, vlan_tag(0x0001, 0x0800, ipv4(ip("10.9.0.1"), ip("10.9.0.2"), 17, udp(1, 2, 0)))) + pattern(4),
  };
}

TEST(ParserFastPath, MutatedAndTruncatedFramesGiveWhatTheGeneralPathGives) {
  Pair p;
  const uint8_t values[] = {0x00, 0x01, 0x05, 0x06, 0x11, 0x14, 0x1C, 0x20, 0x28, 0x3F, 0x40, 0x45, 0x46,
                            0x50, 0x80, 0x81, 0xA0, 0xF0, 0xFF};
  for (const Bytes& base : base_frames()) {
    ASSERT_TRUE(fast_takes(base));
    ASSERT_TRUE(p.same(base));
    for (size_t len = 0; len <= base.size(); ++len) ASSERT_TRUE(p.same(prefix(base, len)));
    for (uint32_t extra : {1u, 20u, 1500u}) {
      for (size_t len = 14; len <= base.size(); len += 3) {
        ASSERT_TRUE(p.same(prefix(base, len), kLinkEthernet, static_cast<uint32_t>(base.size()) + extra));
      }
    }
    const size_t headers = std::min<size_t>(base.size(), 18 + 40 + 32);
    for (size_t at = 0; at < headers; ++at) {
      for (uint8_t v : values) {
        Bytes m = base;
        m[at] = v;
        ASSERT_TRUE(p.same(m)) << "byte " << at << " = " << int(v);
        m[at] = static_cast<uint8_t>(base[at] + 1);
        ASSERT_TRUE(p.same(m)) << "byte " << at << " + 1";
      }
    }
    ASSERT_TRUE(p.same(base, kLinkRaw));
    ASSERT_TRUE(p.same(vlan_tag(7, 0x0800, Bytes(base.begin() + 14, base.end())), kLinkEthernet));
    // The same packet behind one more VLAN tag: the straight line takes one
    // tag, a second one is the general path's.
    const uint16_t type = static_cast<uint16_t>(base[12] << 8 | base[13]);
    const bool untagged = type == 0x0800 || type == 0x86dd;
    const Bytes tagged = eth(0x8100, vlan_tag(7, type, Bytes(base.begin() + 14, base.end())));
    ASSERT_EQ(fast_takes(tagged), untagged);
    ASSERT_TRUE(p.same(tagged, kLinkEthernet));
  }
  EXPECT_EQ(all_counts(p.fast.parser.stats()), all_counts(p.general.parser.stats()));
  EXPECT_GT(p.fast_taken, 1000u);
  EXPECT_GT(p.accepted, p.fast_taken);  // the mutations reach the general path's own cases too
}

TEST(ParserFastPath, TheCorpusGivesWhatTheGeneralPathGives) {
  const std::filesystem::path corpus = std::filesystem::path(TAPLINE_SOURCE_ROOT) / ".." / "shared" / "pcaps" / "tcpdump-tests";
  if (!std::filesystem::is_directory(corpus)) GTEST_SKIP() << "no corpus at " << corpus;
  Pair p;
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    std::unique_ptr<CaptureFileReader> r;
    try {
      r = CaptureFileReader::open(entry.path().string());
    } catch (const CaptureFileError&) {
      continue;
    }
    ++files;
    for (const ReadPacket& pkt : read_all(*r)) {
      ASSERT_TRUE(p.same(pkt.data, pkt.linktype, pkt.wirelen)) << entry.path();
    }
  }
  EXPECT_GE(files, 700u);
  EXPECT_EQ(all_counts(p.fast.parser.stats()), all_counts(p.general.parser.stats()));
  EXPECT_GT(p.fast_taken, 1000u);
  EXPECT_GT(p.accepted, p.fast_taken);
}

// parse_burst() against parse() one packet at a time: the same packets kept,
// in order, byte for byte, and the same counters, on every frame of the corpus
// and the mutated frames, in bursts of several sizes (so fast-path and
// general-path packets share bursts, and bursts end anywhere).
TEST(ParserFastPath, BurstsGiveWhatSinglePacketsGive) {
  std::vector<ReadPacket> frames;
  const std::filesystem::path corpus = std::filesystem::path(TAPLINE_SOURCE_ROOT) / ".." / "shared" / "pcaps" / "tcpdump-tests";
  if (std::filesystem::is_directory(corpus)) {
    for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
      try {
        auto r = CaptureFileReader::open(entry.path().string());
        for (ReadPacket& pkt : read_all(*r)) frames.push_back(std::move(pkt));
      } catch (const CaptureFileError&) {
      }
    }
  }
  uint64_t ts = kT0;
  for (const Bytes& base : base_frames()) {
    for (size_t len = 0; len <= base.size(); ++len) frames.push_back({prefix(base, len), 0, ts++, kLinkEthernet, 6});
    for (size_t at = 0; at < std::min<size_t>(base.size(), 18 + 40 + 32); ++at) {
      Bytes m = base;
      m[at] = static_cast<uint8_t>(base[at] + 1);
      frames.push_back({m, static_cast<uint32_t>(m.size() + at % 3), ts++, kLinkEthernet, 6});
    }
  }
  ASSERT_GT(frames.size(), 2000u);
  std::vector<RawPacket> raw(frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    const ReadPacket& f = frames[i];
    raw[i].data = f.data.data();
    raw[i].caplen = static_cast<uint32_t>(f.data.size());
    raw[i].wirelen = f.wirelen != 0 ? f.wirelen : raw[i].caplen;
    raw[i].ts_ns = f.ts_ns;
    raw[i].linktype = f.linktype;
    raw[i].ts_digits = f.ts_digits;
  }
  Parser single;
  std::vector<ParsedPacket> want(raw.size());
  size_t kept = 0;
  for (const RawPacket& r : raw) {
    std::memset(&want[kept], 0xA5, sizeof(ParsedPacket));
    kept += single.parse(r, want[kept]) ? 1 : 0;
  }
  ASSERT_GT(kept, 1000u);
  for (uint32_t burst : {1u, 7u, 32u}) {
    Parser bursts;
    std::vector<ParsedPacket> got(raw.size());
    std::memset(static_cast<void*>(got.data()), 0xA5, got.size() * sizeof(ParsedPacket));
    size_t k = 0;
    for (size_t i = 0; i < raw.size(); i += burst) {
      const uint32_t n = static_cast<uint32_t>(std::min<size_t>(burst, raw.size() - i));
      k += bursts.parse_burst(&raw[i], n, &got[k]);
    }
    ASSERT_EQ(k, kept) << "burst " << burst;
    for (size_t i = 0; i < kept; ++i) {
      ASSERT_EQ(std::memcmp(&got[i], &want[i], sizeof(ParsedPacket)), 0) << "burst " << burst << ", packet " << i;
    }
    EXPECT_EQ(all_counts(bursts.stats()), all_counts(single.stats())) << "burst " << burst;
  }
}

}  // namespace
}  // namespace tapline::test
