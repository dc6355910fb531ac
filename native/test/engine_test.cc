// The engine as a whole: workers, export rings and their policies, stop and
// shutdown flushing, and the capture corpus through every thread under ASan.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "engine/worker.h"
#include "test_util.h"

namespace tapline::test {
namespace {

// A pcap of `flows` UDP flows, one packet each, one second apart.
std::string udp_flows_pcap(const TempDir& dir, int flows) {
  PcapWriter w(false, false, kLinkEthernet);
  for (int i = 0; i < flows; ++i) {
    w.add(1700000000u + static_cast<uint32_t>(i), 0, udp_frame("10.0.0.1", static_cast<uint16_t>(1000 + i), "10.0.0.2", 53, 10));
  }
  const std::string path = dir.file("flows.pcap");
  write_file(path, w.data);
  return path;
}

std::vector<FlowRecord> drain_all(Engine& e) {
  std::vector<FlowRecord> out, buf(256);
  for (;;) {
    const uint32_t n = e.drain(buf.data(), static_cast<uint32_t>(buf.size()));
    out.insert(out.end(), buf.begin(), buf.begin() + n);
    if (n == 0 && e.done()) return out;
    if (n == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

uint64_t stat(const Engine& e, const std::string& name) {
  for (const auto& [k, v] : e.stats()) {
    if (k == name) return v;
  }
  ADD_FAILURE() << "no stat " << name;
  return 0;
}

// One UDP packet of each of `flows` flows (source ports 0, 1, ...).
std::vector<Bytes> udp_flow_frames(int flows) {
  std::vector<Bytes> frames;
  for (int i = 0; i < flows; ++i) frames.push_back(udp_frame("10.0.0.1", static_cast<uint16_t>(i), "10.0.0.2", 53, 10));
  return frames;
}

RawPacket raw_of(const Bytes& f, uint64_t ts_ns) {
  return RawPacket{f.data(), static_cast<uint32_t>(f.size()), static_cast<uint32_t>(f.size()), ts_ns, kLinkEthernet, 6};
}

// A feed that hands out one UDP packet per flow, then ends.
class FlowsFeed final : public WorkerFeed {
 public:
  explicit FlowsFeed(int flows) : frames_(udp_flow_frames(flows)) {}
  uint32_t rx_burst(RawPacket* out, uint32_t n, bool& done) override {
    uint32_t k = 0;
    while (k < n && next_ < frames_.size()) {
      out[k] = raw_of(frames_[next_], kT0 + next_);
      ++k;
      ++next_;
    }
    if (next_ == frames_.size()) done = true;
    return k;
  }

 private:
  std::vector<Bytes> frames_;
  size_t next_ = 0;
};

TEST(Worker, DropPolicyCountsRingDropsAndNeverBlocks) {
  std::atomic<bool> stop{false}, abandon{false};
  WorkerConfig wc;
  wc.flow_capacity = 1024;
  wc.export_ring = 64;  // nobody drains it
  wc.export_policy = ExportPolicy::kDrop;
  Worker w(wc, stop, abandon);
  FlowsFeed feed(500);
  w.run_feed(feed);  // returns: a full ring must not block a capture worker
  w.finish(EndReason::kShutdown, kT0 + 1000);
  EXPECT_EQ(w.stats().packets.get(), 500u);
  EXPECT_EQ(w.output().size(), 64u);
  EXPECT_EQ(w.stats().ring_drops.get(), 500u - 64u);  // every record is either in the ring or counted
  EXPECT_EQ(w.table().stats().exported.get(), 500u);
}

TEST(Worker, WaitPolicyLosesNothingToASlowConsumer) {
  std::atomic<bool> stop{false}, abandon{false};
  WorkerConfig wc;
  wc.flow_capacity = 1024;
  wc.export_ring = 64;
  wc.export_policy = ExportPolicy::kWait;
  Worker w(wc, stop, abandon);
  std::thread t([&] {
    FlowsFeed feed(500);
    w.run_feed(feed);
    w.finish(EndReason::kEof, kT0 + 1000);
  });
  size_t got = 0;
  FlowRecord r;
  while (!w.finished() || w.output().size() != 0) {
    if (w.output().pop_bulk(&r, 1) == 1) {
      ++got;
      std::this_thread::sleep_for(std::chrono::microseconds(20));  // slower than the worker
    }
  }
  t.join();
  EXPECT_EQ(got, 500u);
  EXPECT_EQ(w.stats().ring_drops.get(), 0u);
}

// Records are staged in the export ring and published once per burst: the
// records a burst ends (evictions here) and those an idle clock expires are
// visible to the consumer before the worker asks its feed for more.
class ScriptedFeed final : public WorkerFeed {
 public:
  explicit ScriptedFeed(Worker& w) : w_(w), frames_(udp_flow_frames(24)) {}
  uint32_t rx_burst(RawPacket* out, uint32_t n, bool& done) override {
    seen_.push_back(w_.output().size());  // what the consumer could read now
    const uint32_t call = calls_++;
    uint32_t first = 0, count = 0;
    if (call == 0) count = 16;            // fills the 16-flow table
    if (call == 1) first = 16, count = 8;  // 8 new flows: 8 evictions
    if (call == 3) done = true;            // call 2: no packets, the idle clock ages every flow out
    for (uint32_t k = 0; k < count && k < n; ++k) out[k] = raw_of(frames_[first + k], kT0 + first + k);
    return count;
  }
  uint64_t idle_now_ns() override { return kT0 + 3600 * kSec; }
  const std::vector<uint64_t>& seen() const { return seen_; }

 private:
  Worker& w_;
  std::vector<Bytes> frames_;
  std::vector<uint64_t> seen_;
  uint32_t calls_ = 0;
};

TEST(Worker, RecordsAreVisibleBeforeTheNextBurst) {
  std::atomic<bool> stop{false}, abandon{false};
  WorkerConfig wc;
  wc.flow_capacity = 16;
  Worker w(wc, stop, abandon);
  ScriptedFeed feed(w);
  w.run_feed(feed);
  EXPECT_EQ(feed.seen(), (std::vector<uint64_t>{0, 0, 8, 24}));
  EXPECT_EQ(w.table().stats().exported.get(), 24u);
}

TEST(Engine, EveryFlowOfAFileArrivesWithOneAndSeveralWorkers) {
  TempDir dir;
  const std::string path = udp_flows_pcap(dir, 300);
  for (uint32_t workers : {1u, 4u}) {
    EngineConfig c;
    c.workers = workers;
    c.max_flows = 4096;
    c.export_ring = 64;  // smaller than the output: the file source waits for the consumer
    SourceConfig s;
    s.path = path;
    Engine e(c, s);
    e.start();
    const auto records = drain_all(e);
    e.join();
    EXPECT_EQ(records.size(), 300u) << workers << " workers";
    EXPECT_EQ(stat(e, "ring.drops"), 0u);
    EXPECT_EQ(stat(e, "flows.exported"), 300u);
    // 1-second spacing, 15-second idle timeout, input ends at t=299: flows 0..283 are
    // past their deadline (idle); 284..299 are not (t + 15 >= 299) and end eof.
    size_t eof = 0;
    for (const auto& r : records) eof += r.reason == EndReason::kEof ? 1 : 0;
    EXPECT_EQ(eof, 16u);
  }
}

TEST(Engine, RejectsInvalidConfigurationNamingTheField) {
  TempDir dir;
  SourceConfig s;
  s.path = udp_flows_pcap(dir, 1);
  EngineConfig c;
  c.workers = 0;
  EXPECT_THROW(
      {
        try {
          Engine e(c, s);
        } catch (const EngineConfigError& x) {
          EXPECT_STREQ(x.what(), "workers: must be between 1 and 64, got 0");
          throw;
        }
      },
      EngineConfigError);
  c.workers = 2;
  c.max_flows = 1;
  EXPECT_THROW(Engine(c, s), EngineConfigError);
  s.path = dir.file("missing.pcap");
  c.max_flows = 1024;
  EXPECT_THROW(Engine(c, s), CaptureFileError);
}

TEST(Engine, DestroyedWhileRunningWithNobodyDrainingDoesNotHang) {
  TempDir dir;
  EngineConfig c;
  c.workers = 2;
  c.max_flows = 4096;
  c.export_ring = 64;
  SourceConfig s;
  s.path = udp_flows_pcap(dir, 1000);
  auto e = std::make_unique<Engine>(c, s);
  e->start();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  e.reset();  // abandons: full rings drop instead of waiting, threads join
  SUCCEED();
}

// Every capture of the tcpdump corpus through the whole engine (reader
// thread, dispatch, two workers, export rings) under ASan and UBSan.
TEST(Engine, TcpdumpCorpusRunsCleanUnderSanitizers) {
  const std::filesystem::path corpus = std::filesystem::path(TAPLINE_SOURCE_ROOT) / ".." / "shared" / "pcaps" / "tcpdump-tests";
  if (!std::filesystem::is_directory(corpus)) GTEST_SKIP() << "no corpus at " << corpus;
  size_t files = 0, rejected = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    if (!entry.is_regular_file() || entry.path().filename() == "LICENSE.tcpdump") continue;
    ++files;
    EngineConfig c;
    c.workers = 2;
    c.max_flows = 256;  // small: eviction paths run too
    c.export_ring = 64;
    SourceConfig s;
    s.path = entry.path().string();
    try {
      Engine e(c, s);
      e.start();
      const auto records = drain_all(e);
      e.join();
      uint64_t packets = 0;
      for (const auto& r : records) packets += r.packets[0] + r.packets[1];
      EXPECT_EQ(packets, stat(e, "flowPackets")) << s.path;
    } catch (const CaptureFileError&) {
      ++rejected;
    }
  }
  EXPECT_GE(files, 800u);
  EXPECT_LT(rejected, files / 10);
}

}  // namespace
}  // namespace tapline::test
