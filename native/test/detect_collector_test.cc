// Each detector end to end on the native side: packets parsed from raw
// bytes, spread over workers by the symmetric flow hash as the engine does,
// accounted by real flow tables, observed by the per-worker detector state
// and merged by the collector (stepped on this thread). One attack must be
// one alert (raised, maybe updated, resolved; one identity); normal traffic
// alone must raise nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "detect/collector.h"
#include "flow/flow_hash.h"
#include "test_util.h"

namespace tapline::test {
namespace {

using tcpf::kAck;
using tcpf::kFin;
using tcpf::kSyn;

constexpr uint64_t kMs = 1000000ull;

struct Timed {
  uint64_t ts;
  Bytes frame;
};

class Traffic {
 public:
  void add(uint64_t ts, Bytes frame) { packets_.push_back(Timed{ts, std::move(frame)}); }
  // A complete TCP connection: handshake, a request, a response, FIN/FIN.
  void connection(uint64_t t, const std::string& client, uint16_t cport, const std::string& server, uint16_t sport) {
    const char* c = client.c_str();
    const char* s = server.c_str();
    add(t, tcp_frame(c, cport, s, sport, kSyn));
    add(t + 1 * kMs, tcp_frame(s, sport, c, cport, kSyn | kAck));
    add(t + 2 * kMs, tcp_frame(c, cport, s, sport, kAck));
    add(t + 3 * kMs, tcp_frame(c, cport, s, sport, kAck, 200));
    add(t + 4 * kMs, tcp_frame(s, sport, c, cport, kAck, 1200));
    add(t + 5 * kMs, tcp_frame(c, cport, s, sport, kFin | kAck));
    add(t + 6 * kMs, tcp_frame(s, sport, c, cport, kFin | kAck));
  }
  // Normal traffic: `rate` connections per second from 50 clients to 4 servers, plus DNS.
  void background(uint64_t from, uint64_t to, uint32_t rate, uint32_t seed) {
    std::mt19937 rng(seed);
    const uint64_t gap = kSec / rate;
    for (uint64_t t = from; t < to; t += gap) {
      const std::string client = "10.1.0." + std::to_string(1 + rng() % 50);
      const std::string server = "10.2.0." + std::to_string(1 + rng() % 4);
      connection(t, client, static_cast<uint16_t>(32768 + rng() % 28000), server, 443);
      add(t + 7 * kMs, udp_frame(client.c_str(), static_cast<uint16_t>(32768 + rng() % 28000), "10.2.0.53", 53, 40));
    }
  }
  std::vector<Timed> sorted() {
    std::stable_sort(packets_.begin(), packets_.end(), [](const Timed& a, const Timed& b) { return a.ts < b.ts; });
    return packets_;
  }

 private:
  std::vector<Timed> packets_;
};

std::string addr(const AddrKey& k) { return key_addr(k.bytes, k.version); }

class Harness {
 public:
  Harness(const DetectConfig& c, uint32_t workers)
      : workers_(workers), tick_(c.tick_ns()), collector_(c, workers, /*wait=*/true, abandon_) {
    for (uint32_t i = 0; i < workers; ++i) {
      tables_.push_back(std::make_unique<FlowTable>(1u << 14, FlowTimeouts{}, sink_, static_cast<uint8_t>(i)));
    }
    bursts_.resize(workers);
  }

  std::vector<AlertEvent> run(Traffic& traffic) {
    for (const Timed& p : traffic.sorted()) {
      // As the dispatcher does: every worker's clock moves on before a later tick starts.
      if (now_ != 0 && p.ts / tick_ != now_ / tick_) sync();
      const ParsedPacket pp = must_parse(parser_, p.frame, p.ts);
      const uint32_t w = worker_of(pp.hash, workers_);
      bursts_[w].push_back(pp);
      if (bursts_[w].size() == FlowTable::kBurst) flush(w);
      now_ = p.ts;
    }
    for (uint32_t w = 0; w < workers_; ++w) {
      flush(w);
      collector_.worker(w).finish();
    }
    while (!collector_.finished()) collector_.step();
    std::vector<AlertEvent> out(4096);
    out.resize(collector_.drain(out.data(), 4096));
    return out;
  }
  DetectCollector& collector() { return collector_; }

