// The file engine's blocks (engine/file_blocks.h): the reader only frames,
// every worker parses a share of the blocks, and the answer must be the one a
// single parser gives. The reference is a one-worker replay: one parser sees
// every packet in order, fragments resolved as it goes.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>

#include "engine/engine.h"
#include "test_util.h"

namespace tapline::test {
namespace {

constexpr uint64_t kMs = 1000000ull;

void add_at(PcapWriter& w, uint64_t ts_ns, const Bytes& frame) {
  w.add(static_cast<uint32_t>(ts_ns / kSec), static_cast<uint32_t>(ts_ns % kSec / 1000), frame);
}

Bytes ipv4_frame(const Addr& s, const Addr& d, uint8_t proto, const Bytes& payload, uint16_t id, uint16_t frag) {
  Ipv4Opts o;
  o.id = id;
  o.frag = frag;
  return eth(0x0800, ipv4(s, d, proto, payload, o));
}

// Fragmented datagrams among a few hosts, mixed with whole packets of the same flows:
// first fragments, later ones (after their first, before it, or with no first at all),
// identifications reused by other port pairs while the first is remembered, a host
// talking to itself, IPv4 and IPv6, UDP and TCP, over many more blocks than workers.
std::string fragments_pcap(const TempDir& dir, int datagrams, uint32_t seed) {
  const Addr v4[] = {ip("10.0.0.1"), ip("10.0.0.2"), ip("10.0.0.3"), ip("10.0.0.4"), ip("10.0.0.5")};
  const Addr v6[] = {ip("fd00::1"), ip("fd00::2"), ip("fd00::3")};
  std::mt19937 rng(seed);
  PcapWriter w(false, false, kLinkEthernet);
  uint64_t t = kT0;
  for (int n = 0; n < datagrams; ++n) {
    const bool six = rng() % 4 == 0;
    const Addr& s = six ? v6[rng() % 3] : v4[rng() % 5];
    const Addr& d = six ? v6[rng() % 3] : v4[rng() % 5];  // sometimes the same host
    const uint8_t proto = rng() % 3 == 0 ? 6 : 17;
    const uint16_t sport = static_cast<uint16_t>(1000 + rng() % 6), dport = static_cast<uint16_t>(53 + rng() % 3);
    const uint16_t id = static_cast<uint16_t>(rng() % 40);  // reused often
    const Bytes l4 = proto == 6 ? tcp(sport, dport, tcpf::kAck, 24) : udp(sport, dport, 24);
    auto first = [&] {
      return six ? eth(0x86DD, ipv6(s, d, 44, frag6(proto, 0, true, id) + l4)) : ipv4_frame(s, d, proto, l4, id, 0x2000);
    };
    auto later = [&](uint16_t units, bool more) {
      return six ? eth(0x86DD, ipv6(s, d, 44, frag6(proto, units, more, id) + pattern(24)))
                 : ipv4_frame(s, d, proto, pattern(24), id, static_cast<uint16_t>((more ? 0x2000 : 0) | units));
    };
    switch (rng() % 6) {
      case 0:  // a later fragment before its first
        add_at(w, t += kMs, later(4, false));
        add_at(w, t += kMs, first());
        break;
      case 1:  // a later fragment with no first
        add_at(w, t += kMs, later(8, false));
        break;
      case 2:  // a whole packet of the flow
        add_at(w, t += kMs, six ? eth(0x86DD, ipv6(s, d, proto, l4)) : ipv4_frame(s, d, proto, l4, id, 0));
        break;
      default:  // first, then one to three later fragments, spread over the next packets
        add_at(w, t += kMs, first());
        for (uint32_t k = 1, m = 1 + rng() % 3; k <= m; ++k) add_at(w, t += kMs, later(static_cast<uint16_t>(4 * k), k < m));
    }
  }
  const std::string path = dir.file("fragments.pcap");
  write_file(path, w.data);
  return path;
}

struct Outcome {
  std::vector<std::string> records;  // each record's bytes, worker id cleared, sorted
  std::map<std::string, uint64_t> counters;
  uint64_t alerts_raised = 0;
};

Outcome run(const std::string& path, SourceConfig::Kind kind, uint32_t workers, const DetectConfig& detect = {}) {
  EngineConfig c;
  c.workers = workers;
  c.max_flows = 1 << 16;
  c.detect = detect;
  SourceConfig s;
  s.kind = kind;
  s.path = path;
  Engine e(c, s);
  e.start();
  Outcome out;
  std::vector<FlowRecord> buf(1024);
  std::vector<AlertEvent> alerts(64);
  auto take_alerts = [&] {
    const uint32_t n = e.drain_alerts(alerts.data(), static_cast<uint32_t>(alerts.size()));
    for (uint32_t i = 0; i < n; ++i) out.alerts_raised += alerts[i].state == AlertState::kRaised ? 1 : 0;
  };
  for (;;) {
    const uint32_t n = e.drain(buf.data(), static_cast<uint32_t>(buf.size()));
    for (uint32_t i = 0; i < n; ++i) {
      FlowRecord r = buf[i];
      r.worker = 0;
      out.records.emplace_back(reinterpret_cast<const char*>(&r), sizeof r);
    }
    take_alerts();
    if (n == 0 && e.done()) break;
    if (n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  e.join();
  take_alerts();
  std::sort(out.records.begin(), out.records.end());
  for (const auto& [k, v] : e.stats()) {
    const bool parse = k == "packets" || k == "bytes" || k == "flowPackets" || k == "malformedTotal" ||
                       k.rfind("protocols.", 0) == 0 || k.rfind("malformed.", 0) == 0 || k.rfind("fragments.", 0) == 0;
    if (parse || k == "flows.created" || k == "flows.exported") out.counters[k] = v;
  }
  return out;
}

// Aborts a test that hangs (a deadlock would otherwise stall the whole suite).
class Watchdog {
 public:
  explicit Watchdog(int seconds) : thread_([this, seconds] {
      for (int i = 0; i < seconds * 10 && !done_.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (!done_.load()) {
        std::fprintf(stderr, "watchdog: the engine did not finish in %d s\n", seconds);
        std::abort();
      }
    }) {}
  ~Watchdog() {
    done_.store(true);
    thread_.join();
  }

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

TEST(FileEngine, FragmentsAcrossBlocksAndWorkersGiveTheOneParserAnswer) {
  TempDir dir;
  const std::string path = fragments_pcap(dir, 4000, 7);
  Watchdog dog(120);
  const Outcome reference = run(path, SourceConfig::Kind::kReplay, 1);
  ASSERT_GT(reference.counters.at("fragments.unmatched"), 100u);  // the capture has what it claims
  ASSERT_GT(reference.counters.at("protocols.ipv4Fragment"), 1000u);
  ASSERT_GT(reference.counters.at("protocols.ipv6Fragment"), 300u);
  ASSERT_GT(reference.counters.at("packets"), 6u * FileBlock::kMaxPackets);
  for (uint32_t workers : {1u, 2u, 3u, 5u}) {
    const Outcome file = run(path, SourceConfig::Kind::kFile, workers);
    EXPECT_EQ(file.counters, reference.counters) << workers << " workers";
    EXPECT_EQ(file.records.size(), reference.records.size()) << workers << " workers";
    EXPECT_TRUE(file.records == reference.records) << workers << " workers: records differ";
  }
}

// Blocks that each span many detector ticks, a few tick slots per worker, and
// one flow (one owner) for all but the flood: the owner waits on the collector,
// which waits on workers that own nothing, whose ticks move only with the
// blocks they have read. Every packet is accounted and the flood is found once.
TEST(FileEngine, DetectorsOnSparseBlocksNeverStallTheWorkers) {
  TempDir dir;
  PcapWriter w(false, false, kLinkEthernet);
  uint64_t t = kT0;
  uint32_t packets = 0;
  for (int i = 0; i < 6000; ++i, ++packets) {
    add_at(w, t += 200 * kMs, udp_frame("10.0.0.1", 1000, "10.0.0.2", 53, 10));
  }
  for (int i = 0; i < 3000; ++i, ++packets) {  // a SYN flood: 3,000 sources in 300 ms
    const std::string src = "10.9." + std::to_string(i / 250) + "." + std::to_string(1 + i % 250);
    add_at(w, t += kMs / 10, tcp_frame(src.c_str(), 40000, "10.0.0.2", 80, tcpf::kSyn));
  }
  for (int i = 0; i < 3000; ++i, ++packets) {
    add_at(w, t += 200 * kMs, udp_frame("10.0.0.1", 1000, "10.0.0.2", 53, 10));
  }
  const std::string path = dir.file("sparse.pcap");
  write_file(path, w.data);
  DetectConfig d;
  d.syn_flood = {true, 1000, 90, 1 * kSec};
  d.volumetric = {true, 1'000'000, 0, 1 * kSec};
  d.port_scan = {true, 100, 0, 10 * kSec};
  d.heavy_hitters = {true, 5, 10 * kSec};
  d.cooldown_ns = 5 * kSec;
  d.tick_slots = 2;
  Watchdog dog(120);
  for (uint32_t workers : {1u, 3u}) {
    const Outcome file = run(path, SourceConfig::Kind::kFile, workers, d);
    EXPECT_EQ(file.counters.at("flowPackets"), packets) << workers << " workers";
    EXPECT_EQ(file.alerts_raised, 1u) << workers << " workers: the flood, once";
  }
}

}  // namespace
}  // namespace tapline::test
