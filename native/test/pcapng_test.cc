// Capture files, pcapng: sections in both byte orders, several interfaces,
// if_tsresol/if_tsoffset, EPB/SPB, skipped blocks, truncation and corruption.
#include <gtest/gtest.h>

#include "test_util.h"

namespace tapline::test {
namespace {

const Bytes kEth = tcp_frame("10.0.0.1", 1, "10.0.0.2", 2, tcpf::kSyn);
const Bytes kRaw = ipv4(ip("10.0.0.3"), ip("10.0.0.4"), 17, udp(1, 2, 3));
const Bytes kRaw6 = ipv6(ip("::1"), ip("::2"), 17, udp(5, 6));

std::vector<ReadPacket> read_bytes(const Bytes& file, ReadEnd* end = nullptr, std::string* error = nullptr) {
  TempDir dir;
  write_file(dir.file("f.pcapng"), file);
  auto r = CaptureFileReader::open(dir.file("f.pcapng"));
  auto got = read_all(*r);
  if (end != nullptr) *end = r->end();
  if (error != nullptr) *error = r->error();
  return got;
}

// Section 1 (little-endian): Ethernet/us, raw/ns, SLL/2^-10 and an unknown
// block; section 2 (big-endian) starts over with one interface in ms + offset.
Bytes two_sections() {
  PcapngWriter w;
  w.section(false);
  w.interface(kLinkEthernet);
  w.interface(kLinkRaw, 0, 9);
  w.interface(kLinkSll, 0, 0x80 | 10);
  w.enhanced(0, 1700000000ull * 1000000 + 250000, kEth);
  w.block(0x00000BAD, Bytes(20, 0xcc));  // custom block: skipped
  w.enhanced(1, 1700000001ull * kSec + 7, kRaw, 1000);
  w.block(4, Bytes{0, 0, 0, 0});  // name resolution block, end of records only: skipped
  w.enhanced(2, 1700000002ull * 1024 + 512, sll(0x0800, kRaw));
  w.simple(kEth);
  w.section(true);
  w.interface(kLinkIpv6, 0, 3, 100);
  w.enhanced(0, 1700000003123ull, kRaw6);
  return w.data;
}

void expect_two_sections(const std::vector<ReadPacket>& got) {
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].data, kEth);
  EXPECT_EQ(got[0].linktype, kLinkEthernet);
  EXPECT_EQ(got[0].ts_ns, 1700000000ull * kSec + 250000000);
  EXPECT_EQ(got[0].ts_digits, 6);
  EXPECT_EQ(got[1].data, kRaw);
  EXPECT_EQ(got[1].wirelen, 1000u);
  EXPECT_EQ(got[1].linktype, kLinkRaw);
  EXPECT_EQ(got[1].ts_ns, 1700000001ull * kSec + 7);
  EXPECT_EQ(got[1].ts_digits, 9);
  EXPECT_EQ(got[2].linktype, kLinkSll);
  EXPECT_EQ(got[2].ts_ns, 1700000002ull * kSec + 500000000);
  EXPECT_EQ(got[2].ts_digits, 4);  // 2^-10 s needs 4 decimal digits
  EXPECT_EQ(got[3].data, kEth);    // SPB: interface 0, no timestamp
  EXPECT_EQ(got[3].linktype, kLinkEthernet);
  EXPECT_EQ(got[3].ts_ns, 0u);
  EXPECT_EQ(got[4].data, kRaw6);
  EXPECT_EQ(got[4].linktype, kLinkIpv6);
  EXPECT_EQ(got[4].ts_ns, 1700000003123ull * 1000000 + 100 * kSec);
  EXPECT_EQ(got[4].ts_digits, 3);
}

TEST(Pcapng, SectionsInterfacesAndResolutions) {
  ReadEnd end;
  expect_two_sections(read_bytes(two_sections(), &end));
  EXPECT_EQ(end, ReadEnd::kEof);
}

TEST(Pcapng, Gzipped) {
  ReadEnd end;
  expect_two_sections(read_bytes(gzip(two_sections()), &end));
  EXPECT_EQ(end, ReadEnd::kEof);
}

