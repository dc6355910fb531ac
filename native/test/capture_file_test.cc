// Capture files, classic pcap: both byte orders, micro- and nanosecond
// timestamps, gzip, truncation and corruption, and the open() errors.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "test_util.h"

namespace tapline::test {
namespace {

const Bytes kPkt1 = tcp_frame("10.0.0.1", 1, "10.0.0.2", 2, tcpf::kSyn);
const Bytes kPkt2 = udp_frame("2001:db8::1", 53, "2001:db8::2", 5353, 100);
const Bytes kPkt3 = pattern(60, 0x40);

// Three packets; the second one cut by a 64-byte snaplen (wirelen kept).
Bytes three_packets(bool be, bool nanos) {
  PcapWriter w(be, nanos, kLinkEthernet, 64);
  w.add(1700000000, nanos ? 123456789 : 123456, kPkt1);
  w.add(1700000001, nanos ? 999999999 : 999999, prefix(kPkt2, 64), static_cast<uint32_t>(kPkt2.size()));
  w.add(1700000002, 0, kPkt3);
  return w.data;
}

void expect_three(const std::vector<ReadPacket>& got, bool nanos) {
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].data, kPkt1);
  EXPECT_EQ(got[0].wirelen, kPkt1.size());
  EXPECT_EQ(got[0].ts_ns, 1700000000 * kSec + (nanos ? 123456789 : 123456000));
  EXPECT_EQ(got[1].data, prefix(kPkt2, 64));
  EXPECT_EQ(got[1].wirelen, kPkt2.size());
  EXPECT_EQ(got[1].ts_ns, 1700000001 * kSec + (nanos ? 999999999 : 999999000));
  EXPECT_EQ(got[2].data, kPkt3);
  EXPECT_EQ(got[2].ts_ns, 1700000002 * kSec);
  for (const ReadPacket& p : got) {
    EXPECT_EQ(p.linktype, kLinkEthernet);
    EXPECT_EQ(p.ts_digits, nanos ? 9 : 6);
  }
}

class PcapTest : public ::testing::TestWithParam<std::tuple<bool, bool, bool>> {};

// (big-endian writer, nanosecond magic, gzip)
TEST_P(PcapTest, ReadsEveryPacket) {
  const auto [be, nanos, gz] = GetParam();
  TempDir dir;
  const std::string path = dir.file("three.pcap");
  write_file(path, gz ? gzip(three_packets(be, nanos)) : three_packets(be, nanos));
  auto r = CaptureFileReader::open(path);
  expect_three(read_all(*r), nanos);
  EXPECT_EQ(r->end(), ReadEnd::kEof);
  EXPECT_EQ(r->error(), "");
  RawPacket p;
  EXPECT_FALSE(r->next(p));  // stays at the end
  EXPECT_GT(r->file_size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(AllVariants, PcapTest,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool(), ::testing::Bool()));

TEST(Pcap, LinkTypeIgnoresFcsBitsAndHeaderOnlyFileIsEmpty) {
  TempDir dir;
  PcapWriter w(false, false, 0x10000000u | kLinkSll2);  // FCS-present bits above the link type
  write_file(dir.file("a.pcap"), w.data);
  auto r = CaptureFileReader::open(dir.file("a.pcap"));
  RawPacket p;
  EXPECT_FALSE(r->next(p));
  EXPECT_EQ(r->end(), ReadEnd::kEof);
  w.add(5, 6, kPkt3);
  write_file(dir.file("b.pcap"), w.data);
  auto rb = CaptureFileReader::open(dir.file("b.pcap"));
  const auto got = read_all(*rb);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].linktype, kLinkSll2);
  EXPECT_EQ(got[0].ts_ns, 5 * kSec + 6000);
}

TEST(Pcap, ManyPacketsAcrossChunkRefills) {
  // ~3 MiB: several refills of the 1 MiB chunk, records straddling its end.
  TempDir dir;
  PcapWriter w(true, true, kLinkRaw);
  std::vector<Bytes> sent;
  for (uint32_t i = 0; i < 4000; ++i) {
    sent.push_back(pattern(1 + (i * 7919) % 1500, static_cast<uint8_t>(i)));
    w.add(i, i, sent.back());
  }
  for (bool gz : {false, true}) {
    write_file(dir.file("big"), gz ? gzip(w.data) : w.data);
    auto r = CaptureFileReader::open(dir.file("big"));
    const auto got = read_all(*r);
    ASSERT_EQ(got.size(), sent.size());
    for (size_t i = 0; i < sent.size(); ++i) {
      ASSERT_EQ(got[i].data, sent[i]) << i;
      ASSERT_EQ(got[i].ts_ns, i * kSec + i);
    }
    EXPECT_EQ(r->end(), ReadEnd::kEof);
    if (gz) {
      EXPECT_EQ(r->bytes_read(), r->file_size());
    }
  }
}

