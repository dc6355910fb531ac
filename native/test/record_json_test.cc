// format_rfc3339 (digits 0..9, leap years, the ends of the range) checked
// against fixed strings and against libc's gmtime_r, and the JSON record.
#include <gtest/gtest.h>

#include <ctime>
#include <string>

#include "flow/community_id.h"
#include "flow/record_json.h"
#include "test_util.h"

namespace tapline::test {
namespace {

std::string rfc3339(uint64_t ts_ns, int digits) {
  char buf[64];
  std::memset(buf, '#', sizeof buf);
  const size_t n = format_rfc3339(ts_ns, digits, buf);
  EXPECT_EQ(buf[n], '#') << "wrote past the returned length";
  return std::string(buf, n);
}

TEST(Rfc3339, FractionDigits) {
  const uint64_t t = 1767323045ull * kSec + 123456789;  // 2026-01-02T03:04:05.123456789Z
  EXPECT_EQ(rfc3339(t, 0), "2026-01-02T03:04:05Z");
  EXPECT_EQ(rfc3339(t, 3), "2026-01-02T03:04:05.123Z");
  EXPECT_EQ(rfc3339(t, 6), "2026-01-02T03:04:05.123456Z");
  EXPECT_EQ(rfc3339(t, 9), "2026-01-02T03:04:05.123456789Z");
  EXPECT_EQ(rfc3339(t, 12), "2026-01-02T03:04:05.123456789Z");  // clamped to 9
  EXPECT_EQ(rfc3339(t, -1), "2026-01-02T03:04:05Z");
  // Truncated, never rounded up into the next second; leading zeros kept.
  EXPECT_EQ(rfc3339(1767323045ull * kSec + 999999999, 3), "2026-01-02T03:04:05.999Z");
  EXPECT_EQ(rfc3339(1767323045ull * kSec + 1000, 6), "2026-01-02T03:04:05.000001Z");
  EXPECT_EQ(rfc3339(1767323045ull * kSec + 7, 9), "2026-01-02T03:04:05.000000007Z");
}

TEST(Rfc3339, CalendarEdges) {
  EXPECT_EQ(rfc3339(0, 3), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(rfc3339(951782399ull * kSec, 0), "2000-02-28T23:59:59Z");  // 2000: divisible by 400, leap
  EXPECT_EQ(rfc3339(951782400ull * kSec, 0), "2000-02-29T00:00:00Z");
  EXPECT_EQ(rfc3339(951868800ull * kSec, 0), "2000-03-01T00:00:00Z");
  EXPECT_EQ(rfc3339(978307199ull * kSec, 0), "2000-12-31T23:59:59Z");  // day 366 of 2000
  EXPECT_EQ(rfc3339(1709164800ull * kSec, 0), "2024-02-29T00:00:00Z");
  EXPECT_EQ(rfc3339(1677628799ull * kSec, 0), "2023-02-28T23:59:59Z");  // 2023: not leap
  EXPECT_EQ(rfc3339(1677628800ull * kSec, 0), "2023-03-01T00:00:00Z");
  EXPECT_EQ(rfc3339(2147483648ull * kSec, 0), "2038-01-19T03:14:08Z");  // past 2^31 s
  EXPECT_EQ(rfc3339(4107542399ull * kSec, 0), "2100-02-28T23:59:59Z");  // 2100: divisible by 100, not leap
  EXPECT_EQ(rfc3339(4107542400ull * kSec, 0), "2100-03-01T00:00:00Z");
  EXPECT_EQ(rfc3339(UINT64_MAX, 9), "2554-07-21T23:34:33.709551615Z");  // the largest ns timestamp
}

// Every day boundary +-1 s over 1970..2554 in ~97-day steps, against libc.
TEST(Rfc3339, AgreesWithGmtime) {
  for (uint64_t day = 0; day < 213503; day += 97) {
    for (int64_t delta : {-1, 0, 1, 43210}) {
      const int64_t secs = static_cast<int64_t>(day) * 86400 + delta;
      if (secs < 0) continue;
      const time_t tt = static_cast<time_t>(secs);
      tm parts{};
      ASSERT_NE(gmtime_r(&tt, &parts), nullptr);
      char want[64];
      strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &parts);
      ASSERT_EQ(rfc3339(static_cast<uint64_t>(secs) * kSec, 0), want) << secs;
    }
  }
}

TEST(RecordJson, OneRecordFromTheInitiatorsView) {
  Parser p;
  CollectingSink sink;
  FlowTable table(64, FlowTimeouts{}, sink);
  RawPacket raw;
  const Bytes syn = eth(0x8100, vlan_tag(7, 0x0800, ipv4(ip("10.0.0.9"), ip("10.0.0.1"), 6, tcp(40000, 80, tcpf::kSyn))));
  raw.data = syn.data();
  raw.caplen = raw.wirelen = static_cast<uint32_t>(syn.size());
  raw.ts_ns = 1767323045ull * kSec + 123456789;
  raw.ts_digits = 3;
  ParsedPacket pk;
  ASSERT_TRUE(p.parse(raw, pk));
  table.process_burst(&pk, 1);
  table.flush(EndReason::kEof, raw.ts_ns);
  ASSERT_EQ(sink.records.size(), 1u);
  std::string json;
  append_record_json(sink.records[0], json);
  char cid[32];
  const std::string id(cid, community_id(sink.records[0], 0, cid));
  EXPECT_EQ(json,
            "{\"srcAddr\":\"10.0.0.9\",\"dstAddr\":\"10.0.0.1\",\"srcPort\":40000,\"dstPort\":80,\"proto\":6,"
            "\"ipVersion\":4,\"vlan\":7,\"packets\":1,\"bytes\":40,\"revPackets\":0,\"revBytes\":0,"
            "\"tcpFlags\":2,\"revTcpFlags\":0,\"start\":\"2026-01-02T03:04:05.123Z\","
            "\"end\":\"2026-01-02T03:04:05.123Z\",\"endReason\":\"eof\",\"communityId\":\"" +
                id + "\",\"tcpRetransmits\":0,\"revTcpRetransmits\":0}\n");
}

}  // namespace
}  // namespace tapline::test
