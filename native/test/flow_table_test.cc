// FlowTable: bidirectional accounting, the initiator, idle/active timeouts,
// TCP FIN/RST close with the linger, port reuse, eviction and flushing.
// Packets are parsed from raw bytes, as a worker would hand them over.
#include <gtest/gtest.h>

#include "flow/flow_hash.h"
#include "test_util.h"

namespace tapline::test {
namespace {

using tcpf::kAck;
using tcpf::kFin;
using tcpf::kRst;
using tcpf::kSyn;

constexpr uint64_t kMs = 1000000ull;

class FlowTableTest : public ::testing::Test {
 protected:
  FlowTableTest() { make_table(1024); }

  void make_table(uint32_t capacity) {
    table_ = std::make_unique<FlowTable>(capacity, timeouts_, sink_, /*worker_id=*/3);
  }

  // Client 10.0.0.9:40000 <-> server 10.0.0.1:80 (the client sorts as side B).
  Bytes c2s(uint8_t flags, size_t payload = 0) { return tcp_frame("10.0.0.9", 40000, "10.0.0.1", 80, flags, payload); }
  Bytes s2c(uint8_t flags, size_t payload = 0) { return tcp_frame("10.0.0.1", 80, "10.0.0.9", 40000, flags, payload); }

  // Accounts one packet at `t` and advances the clock, as a worker does per burst.
  void feed(const Bytes& frame, uint64_t t) {
    const ParsedPacket p = must_parse(parser_, frame, t);
    table_->process_burst(&p, 1);
    table_->advance(t);
  }
  const std::vector<FlowRecord>& records() const { return sink_.records; }