TEST(Pcap, TruncatedInsideARecordReturnsEveryCompletePacket) {
  TempDir dir;
  const Bytes full = three_packets(false, false);
  // Cut in the third record's data, then in its header.
  for (size_t cut : {full.size() - 1, full.size() - kPkt3.size() - 10}) {
    write_file(dir.file("cut.pcap"), prefix(full, cut));
    auto r = CaptureFileReader::open(dir.file("cut.pcap"));
    const auto got = read_all(*r);
    ASSERT_EQ(got.size(), 2u) << cut;
    EXPECT_EQ(got[1].data, prefix(kPkt2, 64));
    EXPECT_EQ(r->end(), ReadEnd::kTruncated) << cut;
    EXPECT_NE(r->error().find("record 3"), std::string::npos) << r->error();
  }
  // The same, compressed, and a gzip stream cut short between records.
  write_file(dir.file("cut.pcap.gz"), gzip(prefix(full, full.size() - 1)));
  auto r = CaptureFileReader::open(dir.file("cut.pcap.gz"));
  EXPECT_EQ(read_all(*r).size(), 2u);
  EXPECT_EQ(r->end(), ReadEnd::kTruncated);
  const Bytes gz = gzip(full);
  write_file(dir.file("short.pcap.gz"), prefix(gz, gz.size() - 8));  // no trailer (CRC, size)
  auto rs = CaptureFileReader::open(dir.file("short.pcap.gz"));
  const auto got = read_all(*rs);
  EXPECT_EQ(rs->end(), ReadEnd::kTruncated) << rs->error();
  EXPECT_LE(got.size(), 3u);
}

TEST(Pcap, AbsurdCaplenIsCorrupt) {
  TempDir dir;
  PcapWriter w(false, false, kLinkEthernet);
  w.add(1, 0, kPkt1);
  w.record_header(2, 0, 0x7fffffff, 60);
  append(w.data, Bytes(100, 0));
  write_file(dir.file("bad.pcap"), w.data);
  auto r = CaptureFileReader::open(dir.file("bad.pcap"));
  const auto got = read_all(*r);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, kPkt1);
  EXPECT_EQ(r->end(), ReadEnd::kCorrupt);
  const std::string offset = std::to_string(24 + 16 + kPkt1.size());
  EXPECT_EQ(r->error(), "record 2 at offset " + offset + ": caplen 2147483647 exceeds the 262144-byte limit");
}

TEST(Pcap, WirelenBelowCaplenIsRaised) {
  TempDir dir;
  PcapWriter w(false, false, kLinkEthernet);
  w.record_header(1, 0, static_cast<uint32_t>(kPkt1.size()), 10);
  append(w.data, kPkt1);
  write_file(dir.file("w.pcap"), w.data);
  auto r = CaptureFileReader::open(dir.file("w.pcap"));
  const auto got = read_all(*r);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].wirelen, kPkt1.size());
}

TEST(CaptureFileOpen, ErrorsNameThePathAndTheReason) {
  TempDir dir;
  const std::string missing = dir.file("nope.pcap");
  EXPECT_EQ(open_error(missing), "cannot open capture file '" + missing + "': no such file");
  EXPECT_EQ(open_error(dir.path().string()), "cannot open capture file '" + dir.path().string() + "': a directory");
  write_file(dir.file("empty.pcap"), {});
  EXPECT_EQ(open_error(dir.file("empty.pcap")), "cannot open capture file '" + dir.file("empty.pcap") + "': empty file");
  write_file(dir.file("text.pcap"), Bytes{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '\n'});
  EXPECT_EQ(open_error(dir.file("text.pcap")),
            "cannot open capture file '" + dir.file("text.pcap") + "': not a pcap or pcapng file (magic 0x68656c6c)");
  write_file(dir.file("one"), Bytes{0xd4});
  EXPECT_EQ(open_error(dir.file("one")), "cannot open capture file '" + dir.file("one") + "': not a pcap or pcapng file (only 1 byte)");
  write_file(dir.file("three"), Bytes{0xd4, 0xc3, 0xb2});
  EXPECT_EQ(open_error(dir.file("three")),
            "cannot open capture file '" + dir.file("three") + "': not a pcap or pcapng file (only 3 bytes)");
  // A pcap magic with a cut file header.
  write_file(dir.file("hdr.pcap"), prefix(three_packets(false, false), 10));
  EXPECT_EQ(open_error(dir.file("hdr.pcap")),
            "cannot open capture file '" + dir.file("hdr.pcap") + "': truncated pcap file header (10 of 24 bytes)");
  // The magic is looked for after decompression: gzip of text is still not a capture.
  write_file(dir.file("text.gz"), gzip(Bytes{'G', 'I', 'F', '8', '9', 'a'}));
  EXPECT_EQ(open_error(dir.file("text.gz")),
            "cannot open capture file '" + dir.file("text.gz") + "': not a pcap or pcapng file (magic 0x47494638)");
  // A gzip stream that ends before it produced 4 bytes.
  write_file(dir.file("tiny.gz"), gzip(Bytes{0xd4, 0xc3}));
  EXPECT_EQ(open_error(dir.file("tiny.gz")),
            "cannot open capture file '" + dir.file("tiny.gz") + "': not a pcap or pcapng file (only 2 bytes)");
}

TEST(CaptureFileOpen, UnreadableFile) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads any file";
  TempDir dir;
  write_file(dir.file("locked.pcap"), three_packets(false, false));
  chmod(dir.file("locked.pcap").c_str(), 0);
  EXPECT_EQ(open_error(dir.file("locked.pcap")),
            "cannot open capture file '" + dir.file("locked.pcap") + "': permission denied");
}

}  // namespace
}  // namespace tapline::test