TEST(Pcapng, TimestampResolutions) {
  struct Case {
    uint8_t tsresol;
    uint64_t ticks;
    uint64_t ns;
    uint8_t digits;
  };
  const Case cases[] = {
      {0, 1700000000, 1700000000 * kSec, 0},                               // seconds
      {6, 1700000000000001, 1700000000 * kSec + 1000, 6},                  // microseconds
      {12, 1700000000123456789ull, 1700000000123456ull, 9},               // picoseconds: ticks / 1000
      {0x80 | 32, (1700000000ull << 32) | (1u << 31), 1700000000 * kSec + 500000000, 9},  // NTP-style 2^-32
      {0x80 | 40, (1ull << 39) | (uint64_t{1} << 40), kSec + 500000000, 9},
      {0x80 | 0, 42, 42 * kSec, 0},
  };
  for (const Case& c : cases) {
    PcapngWriter w;
    w.section(c.tsresol % 2 == 0);
    w.interface(kLinkEthernet, 0, c.tsresol);
    w.enhanced(0, c.ticks, kEth);
    const auto got = read_bytes(w.data);
    ASSERT_EQ(got.size(), 1u) << int(c.tsresol);
    EXPECT_EQ(got[0].ts_ns, c.ns) << int(c.tsresol);
    EXPECT_EQ(got[0].ts_digits, c.digits) << int(c.tsresol);
  }
}

TEST(Pcapng, SimplePacketBlockHonoursTheSnaplen) {
  PcapngWriter w;
  w.section(false);
  w.interface(kLinkEthernet, 40);
  w.simple(kEth);
  const auto got = read_bytes(w.data);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, prefix(kEth, 40));
  EXPECT_EQ(got[0].wirelen, kEth.size());
}

TEST(Pcapng, BlocksLargerThanTheChunkBuffer) {
  PcapngWriter w;
  w.section(true);
  w.interface(kLinkRaw);
  w.block(0x40000001, Bytes(3u << 20, 0x11));  // 3 MiB unknown block: streamed past
  const Bytes jumbo = pattern(1500000, 9);     // a 1.5 MB packet: the buffer grows
  w.enhanced(0, 1, jumbo);
  w.enhanced(0, 2, kRaw);
  ReadEnd end;
  for (bool gz : {false, true}) {
    const auto got = read_bytes(gz ? gzip(w.data) : w.data, &end);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].data, jumbo);
    EXPECT_EQ(got[1].data, kRaw);
    EXPECT_EQ(end, ReadEnd::kEof);
  }
}

TEST(Pcapng, TruncatedFileReturnsCompleteBlocks) {
  const Bytes full = two_sections();
  // Cut inside the last EPB, inside its 8-byte block header, and inside section 2's IDB.
  const size_t last_epb = full.size() - (12 + 20 + ((kRaw6.size() + 3) & ~size_t{3}));
  const std::pair<size_t, size_t> cuts[] = {
      {full.size() - 4, 4}, {last_epb + 5, 4}, {last_epb - 30, 4}};
  for (const auto& [cut, packets] : cuts) {
    ReadEnd end;
    std::string error;
    const auto got = read_bytes(prefix(full, cut), &end, &error);
    EXPECT_EQ(got.size(), packets) << cut;
    EXPECT_EQ(end, ReadEnd::kTruncated) << cut << " " << error;
    EXPECT_NE(error.find("file ends inside"), std::string::npos) << error;
  }
}