  FlowTimeouts timeouts_{/*idle*/ 15 * kSec, /*active*/ 60 * kSec, /*linger*/ 2 * kSec};
  Parser parser_;
  CollectingSink sink_;
  std::unique_ptr<FlowTable> table_;
};

TEST_F(FlowTableTest, CountsBothDirectionsAndTheInitiator) {
  feed(c2s(kSyn), kT0);
  feed(s2c(kSyn | kAck), kT0 + 1 * kMs);
  feed(c2s(kAck, 100), kT0 + 2 * kMs);
  feed(s2c(kAck, 1000), kT0 + 3 * kMs);
  feed(s2c(kAck | tcpf::kPsh, 1000), kT0 + 4 * kMs);
  EXPECT_TRUE(records().empty());
  table_->flush(EndReason::kShutdown, kT0 + 5 * kMs);
  ASSERT_EQ(records().size(), 1u);
  const FlowRecord& r = records()[0];
  EXPECT_EQ(key_addr(r.key.addr_a, 4), "10.0.0.1");
  EXPECT_EQ(r.initiator, kSideB);  // the client spoke first
  EXPECT_EQ(r.packets[kSideB], 2u);
  EXPECT_EQ(r.packets[kSideA], 3u);
  EXPECT_EQ(r.bytes[kSideB], 40u + 140);
  EXPECT_EQ(r.bytes[kSideA], 40u + 1040 + 1040);
  EXPECT_EQ(r.tcp_flags[kSideB], kSyn | kAck);
  EXPECT_EQ(r.tcp_flags[kSideA], kSyn | kAck | tcpf::kPsh);
  EXPECT_EQ(r.first_ns, kT0);
  EXPECT_EQ(r.last_ns, kT0 + 4 * kMs);
  EXPECT_EQ(r.reason, EndReason::kShutdown);
  EXPECT_EQ(r.worker, 3);
  EXPECT_EQ(r.ts_digits, 6);  // from the capture (RawPacket's default)
  EXPECT_EQ(table_->stats().created.get(), 1u);
  EXPECT_EQ(table_->stats().exported.get(), 1u);
  EXPECT_EQ(table_->stats().active.get(), 0u);
}

TEST_F(FlowTableTest, ServerFirstMakesTheServerTheInitiator) {
  feed(s2c(kAck, 10), kT0);
  feed(c2s(kAck), kT0 + kMs);
  table_->flush(EndReason::kEof, kT0 + kMs);
  ASSERT_EQ(records().size(), 1u);
  EXPECT_EQ(records()[0].initiator, kSideA);
  EXPECT_EQ(records()[0].reason, EndReason::kEof);
}

TEST_F(FlowTableTest, IdleTimeoutExportsOnAdvance) {
  feed(udp_frame("192.168.1.5", 5353, "224.0.0.251", 5353, 20), kT0);
  feed(udp_frame("192.168.1.5", 5353, "224.0.0.251", 5353, 20), kT0 + 5 * kSec);
  table_->advance(kT0 + 5 * kSec + timeouts_.idle_ns - kSec);
  EXPECT_TRUE(records().empty());
  EXPECT_EQ(table_->stats().active.get(), 1u);
  table_->advance(kT0 + 5 * kSec + timeouts_.idle_ns + kSec);
  ASSERT_EQ(records().size(), 1u);
  EXPECT_EQ(records()[0].reason, EndReason::kIdle);
  EXPECT_EQ(records()[0].packets[records()[0].initiator], 2u);
  EXPECT_EQ(records()[0].last_ns, kT0 + 5 * kSec);
  EXPECT_EQ(table_->stats().active.get(), 0u);
  // The same tuple later is a new flow.
  feed(udp_frame("192.168.1.5", 5353, "224.0.0.251", 5353, 20), kT0 + 60 * kSec);
  EXPECT_EQ(table_->stats().created.get(), 2u);
}

TEST_F(FlowTableTest, IdleGapCutsTheFlowWhenThePacketArrivesFirst) {
  // No advance() in between: the next packet itself finds the flow idle.
  const ParsedPacket a = must_parse(parser_, c2s(kAck, 1), kT0);
  const ParsedPacket b = must_parse(parser_, s2c(kAck, 1), kT0 + timeouts_.idle_ns + kSec);
  table_->process_burst(&a, 1);
  table_->process_burst(&b, 1);
  ASSERT_EQ(records().size(), 1u);
  EXPECT_EQ(records()[0].reason, EndReason::kIdle);
  EXPECT_EQ(records()[0].initiator, kSideB);
  table_->flush(EndReason::kShutdown, kT0 + timeouts_.idle_ns + kSec);
  ASSERT_EQ(records().size(), 2u);
  EXPECT_EQ(records()[1].initiator, kSideA);
  EXPECT_EQ(records()[1].packets[kSideA], 1u);
  EXPECT_EQ(table_->stats().created.get(), 2u);
}

TEST_F(FlowTableTest, ActiveTimeoutExportsAndTheFlowContinues) {
  uint64_t t = kT0;
  feed(c2s(kSyn), t);
  feed(s2c(kSyn | kAck), t + kMs);
  // A packet every 10 s (never idle) for 90 s; the active timeout is 60 s.
  int sent = 2;
  for (t = kT0 + 10 * kSec; t <= kT0 + 90 * kSec; t += 10 * kSec, ++sent) {
    feed(sent % 2 == 0 ? s2c(kAck, 100) : c2s(kAck, 100), t);  // t = +70 s is from the server
  }
  ASSERT_EQ(records().size(), 1u);
  const FlowRecord first = records()[0];
  EXPECT_EQ(first.reason, EndReason::kActive);
  EXPECT_EQ(first.first_ns, kT0);
  EXPECT_EQ(first.last_ns, kT0 + 60 * kSec);
  EXPECT_EQ(first.packets[0] + first.packets[1], 8u);  // SYN, SYN-ACK, +10 .. +60
  EXPECT_EQ(first.initiator, kSideB);
  table_->flush(EndReason::kShutdown, kT0 + 90 * kSec);
  ASSERT_EQ(records().size(), 2u);
  const FlowRecord& rest = records()[1];
  EXPECT_TRUE(rest.key == first.key);
  EXPECT_EQ(rest.reason, EndReason::kShutdown);
  EXPECT_EQ(rest.first_ns, kT0 + 70 * kSec);
  EXPECT_EQ(rest.packets[0] + rest.packets[1], 3u);
  // The continuation keeps the connection's direction (RFC 5103 source).
  EXPECT_EQ(rest.initiator, kSideB);
  EXPECT_EQ(table_->stats().created.get(), 1u);  // one flow, two records
  EXPECT_EQ(table_->stats().exported.get(), 2u);
}

TEST_F(FlowTableTest, CloseSpanningAnActiveCutIsStillAClose) {
  feed(c2s(kSyn), kT0);
  for (uint64_t t = 10; t <= 50; t += 10) feed(c2s(kAck), kT0 + t * kSec);  // never idle
  feed(c2s(kFin | kAck), kT0 + 55 * kSec);  // client FIN before the active timeout...
  feed(s2c(kFin | kAck), kT0 + 61 * kSec);  // ...server FIN after it: the connection is closed
  ASSERT_EQ(records().size(), 1u);
  EXPECT_EQ(records()[0].reason, EndReason::kActive);
  table_->advance(kT0 + 61 * kSec + timeouts_.linger_ns + kSec);
  ASSERT_EQ(records().size(), 2u);
  EXPECT_EQ(records()[1].reason, EndReason::kFin);
  EXPECT_EQ(records()[1].initiator, kSideB);
  EXPECT_EQ(records()[1].packets[kSideA], 1u);
}

TEST_F(FlowTableTest, FinFinCloseKeepsTrailingAckAndEndsAfterTheLinger) {
  feed(c2s(kSyn), kT0);
  feed(s2c(kSyn | kAck), kT0 + 1 * kMs);
  feed(c2s(kAck), kT0 + 2 * kMs);
  feed(c2s(kFin | kAck), kT0 + 100 * kMs);
  feed(s2c(kFin | kAck), kT0 + 101 * kMs);
  feed(c2s(kAck), kT0 + 102 * kMs);  // the last ACK, inside the linger
  EXPECT_TRUE(records().empty());
  table_->advance(kT0 + 101 * kMs + timeouts_.linger_ns - kMs);
  EXPECT_TRUE(records().empty());
  // Ends when the linger is over, long before the idle timeout.
  table_->advance(kT0 + 101 * kMs + timeouts_.linger_ns + 500 * kMs);
  ASSERT_EQ(records().size(), 1u);
  const FlowRecord& r = records()[0];
  EXPECT_EQ(r.reason, EndReason::kFin);
  EXPECT_EQ(r.packets[kSideB], 4u);
  EXPECT_EQ(r.packets[kSideA], 2u);
  EXPECT_EQ(r.last_ns, kT0 + 102 * kMs);
  EXPECT_EQ(table_->stats().created.get(), 1u);
}

TEST_F(FlowTableTest, OneFinIsNotAClose) {
  feed(c2s(kSyn), kT0);
  feed(c2s(kFin | kAck), kT0 + kSec);
  feed(c2s(kFin | kAck), kT0 + 2 * kSec);  // retransmitted FIN, same side
  table_->advance(kT0 + 2 * kSec + timeouts_.linger_ns + kSec);
  EXPECT_TRUE(records().empty());
  table_->advance(kT0 + 2 * kSec + timeouts_.idle_ns + kSec);
  ASSERT_EQ(records().size(), 1u);
  EXPECT_EQ(records()[0].reason, EndReason::kIdle);
}

TEST_F(FlowTableTest, RstClosesTheFlow) {
  feed(c2s(kSyn), kT0);
  feed(s2c(kRst | kAck), kT0 + kMs);
  feed(c2s(kSyn), kT0 + 500 * kMs);  // a retry: a new connection, not part of the reset one
  ASSERT_EQ(records().size(), 1u);
  EXPECT_EQ(records()[0].reason, EndReason::kRst);
  EXPECT_EQ(records()[0].packets[0] + records()[0].packets[1], 2u);
  EXPECT_EQ(records()[0].tcp_flags[kSideA], kRst | kAck);
  feed(s2c(kRst | kAck), kT0 + 501 * kMs);
  table_->advance(kT0 + 501 * kMs + timeouts_.linger_ns + kSec);
  ASSERT_EQ(records().size(), 2u);
  EXPECT_EQ(records()[1].reason, EndReason::kRst);
  EXPECT_EQ(records()[1].first_ns, kT0 + 500 * kMs);
  EXPECT_EQ(table_->stats().created.get(), 2u);
}

TEST_F(FlowTableTest, FreshSynAfterCloseStartsANewFlow) {
  feed(c2s(kSyn), kT0);
  feed(s2c(kSyn | kAck), kT0 + kMs);
  feed(c2s(kFin | kAck), kT0 + 2 * kMs);
  feed(s2c(kFin | kAck), kT0 + 3 * kMs);
  // Port reuse inside the linger: the SYN ends the old flow at once.
  feed(c2s(kSyn), kT0 + 10 * kMs);
  ASSERT_EQ(records().size(), 1u);
  EXPECT_EQ(records()[0].reason, EndReason::kFin);
  EXPECT_EQ(records()[0].last_ns, kT0 + 3 * kMs);
  // A SYN-ACK is a trailing packet, not a fresh SYN.
  feed(s2c(kSyn | kAck), kT0 + 11 * kMs);
  table_->flush(EndReason::kEof, kT0 + 12 * kMs);
  ASSERT_EQ(records().size(), 2u);
  EXPECT_EQ(records()[1].reason, EndReason::kEof);
  EXPECT_EQ(records()[1].initiator, kSideB);
  EXPECT_EQ(records()[1].packets[kSideB], 1u);
  EXPECT_EQ(records()[1].packets[kSideA], 1u);
  EXPECT_EQ(table_->stats().created.get(), 2u);
}

TEST_F(FlowTableTest, FlushReportsClosedAndIdleFlowsAsSuch) {
  // No advance(): the input stops and flush() alone decides each reason.
  auto account = [&](const Bytes& f, uint64_t t) {
    const ParsedPacket p = must_parse(parser_, f, t);
    table_->process_burst(&p, 1);
  };
  account(udp_frame("10.1.0.1", 1, "10.1.0.2", 2), kT0);              // idle by the flush time
  account(c2s(kSyn), kT0 + 10 * kSec);                                 // closed by FIN+FIN
  account(s2c(kFin | kAck), kT0 + 10 * kSec + kMs);
  account(c2s(kFin | kAck), kT0 + 10 * kSec + 2 * kMs);
  account(udp_frame("10.1.0.3", 3, "10.1.0.4", 4), kT0 + 16 * kSec);  // live
  table_->flush(EndReason::kShutdown, kT0 + 16 * kSec);
  ASSERT_EQ(records().size(), 3u);
  std::map<int, EndReason> by_proto_port;
  for (const FlowRecord& r : records()) by_proto_port[r.key.port_a] = r.reason;
  EXPECT_EQ(by_proto_port[1], EndReason::kIdle);
  EXPECT_EQ(by_proto_port[80], EndReason::kFin);
  EXPECT_EQ(by_proto_port[3], EndReason::kShutdown);
  EXPECT_EQ(table_->stats().active.get(), 0u);
  table_->flush(EndReason::kShutdown, kT0 + 17 * kSec);  // nothing left
  EXPECT_EQ(records().size(), 3u);
}

TEST_F(FlowTableTest, PoolFullEvictsAndCountsIt) {
  make_table(16);
  ASSERT_EQ(table_->capacity(), 16u);
  for (int i = 0; i < 16; ++i) feed(udp_frame("10.2.0.1", static_cast<uint16_t>(1000 + i), "10.2.0.2", 53), kT0 + i * kMs);
  EXPECT_TRUE(records().empty());
  EXPECT_EQ(table_->stats().active.get(), 16u);
  feed(udp_frame("10.2.0.1", 2000, "10.2.0.2", 53), kT0 + 100 * kMs);
  ASSERT_EQ(records().size(), 1u);
  EXPECT_EQ(records()[0].reason, EndReason::kEvicted);
  EXPECT_NE(records()[0].key.port_a, 2000);
  EXPECT_EQ(table_->stats().evicted.get(), 1u);
  EXPECT_EQ(table_->stats().active.get(), 16u);
  EXPECT_EQ(table_->stats().created.get(), 17u);
  // Nothing was lost: every packet is in exactly one record.
  table_->flush(EndReason::kEof, kT0 + 101 * kMs);
  ASSERT_EQ(records().size(), 17u);
  uint64_t packets = 0;
  for (const FlowRecord& r : records()) packets += r.packets[0] + r.packets[1];
  EXPECT_EQ(packets, 17u);
}

// The victim is the flow nearest its idle deadline, not merely the first
// slotted: a flow refreshed since it was slotted is skipped (and re-slotted).
TEST_F(FlowTableTest, PoolFullEvictsTheStalestFlowNotARefreshedOne) {
  make_table(16);
  for (int i = 0; i < 16; ++i) feed(udp_frame("10.2.0.1", static_cast<uint16_t>(1000 + i), "10.2.0.2", 53), kT0 + i * 300 * kMs);
  feed(udp_frame("10.2.0.1", 1000, "10.2.0.2", 53), kT0 + 5000 * kMs);  // flow 0 is fresh again
  feed(udp_frame("10.2.0.1", 2000, "10.2.0.2", 53), kT0 + 5100 * kMs);  // pool full: one must go
  ASSERT_EQ(records().size(), 1u);
  EXPECT_EQ(records()[0].reason, EndReason::kEvicted);
  const uint16_t evicted_port = records()[0].key.port_a == 53 ? records()[0].key.port_b : records()[0].key.port_a;
  EXPECT_EQ(evicted_port, 1001);  // flow 1: last seen at 0.3 s, the stalest
  feed(udp_frame("10.2.0.1", 2001, "10.2.0.2", 53), kT0 + 5200 * kMs);
  ASSERT_EQ(records().size(), 2u);
  const uint16_t second = records()[1].key.port_a == 53 ? records()[1].key.port_b : records()[1].key.port_a;
  EXPECT_EQ(second, 1002);
}

// White-box: with capacity 64 the table has 16 buckets of 8 slots. Flows
// whose two candidate buckets are both {0, 1} fill 16 slots; the 17th such
// flow must evict the least recently seen of them although the pool has room.
TEST_F(FlowTableTest, FullBucketPairEvictsTheStalestFlow) {
  make_table(64);
  const uint32_t mask = 15;
  std::vector<Bytes> colliding;
  for (uint32_t port = 1; port < 65535 && colliding.size() < 17; ++port) {
    const Bytes f = udp_frame("10.3.0.1", static_cast<uint16_t>(port), "10.3.0.2", 53);
    const ParsedPacket p = must_parse(parser_, f, kT0);
    const uint32_t b1 = p.hash & mask, b2 = (p.hash ^ p.sig) & mask;
    if (b1 <= 1 && b2 <= 1 && b1 != b2) colliding.push_back(f);
  }
  ASSERT_EQ(colliding.size(), 17u);
  for (int i = 0; i < 16; ++i) feed(colliding[i], kT0 + (i + 1) * kMs);
  feed(colliding[0], kT0 + 50 * kMs);  // the oldest flow is seen again: now flow 1 is stalest
  EXPECT_TRUE(records().empty());
  feed(colliding[16], kT0 + 60 * kMs);
  ASSERT_EQ(records().size(), 1u);
  EXPECT_EQ(records()[0].reason, EndReason::kEvicted);
  EXPECT_EQ(records()[0].last_ns, kT0 + 2 * kMs);
  EXPECT_EQ(table_->stats().evicted.get(), 1u);
  EXPECT_EQ(table_->stats().active.get(), 16u);
}

TEST_F(FlowTableTest, BurstOfManyFlowsIsAccountedInOrder) {
  std::vector<ParsedPacket> burst;
  for (int i = 0; i < 32; ++i) {
    // 8 flows, 4 packets each, interleaved; the first packet of each flow is from the client.
    const int flow = i % 8;
    const bool from_client = i < 8 || i % 3 != 0;
    const Bytes f = from_client ? tcp_frame("10.4.0.9", static_cast<uint16_t>(5000 + flow), "10.4.0.1", 443, kAck)
                                : tcp_frame("10.4.0.1", 443, "10.4.0.9", static_cast<uint16_t>(5000 + flow), kAck);
    burst.push_back(must_parse(parser_, f, kT0 + static_cast<uint64_t>(i) * kMs));
  }
  table_->process_burst(burst.data(), 32);
  table_->flush(EndReason::kEof, kT0 + kSec);
  ASSERT_EQ(records().size(), 8u);
  for (const FlowRecord& r : records()) {
    EXPECT_EQ(r.packets[0] + r.packets[1], 4u);
    EXPECT_EQ(r.initiator, kSideB);
  }
  EXPECT_EQ(table_->stats().created.get(), 8u);
}

TEST(FlowTableMemory, SizedUpFront) {
  CollectingSink sink;
  FlowTable t(100000, FlowTimeouts{}, sink);
  EXPECT_EQ(t.memory_bytes(), FlowTable::memory_bytes_for(100000));
  EXPECT_GE(t.memory_bytes(), 100000u * 128);
  EXPECT_EQ(FlowTable(1, FlowTimeouts{}, sink).capacity(), 16u);
}

}  // namespace
}  // namespace tapline::test
