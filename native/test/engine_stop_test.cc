// Engine::request_stop() mid-input: every packet counted into a flow is in
// exactly one record, and the flows live at the stop end "shutdown" at the
// time of the last packet seen, for files and for replay.
#include <atomic>
#include <chrono>
#include <map>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "test_util.h"

namespace tapline::test {
namespace {

uint64_t stat(const Engine& e, const std::string& name) {
  for (const auto& [k, v] : e.stats()) {
    if (k == name) return v;
  }
  ADD_FAILURE() << "no stat " << name;
  return 0;
}

uint64_t sum_packets(const std::vector<FlowRecord>& records) {
  uint64_t n = 0;
  for (const auto& r : records) n += r.packets[0] + r.packets[1];
  return n;
}

// Pops whatever is there into `out`; returns how many.
uint32_t drain_some(Engine& e, std::vector<FlowRecord>& out, uint32_t max) {
  std::vector<FlowRecord> buf(max);
  const uint32_t n = e.drain(buf.data(), max);
  out.insert(out.end(), buf.begin(), buf.begin() + n);
  return n;
}

void drain_rest(Engine& e, std::vector<FlowRecord>& out) {
  for (;;) {
    const uint32_t n = drain_some(e, out, 256);
    if (n == 0 && e.done()) return;
    if (n == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

// `flows` one-packet UDP flows, 1 ms apart: with a 1 s idle timeout the
// workers export records all along the file, so a slow consumer backs the
// export rings, the workers' input rings and the reader up.
std::string many_flows_pcap(const TempDir& dir, int flows) {
  PcapWriter w(false, false, kLinkEthernet);
  for (int i = 0; i < flows; ++i) {
    const uint32_t ms = static_cast<uint32_t>(i);
    w.add(1700000000u + ms / 1000, (ms % 1000) * 1000, udp_frame("10.0.0.1", static_cast<uint16_t>(1024 + i), "10.0.0.2", 53, 10));
  }
  const std::string path = dir.file("many.pcap");
  write_file(path, w.data);
  return path;
}

EngineConfig stop_config() {
  EngineConfig c;
  c.workers = 2;
  c.max_flows = 1 << 16;
  c.export_ring = 64;
  c.timeouts.idle_ns = kSec;
  return c;
}

// The agent engineer's reproduction: small export rings, two workers, a slow
// consumer, stop mid-file. It was intermittent (a burst per worker held by the
// dispatcher or left in a worker's input ring at the stop), so it runs many times,
// stopping at different points, with the reader blocked and with it running.
TEST(EngineStop, FileStoppedMidInputLosesNoCountedPacket) {
  TempDir dir;
  constexpr int kFlows = 40000;
  const std::string path = many_flows_pcap(dir, kFlows);
  int failures = 0;
  for (int iter = 0; iter < 24; ++iter) {
    const bool slow = iter % 2 == 0;
    SourceConfig s;
    s.path = path;
    Engine e(stop_config(), s);
    e.start();
    std::vector<FlowRecord> records;
    if (slow) {
      // Drain a little at a time until some records have arrived: the rings are full.
      const size_t want = 300 + static_cast<size_t>(iter) * 97;
      while (records.size() < want) {
        if (drain_some(e, records, 16) == 0) std::this_thread::yield();
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    } else {
      // Keep up with the engine and stop at some point while the reader is running.
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(500 + iter * 300);
      while (std::chrono::steady_clock::now() < until) drain_some(e, records, 256);
    }
    e.request_stop();
    drain_rest(e, records);
    e.join();
    const uint64_t flow_packets = stat(e, "flowPackets");
    ASSERT_LT(flow_packets, static_cast<uint64_t>(kFlows)) << "iteration " << iter << ": the stop must come mid-file";
    EXPECT_EQ(sum_packets(records), flow_packets) << "iteration " << iter << (slow ? " (slow consumer)" : " (fast consumer)");
    EXPECT_EQ(records.size(), stat(e, "flows.created")) << "iteration " << iter;
    EXPECT_EQ(stat(e, "flows.created"), stat(e, "flows.exported")) << "iteration " << iter;
    EXPECT_EQ(stat(e, "ring.drops"), 0u) << "iteration " << iter;
    EXPECT_EQ(stat(e, "workers.0.packets") + stat(e, "workers.1.packets"), flow_packets) << "iteration " << iter;
    failures += sum_packets(records) != flow_packets ? 1 : 0;
  }
  EXPECT_EQ(failures, 0);
}

// Ten UDP flows, one packet each per 100 ms over a 10 s capture: looped, they
// never go idle. Replayed (many loops) and stopped mid-run, each flow is live
// and must end "shutdown" (not "idle" against the planned end of all loops).
TEST(EngineStop, ReplayStoppedMidRunEndsLiveFlowsShutdown) {
  TempDir dir;
  PcapWriter w(false, false, kLinkEthernet);
  constexpr int kFlowsN = 10;
  for (int t = 0; t < 100; ++t) {
    for (int f = 0; f < kFlowsN; ++f) {
      w.add(1700000000u + static_cast<uint32_t>(t / 10), static_cast<uint32_t>((t % 10) * 100000 + f),
            udp_frame("10.0.1.1", static_cast<uint16_t>(2000 + f), "10.0.1.2", 53, 20));
    }
  }
  const std::string path = dir.file("loop.pcap");
  write_file(path, w.data);
  for (uint32_t workers : {1u, 2u}) {
    EngineConfig c;
    c.workers = workers;
    c.max_flows = 1024;
    c.export_ring = 64;
    SourceConfig s;
    s.kind = SourceConfig::Kind::kReplay;
    s.path = path;
    s.loops = 1000000;  // far more than the test lets run
    Engine e(c, s);
    e.start();
    std::vector<FlowRecord> records;
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(30);
    while (std::chrono::steady_clock::now() < until) drain_some(e, records, 256);
    e.request_stop();
    drain_rest(e, records);
    e.join();
    std::map<EndReason, int> reasons;
    for (const auto& r : records) ++reasons[r.reason];
    EXPECT_EQ(reasons[EndReason::kShutdown], kFlowsN) << workers << " workers";
    EXPECT_EQ(reasons[EndReason::kIdle], 0) << workers << " workers";
    EXPECT_EQ(reasons[EndReason::kEof], 0) << workers << " workers";
    EXPECT_EQ(sum_packets(records), stat(e, "flowPackets")) << workers << " workers";
    EXPECT_LT(stat(e, "flowPackets"), 100ull * kFlowsN * s.loops) << "the stop must come mid-run";
  }
}

}  // namespace
}  // namespace tapline::test
