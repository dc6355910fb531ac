// TCP latency and retransmissions (flow-record.v2): exact microsecond values
// from packets with known timestamps, parsed from raw bytes and accounted by
// a FlowTable as a worker would, then the JSON and packed forms.
#include <gtest/gtest.h>

#include <string>

#include "flow/record_json.h"
#include "flow/record_packed.h"
#include "test_util.h"

namespace tapline::test {
namespace {

using tcpf::kAck;
using tcpf::kFin;
using tcpf::kPsh;
using tcpf::kRst;
using tcpf::kSyn;

constexpr uint64_t kUs = 1000ull;
constexpr uint64_t kMs = 1000000ull;
constexpr uint32_t kIsn = 1000;  // the client's initial sequence number
constexpr uint32_t kRsn = 5000;  // the server's

class TcpLatencyTest : public ::testing::Test {
 protected:
  TcpLatencyTest() { make_table(); }
  void make_table() { table_ = std::make_unique<FlowTable>(1024, timeouts_, sink_, 0); }

  // Client 10.0.0.9:40000 (the initiator, side B) <-> server 10.0.0.1:80 (side A).
  static Bytes c2s(uint8_t flags, uint32_t seq, uint32_t ack, size_t payload = 0) {
    return eth_ip(ip("10.0.0.9"), ip("10.0.0.1"), 6, tcp_seq(40000, 80, flags, seq, ack, payload));
  }
  static Bytes s2c(uint8_t flags, uint32_t seq, uint32_t ack, size_t payload = 0) {
    return eth_ip(ip("10.0.0.1"), ip("10.0.0.9"), 6, tcp_seq(80, 40000, flags, seq, ack, payload));
  }
  void feed(const Bytes& frame, uint64_t t) {
    const ParsedPacket p = must_parse(parser_, frame, t);
    table_->process_burst(&p, 1);
    table_->advance(t);
  }
  const FlowRecord& only_record() {
    table_->flush(EndReason::kEof, last_);
    EXPECT_EQ(sink_.records.size(), 1u);
    return sink_.records.at(0);
  }
  // The handshake at kT0: SYN, SYN/ACK after `server`, ACK after `client`.
  void handshake(uint64_t server, uint64_t client) {
    feed(c2s(kSyn, kIsn, 0), kT0);
    feed(s2c(kSyn | kAck, kRsn, kIsn + 1), kT0 + server);
    feed(c2s(kAck, kIsn + 1, kRsn + 1), kT0 + server + client);
  }