 private:
  void flush(uint32_t w) {
    if (bursts_[w].empty()) return;
    const BurstEvents ev = tables_[w]->process_burst(bursts_[w].data(), static_cast<uint32_t>(bursts_[w].size()));
    collector_.worker(w).observe(bursts_[w].data(), static_cast<uint32_t>(bursts_[w].size()), ev);
    bursts_[w].clear();
  }
  void sync() {
    for (uint32_t w = 0; w < workers_; ++w) {
      flush(w);
      collector_.worker(w).advance(now_);
    }
    while (collector_.step()) {
    }
  }

  uint32_t workers_;
  uint64_t tick_;
  std::atomic<bool> abandon_{false};
  DetectCollector collector_;
  Parser parser_;
  CollectingSink sink_;
  std::vector<std::unique_ptr<FlowTable>> tables_;
  std::vector<std::vector<ParsedPacket>> bursts_;
  uint64_t now_ = 0;
};

// Exactly one attack of `type`: raised first, resolved last, updates between, one identity.
void expect_one_attack(const std::vector<AlertEvent>& events, AlertType type, const std::string& key, bool key_is_src,
                       AlertMetric metric) {
  std::vector<AlertEvent> of;
  for (const AlertEvent& e : events) {
    if (e.type == type) of.push_back(e);
  }
  ASSERT_GE(of.size(), 2u) << alert_type_name(type);
  EXPECT_EQ(of.front().state, AlertState::kRaised);
  EXPECT_EQ(of.back().state, AlertState::kResolved);
  for (size_t i = 0; i < of.size(); ++i) {
    const AlertEvent& e = of[i];
    if (i != 0 && i + 1 != of.size()) {
      EXPECT_EQ(e.state, AlertState::kUpdated);
    }
    EXPECT_EQ(addr(e.key), key);
    EXPECT_EQ(e.key_is_src, key_is_src);
    EXPECT_EQ(e.metric, metric);
    EXPECT_EQ(e.first_seen_ns, of.front().first_seen_ns);
    EXPECT_GE(e.observed, e.threshold);
    EXPECT_GE(e.last_seen_ns, e.first_seen_ns);
  }
}

DetectConfig quiet_config() {
  DetectConfig c;
  c.cooldown_ns = 2 * kSec;
  c.volumetric = {true, 5000, 0, 1 * kSec};
  c.syn_flood = {true, 1000, 80, 1 * kSec};
  c.port_scan = {true, 100, 0, 2 * kSec};
  return c;
}

class DetectCollectorTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(DetectCollectorTest, SynFloodIsOneAttackOnTheVictim) {
  Traffic t;
  t.background(kT0, kT0 + 12 * kSec, 200, 1);
  std::mt19937 rng(9);
  for (uint64_t ts = kT0 + 3 * kSec; ts < kT0 + 7 * kSec; ts += kSec / 3000) {  // 3000 SYN/s, spoofed sources
    const std::string src = "172.16." + std::to_string(rng() % 256) + "." + std::to_string(rng() % 256);
    t.add(ts, tcp_frame(src.c_str(), static_cast<uint16_t>(1024 + rng() % 60000), "10.9.9.9", 80, kSyn));
  }
  Harness h(quiet_config(), GetParam());
  const auto events = h.run(t);
  expect_one_attack(events, AlertType::kSynFlood, "10.9.9.9", false, AlertMetric::kSynsPerSecond);
  for (const AlertEvent& e : events) EXPECT_NE(e.type, AlertType::kPortScan) << addr(e.key);
}

TEST_P(DetectCollectorTest, CompletedHandshakesAtAHighRateAreNoSynFlood) {
  Traffic t;
  std::mt19937 rng(4);
  for (uint64_t ts = kT0; ts < kT0 + 5 * kSec; ts += kSec / 2000) {  // 2000 connections/s, all completed
    const std::string client = "10.3." + std::to_string(rng() % 256) + "." + std::to_string(1 + rng() % 250);
    t.connection(ts, client, static_cast<uint16_t>(32768 + rng() % 28000), "10.2.0.80", 443);
  }
  DetectConfig c = quiet_config();
  c.volumetric.enabled = false;
  Harness h(c, GetParam());
  const auto events = h.run(t);
  for (const AlertEvent& e : events) ADD_FAILURE() << alert_type_name(e.type) << " " << addr(e.key);
}

TEST_P(DetectCollectorTest, UdpFloodIsOneVolumetricAttack) {
  Traffic t;
  t.background(kT0, kT0 + 10 * kSec, 200, 2);
  std::mt19937 rng(5);
  for (uint64_t ts = kT0 + 2 * kSec; ts < kT0 + 6 * kSec; ts += kSec / 20000) {
    const std::string src = "192.168." + std::to_string(rng() % 256) + "." + std::to_string(rng() % 256);
    t.add(ts, udp_frame(src.c_str(), static_cast<uint16_t>(1024 + rng() % 60000), "10.8.8.8", 9999, 64));
  }
  Harness h(quiet_config(), GetParam());
  const auto events = h.run(t);
  expect_one_attack(events, AlertType::kVolumetric, "10.8.8.8", false, AlertMetric::kPacketsPerSecond);
  EXPECT_EQ(h.collector().worker(0).stats().tick_drops.get(), 0u);
}

TEST_P(DetectCollectorTest, VerticalScanIsOnePortScanBySource) {
  Traffic t;
  t.background(kT0, kT0 + 10 * kSec, 200, 3);
  for (uint32_t port = 1; port <= 600; ++port) {  // 600 ports in 3 s, each answered with a RST
    const uint64_t ts = kT0 + 2 * kSec + port * 5 * kMs;
    t.add(ts, tcp_frame("10.6.6.6", 55555, "10.2.0.7", static_cast<uint16_t>(port), kSyn));
    t.add(ts + 1 * kMs, tcp_frame("10.2.0.7", static_cast<uint16_t>(port), "10.6.6.6", 55555, tcpf::kRst | kAck));
  }
  Harness h(quiet_config(), GetParam());
  const auto events = h.run(t);
  expect_one_attack(events, AlertType::kPortScan, "10.6.6.6", true, AlertMetric::kDistinctPorts);
  for (const AlertEvent& e : events) EXPECT_NE(e.type, AlertType::kSynFlood);
}

TEST_P(DetectCollectorTest, NormalTrafficAloneRaisesNothing) {
  Traffic t;
  t.background(kT0, kT0 + 20 * kSec, 400, 6);
  DetectConfig c = quiet_config();
  c.heavy_hitters = {true, 3, 5 * kSec};
  Harness h(c, GetParam());
  for (const AlertEvent& e : h.run(t)) {
    EXPECT_EQ(e.type, AlertType::kHeavyHitters) << alert_type_name(e.type) << " " << addr(e.key);
  }
}

TEST_P(DetectCollectorTest, HeavyHittersReportTheTopTalkersInOrder) {
  Traffic t;
  t.background(kT0, kT0 + 4 * kSec, 100, 7);
  // Three bulk senders, 3 : 2 : 1 by bytes, all to 10.5.5.5 except the third (to 10.5.5.6).
  for (uint64_t ts = kT0; ts < kT0 + 4 * kSec; ts += kSec / 1000) {
    t.add(ts, udp_frame("10.4.0.1", 5001, "10.5.5.5", 6001, 1200));
    t.add(ts + 1, udp_frame("10.4.0.2", 5002, "10.5.5.5", 6002, 800));
    t.add(ts + 2, udp_frame("10.4.0.3", 5003, "10.5.5.6", 6003, 400));
  }
  DetectConfig c;
  c.heavy_hitters = {true, 3, 2 * kSec};
  Harness h(c, GetParam());
  const auto events = h.run(t);
  ASSERT_EQ(events.size(), 2u);  // two whole intervals
  for (const AlertEvent& e : events) {
    EXPECT_EQ(e.state, AlertState::kReport);
    ASSERT_EQ(e.top.size(), 6u);
    EXPECT_EQ(addr(e.top[0].addr), "10.4.0.1");
    EXPECT_EQ(addr(e.top[1].addr), "10.4.0.2");
    EXPECT_EQ(addr(e.top[2].addr), "10.4.0.3");
    EXPECT_EQ(addr(e.top[3].addr), "10.5.5.5");
    EXPECT_EQ(addr(e.top[4].addr), "10.5.5.6");
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(e.top[i].dst);
    for (int i = 3; i < 6; ++i) EXPECT_TRUE(e.top[i].dst);
    EXPECT_EQ(e.top[0].packets, 2000u);  // exact: far fewer keys than sketch cells
    EXPECT_EQ(e.top[0].bytes, 2000u * (20 + 8 + 1200));
    EXPECT_EQ(e.window_ns, 2 * kSec);
  }
  EXPECT_EQ(events[1].first_seen_ns, events[0].first_seen_ns + 2 * kSec);
}

INSTANTIATE_TEST_SUITE_P(Workers, DetectCollectorTest, ::testing::Values(1u, 3u));

TEST(DetectWorker, ALiveSourceDropsTicksTheCollectorHasNoRoomFor) {
  DetectConfig c;
  c.volumetric = {true, 100, 0, 1 * kSec};
  c.tick_slots = 2;
  std::atomic<bool> abandon{false};
  DetectCollector collector(c, 1, /*wait=*/false, abandon);
  Parser parser;
  const Bytes frame = udp_frame("10.0.0.1", 1, "10.0.0.2", 2, 10);
  for (uint64_t s = 0; s < 6; ++s) {  // six ticks, the collector never runs
    const ParsedPacket p = must_parse(parser, frame, kT0 + s * kSec);
    collector.worker(0).observe(&p, 1, BurstEvents{});
  }
  collector.worker(0).finish();
  EXPECT_EQ(collector.worker(0).stats().ticks.get(), 2u);
  EXPECT_EQ(collector.worker(0).stats().tick_drops.get(), 4u);
}

// A burst that crosses into the next tick: each flow start goes into the
// port-scan table of its own packet's tick.
TEST(DetectWorker, FlowStartsOfABurstGoToTheirOwnTicks) {
  DetectConfig c;
  c.port_scan = {true, 100, 0, 1 * kSec};
  std::atomic<bool> abandon{false};
  DetectCollector collector(c, 1, /*wait=*/false, abandon);
  Parser parser;
  std::vector<ParsedPacket> burst;
  for (uint32_t i = 0; i < 6; ++i) {
    const std::string src = "10.7.0." + std::to_string(i + 1);
    burst.push_back(must_parse(parser, udp_frame(src.c_str(), 1000, "10.2.0.1", static_cast<uint16_t>(2000 + i), 10),
                               kT0 + (i < 4 ? 0 : kSec) + i));
  }
  BurstEvents ev;
  ev.new_flow = 0b110101;  // starts: 10.7.0.1 and .3 in the first tick, .5 and .6 in the second
  collector.worker(0).observe(burst.data(), static_cast<uint32_t>(burst.size()), ev);
  collector.worker(0).finish();
  std::vector<std::set<std::string>> sources;
  uint32_t s;
  while (collector.worker(0).published().pop_bulk(&s, 1) == 1) {
    const ScanTable& t = collector.worker(0).slot(s).scan;
    sources.emplace_back();
    for (uint32_t i = 0; i < t.size(); ++i) sources.back().insert(addr(t.entry(i).src));
  }
  ASSERT_EQ(sources.size(), 2u);
  EXPECT_EQ(sources[0], (std::set<std::string>{"10.7.0.1", "10.7.0.3"}));
  EXPECT_EQ(sources[1], (std::set<std::string>{"10.7.0.5", "10.7.0.6"}));
}

TEST(AlertMachine, RaisesUpdatesWhenGrownOrEveryNWindowsAndResolvesAfterTheCooldown) {
  DetectConfig c;
  c.cooldown_ns = 3 * kSec;
  c.update_every_windows = 3;
  c.update_growth_percent = 50;
  SpscRing<AlertEvent> q(64);
  AlertMachine m(c, q);
  uint8_t b[16] = {10, 0, 0, 1};
  const AddrKey key = make_addr(b, 4);
  auto window = [&](uint64_t i, double observed) {
    m.exceeded(Observation{AlertType::kVolumetric, AlertMetric::kPacketsPerSecond, false, key, observed, 100,
                           kSec, kT0 + i * kSec, kT0 + (i + 1) * kSec});
    m.sweep(AlertType::kVolumetric, kT0 + (i + 1) * kSec);
  };
  window(0, 200);  // raised
  window(1, 210);  // small change: nothing
  window(2, 400);  // grew by half: updated
  window(3, 400);
  window(4, 400);
  window(5, 400);  // third window since: updated
  for (uint64_t i = 6; i < 12; ++i) m.sweep(AlertType::kVolumetric, kT0 + (i + 1) * kSec);  // quiet
  AlertEvent e[8];
  ASSERT_EQ(q.pop_bulk(e, 8), 4u);
  EXPECT_EQ(e[0].state, AlertState::kRaised);
  EXPECT_EQ(e[1].state, AlertState::kUpdated);
  EXPECT_EQ(e[1].observed, 400);
  EXPECT_EQ(e[2].state, AlertState::kUpdated);
  EXPECT_EQ(e[3].state, AlertState::kResolved);
  EXPECT_EQ(e[3].last_seen_ns, kT0 + 6 * kSec);  // the end of the last window over the threshold
  for (int i = 0; i < 4; ++i) EXPECT_EQ(e[i].first_seen_ns, kT0);
  EXPECT_EQ(m.stats().resolved.get(), 1u);
  EXPECT_EQ(m.stats().open.get(), 0u);
}

TEST(AlertMachine, BoundsOpenAttacksAndCountsWhatItCannotTrackOrQueue) {
  DetectConfig c;
  c.max_attacks = 2;
  SpscRing<AlertEvent> q(2);  // rounds up to 2 slots
  AlertMachine m(c, q);
  for (uint8_t i = 1; i <= 4; ++i) {
    uint8_t b[16] = {10, 0, 0, i};
    m.exceeded(Observation{AlertType::kSynFlood, AlertMetric::kSynsPerSecond, false, make_addr(b, 4), 5, 1, kSec,
                           kT0, kT0 + kSec});
  }
  EXPECT_EQ(m.stats().raised.get(), 2u);
  EXPECT_EQ(m.stats().attack_drops.get(), 2u);
  m.resolve_all();  // queue full: both resolutions counted as dropped
  EXPECT_EQ(m.stats().queue_drops.get(), 2u);
}

TEST(FlowTableEvents, FlowStartsAndCompletedHandshakesArereported) {
  CollectingSink sink;
  FlowTable table(1024, FlowTimeouts{}, sink);
  Parser parser;
  const ParsedPacket p[] = {
      must_parse(parser, tcp_frame("10.0.0.9", 40000, "10.0.0.1", 80, kSyn), kT0),
      must_parse(parser, tcp_frame("10.0.0.1", 80, "10.0.0.9", 40000, kSyn | kAck), kT0 + 1),
      must_parse(parser, tcp_frame("10.0.0.9", 40000, "10.0.0.1", 80, kAck), kT0 + 2),
      must_parse(parser, tcp_frame("10.0.0.9", 40000, "10.0.0.1", 80, kAck, 10), kT0 + 3),
      must_parse(parser, tcp_frame("10.0.0.9", 40001, "10.0.0.1", 80, kSyn), kT0 + 4),
      must_parse(parser, tcp_frame("10.0.0.9", 40001, "10.0.0.1", 80, kAck), kT0 + 5),  // no SYN-ACK seen
  };
  const BurstEvents ev = table.process_burst(p, 6);
  EXPECT_EQ(ev.new_flow, 0b010001u);
  EXPECT_EQ(ev.established, 0b000100u);
}

}  // namespace
}  // namespace tapline::test