TEST(Pcapng, CorruptBlocks) {
  struct Case {
    const char* name;
    Bytes file;
    const char* message;  // a part of error()
  };
  auto base = [] {
    PcapngWriter w;
    w.section(false);
    w.interface(kLinkEthernet);
    w.enhanced(0, 1, kEth);
    return w;
  };
  std::vector<Case> cases;
  {
    PcapngWriter w = base();
    w.block(6, Bytes(21, 0));  // total length 33: not a multiple of 4
    cases.push_back({"length%4", w.data, "block type 0x00000006 length 33 is not a multiple of 4"});
  }
  {
    PcapngWriter w = base();
    w.block(6, Bytes(8, 0));
    cases.push_back({"short EPB", w.data, "length 20 is below the 32-byte minimum"});
  }
  {
    PcapngWriter w = base();
    w.enhanced(0, 2, kEth);
    w.data[w.data.size() - 1] ^= 0x01;  // trailing length (little-endian: the high byte)
    cases.push_back({"trailer", w.data, "trailing length"});
  }
  {
    PcapngWriter w = base();
    Bytes body;
    w.b32(body, 0);
    w.b32(body, 0);
    w.b32(body, 0);
    w.b32(body, 100);  // caplen 100 in a 40-byte block
    w.b32(body, 100);
    append(body, Bytes(8, 0));
    w.block(6, body);
    cases.push_back({"EPB caplen", w.data, "enhanced packet caplen 100 exceeds the block's 8 data bytes"});
  }
  {
    PcapngWriter w = base();
    w.enhanced(1, 2, kEth);
    cases.push_back({"interface id", w.data, "packet refers to interface 1 but the section has 1"});
  }
  {
    PcapngWriter w = base();
    w.section(true);
    w.enhanced(0, 2, kEth);  // the new section has no interfaces yet
    cases.push_back({"reset interfaces", w.data, "packet refers to interface 0 but the section has 0"});
  }
  {
    PcapngWriter w = base();
    w.section(false);
    w.simple(kEth);
    cases.push_back({"SPB first", w.data, "simple packet block before any interface description"});
  }
  {
    PcapngWriter w = base();
    w.section(false);
    w.data[w.data.size() - 28 + 8] = 0x77;  // the second section's byte-order magic
    cases.push_back({"BOM", w.data, "section header has a bad byte-order magic"});
  }
  {
    PcapngWriter w = base();
    w.section(false);
    w.data[w.data.size() - 28 + 12] = 2;  // major version 2
    cases.push_back({"version", w.data, "unsupported pcapng version 2.0"});
  }
  {
    PcapngWriter w = base();
    w.interface(kLinkEthernet, 0, 20);
    cases.push_back({"tsresol", w.data, "unsupported if_tsresol 10^-20"});
  }
  {
    PcapngWriter w = base();
    Bytes body;
    w.b16(body, kLinkEthernet);
    w.b16(body, 0);
    w.b32(body, 0);
    w.b16(body, 2);   // if_name
    w.b16(body, 40);  // longer than the block
    append(body, Bytes(8, 'x'));
    w.block(1, body);
    cases.push_back({"option", w.data, "interface option 2 (length 40) runs past the end of the block"});
  }
  for (const Case& c : cases) {
    ReadEnd end;
    std::string error;
    const auto got = read_bytes(c.file, &end, &error);
    ASSERT_EQ(got.size(), 1u) << c.name;
    EXPECT_EQ(got[0].data, kEth) << c.name;
    EXPECT_EQ(end, ReadEnd::kCorrupt) << c.name;
    EXPECT_NE(error.find(c.message), std::string::npos) << c.name << ": " << error;
  }
}

TEST(Pcapng, OpenErrors) {
  TempDir dir;
  PcapngWriter w;
  w.section(false);
  w.data[8] = 0;  // byte-order magic
  write_file(dir.file("bom.pcapng"), w.data);
  EXPECT_EQ(open_error(dir.file("bom.pcapng")),
            "cannot open capture file '" + dir.file("bom.pcapng") +
                "': pcapng block 1 at offset 0: section header has a bad byte-order magic 0x003c2b1a");
  PcapngWriter ok;
  ok.section(true);
  write_file(dir.file("cut.pcapng"), prefix(ok.data, 10));
  EXPECT_EQ(open_error(dir.file("cut.pcapng")),
            "cannot open capture file '" + dir.file("cut.pcapng") +
                "': pcapng file ends inside the header of block 1 at offset 0 (10 of 12 bytes)");
}

}  // namespace
}  // namespace tapline::test