  FlowTimeouts timeouts_{/*idle*/ 15 * kSec, /*active*/ 60 * kSec, /*linger*/ 2 * kSec};
  Parser parser_;
  CollectingSink sink_;
  std::unique_ptr<FlowTable> table_;
  uint64_t last_ = kT0 + 10 * kSec;
};

TEST_F(TcpLatencyTest, HandshakeWithSynRetransmitDataPairsAndKarn) {
  const uint64_t t1 = kT0 + 1 * kSec;  // the SYN, retransmitted after 1 s
  feed(c2s(kSyn, kIsn, 0), kT0);
  feed(c2s(kSyn, kIsn, 0), t1);
  feed(s2c(kSyn | kAck, kRsn, kIsn + 1), t1 + 5000 * kUs);         // server side: 5000 µs from the last SYN
  feed(c2s(kAck, kIsn + 1, kRsn + 1), t1 + 7000 * kUs);            // client side: 2000 µs; sample 7000
  feed(c2s(kAck | kPsh, kIsn + 1, kRsn + 1, 100), t1 + 10 * kMs);  // timed
  feed(s2c(kAck, kRsn + 1, kIsn + 50), t1 + 12 * kMs);             // covers only half: no sample
  feed(s2c(kAck, kRsn + 1, kIsn + 101), t1 + 18 * kMs);            // sample 8000
  feed(s2c(kAck | kPsh, kRsn + 1, kIsn + 101, 200), t1 + 20 * kMs);  // timed
  feed(c2s(kAck, kIsn + 101, kRsn + 201), t1 + 23 * kMs);          // sample 3000
  feed(c2s(kAck, kIsn + 101, kRsn + 201), t1 + 24 * kMs);          // duplicate pure ACK: not a retransmit
  // A data segment, retransmitted before its ACK: Karn, no sample.
  feed(c2s(kAck | kPsh, kIsn + 101, kRsn + 201, 100), t1 + 30 * kMs);
  feed(c2s(kAck | kPsh, kIsn + 101, kRsn + 201, 100), t1 + 230 * kMs);
  feed(s2c(kAck, kRsn + 201, kIsn + 201), t1 + 231 * kMs);
  // Keep-alives (the byte below snd_nxt, with 0 or 1 byte): not retransmits.
  feed(c2s(kAck, kIsn + 200, kRsn + 201), t1 + 5 * kSec);
  feed(c2s(kAck, kIsn + 200, kRsn + 201, 1), t1 + 6 * kSec);
  feed(s2c(kAck, kRsn + 201, kIsn + 201), t1 + 6 * kSec + 1 * kMs);  // acks the keep-alive: untimed, no sample
  const FlowRecord& r = only_record();
  EXPECT_EQ(r.initiator, kSideB);
  EXPECT_EQ(r.tcp_measured, kTcpHandshakeServer | kTcpHandshakeClient | kTcpRtt);
  EXPECT_EQ(r.tcp_handshake_server_us, 5000u);
  EXPECT_EQ(r.tcp_handshake_client_us, 2000u);
  EXPECT_EQ(r.tcp_rtt_min_us, 3000u);
  // SRTT: 7000, then 7000 + (8000 - 7000)/8 = 7125, then 7125 + (3000 - 7125)/8 = 6609.375.
  EXPECT_EQ(r.tcp_rtt_smoothed_us, 6609u);
  EXPECT_EQ(r.tcp_retransmits[kSideB], 2u);  // the SYN and the data segment
  EXPECT_EQ(r.tcp_retransmits[kSideA], 0u);

  std::string json;
  append_record_json(r, json);
  EXPECT_NE(json.find("\",\"tcpHandshakeServerUs\":5000,\"tcpHandshakeClientUs\":2000,\"tcpRttMinUs\":3000,"
                      "\"tcpRttSmoothedUs\":6609,\"tcpRetransmits\":2,\"revTcpRetransmits\":0}\n"),
            std::string::npos)
      << json;
  EXPECT_LT(json.find("\"communityId\""), json.find("tcpHandshakeServerUs"));

  std::string packed;
  append_record_packed(r, packed);
  ASSERT_EQ(packed.size(), kPackedRecordBytes);
  auto u32 = [&](size_t off) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(packed[off + i]);
    return v;
  };
  EXPECT_EQ(static_cast<uint8_t>(packed[93]), kTcpHandshakeServer | kTcpHandshakeClient | kTcpRtt);
  EXPECT_EQ(u32(96), 5000u);
  EXPECT_EQ(u32(100), 2000u);
  EXPECT_EQ(u32(104), 3000u);
  EXPECT_EQ(u32(108), 6609u);
  EXPECT_EQ(u32(112), 2u);  // from the initiator
  EXPECT_EQ(u32(116), 0u);
}

TEST_F(TcpLatencyTest, MicrosecondsRoundDown) {
  handshake(1999 * kUs + 999, 1 * kUs + 1);  // 1999.999 µs and 1.001 µs
  const FlowRecord& r = only_record();
  EXPECT_EQ(r.tcp_handshake_server_us, 1999u);
  EXPECT_EQ(r.tcp_handshake_client_us, 1u);
  EXPECT_EQ(r.tcp_rtt_min_us, 2000u);  // the handshake sample is server + client
  EXPECT_EQ(r.tcp_rtt_smoothed_us, 2000u);
}

TEST_F(TcpLatencyTest, SynAckRetransmittedClientSideFromTheLast) {
  feed(c2s(kSyn, kIsn, 0), kT0);
  feed(s2c(kSyn | kAck, kRsn, kIsn + 1), kT0 + 300 * kUs);
  feed(s2c(kSyn | kAck, kRsn, kIsn + 1), kT0 + 1 * kSec);  // the ACK was lost beyond the capture point
  feed(c2s(kAck, kIsn + 1, kRsn + 1), kT0 + 1 * kSec + 40 * kUs);
  const FlowRecord& r = only_record();
  EXPECT_EQ(r.tcp_handshake_server_us, 300u);
  EXPECT_EQ(r.tcp_handshake_client_us, 40u);
  EXPECT_EQ(r.tcp_rtt_min_us, 340u);
  EXPECT_EQ(r.tcp_retransmits[kSideA], 1u);  // the SYN/ACK
  EXPECT_EQ(r.tcp_retransmits[kSideB], 0u);
}

TEST_F(TcpLatencyTest, OneDirectionOnlyHasNoLatency) {
  feed(c2s(kSyn, kIsn, 0), kT0);
  feed(c2s(kAck | kPsh, kIsn + 1, kRsn + 1, 100), kT0 + 1 * kMs);
  feed(c2s(kAck | kPsh, kIsn + 101, kRsn + 1, 100), kT0 + 2 * kMs);
  const FlowRecord& r = only_record();
  EXPECT_EQ(r.tcp_measured, 0);
  EXPECT_EQ(r.tcp_retransmits[kSideB], 0u);
  std::string json;
  append_record_json(r, json);
  EXPECT_EQ(json.find("tcpHandshake"), std::string::npos) << json;
  EXPECT_EQ(json.find("tcpRtt"), std::string::npos) << json;
  EXPECT_NE(json.find(",\"tcpRetransmits\":0,\"revTcpRetransmits\":0}"), std::string::npos) << json;
}

TEST_F(TcpLatencyTest, MidConnectionCaptureHasRttButNoHandshake) {
  feed(s2c(kAck | kPsh, kRsn, kIsn, 500), kT0);                // the server speaks first: it is the initiator
  feed(c2s(kAck, kIsn, kRsn + 500), kT0 + 250 * kUs);          // sample 250
  feed(s2c(kAck | kPsh, kRsn + 500, kIsn, 500), kT0 + 1 * kMs);
  feed(s2c(kAck | kPsh, kRsn + 500, kIsn, 500), kT0 + 2 * kMs);  // a retransmit
  feed(c2s(kAck, kIsn, kRsn + 1000), kT0 + 2 * kMs + 100 * kUs);  // Karn: no sample
  const FlowRecord& r = only_record();
  EXPECT_EQ(r.initiator, kSideA);
  EXPECT_EQ(r.tcp_measured, kTcpRtt);
  EXPECT_EQ(r.tcp_rtt_min_us, 250u);
  EXPECT_EQ(r.tcp_rtt_smoothed_us, 250u);
  EXPECT_EQ(r.tcp_retransmits[kSideA], 1u);
  std::string json;
  append_record_json(r, json);
  EXPECT_NE(json.find(",\"tcpRttMinUs\":250,\"tcpRttSmoothedUs\":250,\"tcpRetransmits\":1,\"revTcpRetransmits\":0}"),
            std::string::npos)
      << json;
}

TEST_F(TcpLatencyTest, FinRetransmitCountsAndUdpHasNoTcpFields) {
  handshake(100 * kUs, 50 * kUs);
  feed(c2s(kFin | kAck, kIsn + 1, kRsn + 1), kT0 + 1 * kMs);
  feed(c2s(kFin | kAck, kIsn + 1, kRsn + 1), kT0 + 2 * kMs);  // the FIN again
  feed(s2c(kFin | kAck, kRsn + 1, kIsn + 2), kT0 + 3 * kMs);
  feed(udp_frame("10.0.0.9", 5353, "10.0.0.1", 53, 20), kT0 + 4 * kMs);
  feed(udp_frame("10.0.0.1", 53, "10.0.0.9", 5353, 40), kT0 + 5 * kMs);
  table_->flush(EndReason::kEof, last_);
  ASSERT_EQ(sink_.records.size(), 2u);
  const FlowRecord& tcp = sink_.records[0].key.proto == 6 ? sink_.records[0] : sink_.records[1];
  const FlowRecord& udp = sink_.records[0].key.proto == 6 ? sink_.records[1] : sink_.records[0];
  EXPECT_EQ(tcp.tcp_retransmits[kSideB], 1u);
  EXPECT_EQ(tcp.tcp_retransmits[kSideA], 0u);
  EXPECT_EQ(tcp.tcp_handshake_server_us, 100u);
  EXPECT_EQ(udp.tcp_measured, 0);
  std::string json;
  append_record_json(udp, json);
  EXPECT_EQ(json.find("tcp"), json.find("tcpFlags"));
  EXPECT_EQ(json.find("Retransmits"), std::string::npos) << json;
  EXPECT_EQ(json.find("Us\""), std::string::npos) << json;
  std::string packed;
  append_record_packed(udp, packed);
  for (size_t i = 93; i < kPackedRecordBytes; ++i) EXPECT_EQ(packed[i], 0) << i;
}

TEST_F(TcpLatencyTest, ActiveTimeoutHandshakeStaysWithItsRecordCountersReset) {
  timeouts_.active_ns = 1 * kSec;
  make_table();
  handshake(100 * kUs, 50 * kUs);
  feed(c2s(kAck | kPsh, kIsn + 1, kRsn + 1, 10), kT0 + 1 * kMs);
  feed(c2s(kAck | kPsh, kIsn + 1, kRsn + 1, 10), kT0 + 2 * kMs);  // retransmit in record 1
  feed(s2c(kAck, kRsn + 1, kIsn + 11), kT0 + 3 * kMs);
  // Past the active timeout: the next packet starts record 2.
  feed(c2s(kAck | kPsh, kIsn + 11, kRsn + 1, 10), kT0 + 1500 * kMs);  // timed, in record 2
  feed(s2c(kAck, kRsn + 1, kIsn + 21), kT0 + 1502 * kMs);              // sample 2000 µs
  feed(c2s(kAck | kPsh, kIsn + 1, kRsn + 1, 10), kT0 + 1503 * kMs);   // old space: a retransmit in record 2
  table_->flush(EndReason::kEof, last_);
  ASSERT_EQ(sink_.records.size(), 2u);
  const FlowRecord& a = sink_.records[0];
  const FlowRecord& b = sink_.records[1];
  EXPECT_EQ(a.reason, EndReason::kActive);
  EXPECT_EQ(a.tcp_measured, kTcpHandshakeServer | kTcpHandshakeClient | kTcpRtt);
  EXPECT_EQ(a.tcp_rtt_min_us, 150u);  // the data sample was lost to Karn
  EXPECT_EQ(a.tcp_retransmits[kSideB], 1u);
  EXPECT_EQ(b.initiator, kSideB);
  EXPECT_EQ(b.tcp_measured, kTcpRtt);  // no handshake in the continuation
  EXPECT_EQ(b.tcp_rtt_min_us, 2000u);
  EXPECT_EQ(b.tcp_rtt_smoothed_us, 2000u);
  EXPECT_EQ(b.tcp_retransmits[kSideB], 1u);
}

TEST_F(TcpLatencyTest, PortReuseStartsFresh) {
  handshake(100 * kUs, 50 * kUs);
  feed(c2s(kRst, kIsn + 1, 0), kT0 + 1 * kMs);
  // A new connection on the same ports, with a lower ISN: not a retransmit.
  feed(c2s(kSyn, 10, 0), kT0 + 10 * kMs);
  feed(s2c(kSyn | kAck, 20, 11), kT0 + 10 * kMs + 70 * kUs);
  const FlowRecord& first = sink_.records.at(0);
  EXPECT_EQ(first.reason, EndReason::kRst);
  table_->flush(EndReason::kEof, last_);
  ASSERT_EQ(sink_.records.size(), 2u);
  const FlowRecord& r = sink_.records[1];
  EXPECT_EQ(r.tcp_measured, kTcpHandshakeServer);
  EXPECT_EQ(r.tcp_handshake_server_us, 70u);
  EXPECT_EQ(r.tcp_retransmits[kSideA], 0u);
  EXPECT_EQ(r.tcp_retransmits[kSideB], 0u);
}

TEST_F(TcpLatencyTest, ParserSequenceFields) {
  // IPv4 and IPv6: payload length from the IP header, also when a snaplen cut the frame.
  ParseHarness h;
  ASSERT_TRUE(h.parse(c2s(kAck, 0xFFFFFFF0u, 77, 300)));
  EXPECT_EQ(h.out.tcp.ok, 1);
  EXPECT_EQ(h.out.tcp.seq, 0xFFFFFFF0u);
  EXPECT_EQ(h.out.tcp.ack, 77u);
  EXPECT_EQ(h.out.tcp.payload, 300);
  const Bytes full = c2s(kAck, 1, 2, 1000);
  ASSERT_TRUE(h.parse(prefix(full, 96), kLinkEthernet, static_cast<uint32_t>(full.size())));
  EXPECT_EQ(h.out.tcp.payload, 1000);
  const Bytes v6 = eth_ip(ip("fd00::1"), ip("fd00::2"), 6, tcp_seq(1, 2, kAck, 9, 8, 33));
  ASSERT_TRUE(h.parse(v6));
  EXPECT_EQ(h.out.tcp.payload, 33);
  EXPECT_EQ(h.out.tcp.seq, 9u);
  ASSERT_TRUE(h.parse(udp_frame("10.0.0.1", 1, "10.0.0.2", 2, 10)));
  EXPECT_EQ(h.out.tcp.ok, 0);
  EXPECT_EQ(h.out.tcp.seq, 0u);
  // Ethernet padding is not payload.
  Bytes padded = c2s(kAck, 1, 2, 0);
  padded.resize(60, 0);
  ASSERT_TRUE(h.parse(padded));
  EXPECT_EQ(h.out.tcp.payload, 0);
}

}  // namespace
}  // namespace tapline::test
