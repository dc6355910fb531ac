// The engine from memory without Node.js: preload a capture, its packets
// spread over the workers by flow hash (as a NIC's RSS would), replay it
// `loops` times, print per-worker packets per second as JSON.
// For profiling (perf, callgrind) and multi-core scaling runs.
//   tapline_replay_bench FILE [workers=1] [loops=3] [max_flows=262144] [--detectors | --compare-detectors[=ROUNDS]] [--only=LIST]
// --detectors: every anomaly detector on (thresholds as a policy would set
// them, none reached by the bench captures: the cost is the sketches').
// --compare-detectors: ROUNDS (default 2) alternating runs off, on, off, on ...
// in this one process; prints each run and the ratio of the best on to the best off.
// --only=LIST: with either, only the detectors named (comma-separated:
// volumetric, synFlood, portScan, heavyHitters), to see what each one costs.
// --consumers=K: K threads drain the workers' export rings (each its own
// workers) instead of one, to tell the workers' limit from the consumer's.
// --compare-file: ROUNDS (default 2) alternating one-loop replays and file runs
// (what `tapline analyze` runs: the reader frames, the workers parse and account)
// with the same workers, each timed from start to the last record; prints the
// ratio of the best file run to the best replay.
// --frame-only: the file engine's reader alone (read, frame, copy into blocks;
// no parsing), best of 3: the most packets per second a file run can take in.
// --synth=mix|flood OUT [packets=4000000] [flows=100000] [seed=7]: writes a
// benchmark capture (bench/synth_capture.h) instead of running one, for a
// machine without the Node.js generators.
// --bandwidth=THREADS: the machine's memory read bandwidth with 1, 2, 4, ...
// and THREADS threads (bench/memory_bandwidth.h), one JSON line each.
// --ring-handoff[=PRODUCERS]: records from PRODUCERS threads (default 1), each
// through its own export ring, to one consumer, all running at once, pushed one
// at a time or published per burst of 32 (bench/ring_handoff.h); 20 M records
// in all per run, medians of 5 alternating rounds, one JSON line.
// --drain-ceiling: what one consumer can take from a full export ring once
// its producer has stopped (no FILE): records copied out (Engine::drain)
// against read in place (Engine::drain_each), 3 alternating rounds, best
// records per second of each. An upper bound: with the producer still writing
// on another core (a flood), --ring-handoff measured 5-20x less here.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "engine/file_blocks.h"
#include "source/capture_file.h"
#include "memory_bandwidth.h"
#include "ring_handoff.h"
#include "synth_capture.h"

namespace {

constexpr uint64_t kSec = 1000000000ull;

std::string only_detectors;  // --only: empty = every detector
uint32_t consumers = 1;      // --consumers: threads draining the export rings

tapline::DetectConfig bench_detectors() {
  tapline::DetectConfig d;
  d.volumetric = {true, 1'000'000, 10'000'000'000ull, 1 * kSec};
  d.syn_flood = {true, 100'000, 90, 1 * kSec};
  d.port_scan = {true, 1000, 0, 10 * kSec};
  d.heavy_hitters = {true, 10, 10 * kSec};
  d.cooldown_ns = 10 * kSec;
  if (!only_detectors.empty()) {
    std::string list(1, ',');
    list.append(only_detectors).push_back(',');
    auto named = [&list](const char* name) {
      std::string item(1, ',');
      item.append(name).push_back(',');
      return list.find(item) != std::string::npos;
    };
    d.volumetric.enabled = named("volumetric");
    d.syn_flood.enabled = named("synFlood");
    d.port_scan.enabled = named("portScan");
    d.heavy_hitters.enabled = named("heavyHitters");
  }
  return d;
}

struct Run {
  uint64_t packets = 0, records = 0, alerts = 0;
  uint64_t record_packets = 0;  // packets summed over the records the consumer read
  std::vector<double> per_worker_mpps;
  double total_mpps = 0;  // packets over the slowest worker's busy time
  double wall_mpps = 0;   // packets over the time from start() to the last record
};

Run run_once(const tapline::EngineConfig& config, const tapline::SourceConfig& source) {
  tapline::Engine engine(config, source);
  const auto t0 = std::chrono::steady_clock::now();
  engine.start();
  std::vector<tapline::AlertEvent> alerts(1024);
  Run r;
  // Consumer c drains workers c, c + K, c + 2K, ... (K = --consumers; one
  // by default, as the binding has). A consumer naps when its rings are
  // empty: on a 2-core machine a spinning consumer would take a worker's core.
  const uint32_t k = std::min(consumers, config.workers);
  struct alignas(64) Tally {  // one cache line per consumer
    uint64_t records = 0, check = 0;
  };
  std::vector<Tally> tally(k);
  auto consume = [&](uint32_t c) {
    uint64_t& check = tally[c].check;
    auto read = [&check](const tapline::FlowRecord& rec) { check += rec.packets[0] + rec.packets[1]; };
    auto drain = [&](uint32_t max) {
      uint32_t n = 0;
      for (uint32_t w = c; w < config.workers; w += k) n += engine.drain_worker_each(w, max, read);
      return n;
    };
    while (!engine.done()) {
      const uint32_t n = drain(65536);
      tally[c].records += n;
      if (c == 0) r.alerts += engine.drain_alerts(alerts.data(), static_cast<uint32_t>(alerts.size()));
      if (n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    tally[c].records += drain(UINT32_MAX);
  };
  std::vector<std::thread> helpers;
  for (uint32_t c = 1; c < k; ++c) helpers.emplace_back(consume, c);
  consume(0);
  for (std::thread& t : helpers) t.join();
  engine.join();
  for (uint32_t c = 0; c < k; ++c) {
    r.records += tally[c].records;
    r.record_packets += tally[c].check;
  }
  const double wall_ns = static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
  r.alerts += engine.drain_alerts(alerts.data(), static_cast<uint32_t>(alerts.size()));
  std::vector<std::pair<uint64_t, uint64_t>> per;  // packets, busy ns
  for (const auto& [name, value] : engine.stats()) {
    if (name == "packets") r.packets = value;
    if (name.rfind("workers.", 0) == 0) {
      const size_t w = std::stoul(name.substr(8));
      if (per.size() <= w) per.resize(w + 1);
      (name.find(".packets") != std::string::npos ? per[w].first : per[w].second) = value;
    }
  }
  uint64_t slowest = 0;
  for (const auto& [p, ns] : per) {
    r.per_worker_mpps.push_back(ns ? p * 1e3 / static_cast<double>(ns) : 0.0);
    slowest = std::max(slowest, ns);
  }
  r.total_mpps = slowest ? r.packets * 1e3 / static_cast<double>(slowest) : 0.0;
  r.wall_mpps = wall_ns > 0 ? r.packets * 1e3 / wall_ns : 0.0;
  return r;
}

double frame_only_mpps(const std::string& path) {
  auto reader = tapline::CaptureFileReader::open(path);
  tapline::FileBlocks blocks(1, 1);
  const std::atomic<bool> stop{false};
  tapline::Parser unused;
  tapline::FileBlock* b = blocks.acquire(0, stop, unused);
  tapline::RawPacket raw;
  uint64_t packets = 0;
  const auto t0 = std::chrono::steady_clock::now();
  while (reader->next(raw)) {
    ++packets;
    if (b->add(raw)) continue;
    b->used = 0;
    b->framed = 0;
    b->add(raw);
  }
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
  return packets * 1e3 / static_cast<double>(ns);
}

// A consumer facing a full ring whose producer has stopped (an upper bound:
// the records are not being written on another core meanwhile, as they are
// in a flood; see bench/ring_handoff.h): another thread fills a worker-sized
// ring (65,536 records, pushed one at a time) and waits for it to be emptied; this thread
// waits for it to be full and drains it whole, copying out (pop_bulk, as
// Engine::drain) or reading in place (consume, as Engine::drain_each), `fills`
// times. Returns records per second over the drains alone, and checks that
// every record arrived intact.
double drain_rate(bool in_place) {
  constexpr uint32_t kRing = 65536;
  constexpr uint32_t kFills = 200;
  tapline::SpscRing<tapline::FlowRecord> ring(kRing);
  std::vector<tapline::FlowRecord> buf(in_place ? 0 : kRing);
  std::thread producer([&ring] {
    tapline::FlowRecord r{};
    for (uint64_t fill = 0, i = 0; fill < kFills; ++fill) {
      while (ring.size() != 0) std::this_thread::yield();
      for (uint32_t k = 0; k < kRing; ++k, ++i) {
        r.first_ns = i;
        r.packets[0] = i & 0xFF;
        ring.push(r);
      }
    }
  });
  uint64_t got = 0, check = 0, busy_ns = 0;
  for (uint32_t fill = 0; fill < kFills; ++fill) {
    while (ring.size() != kRing) std::this_thread::yield();
    const auto a = std::chrono::steady_clock::now();
    uint32_t n = 0;
    if (in_place) {
      n = ring.consume(kRing, [&check](const tapline::FlowRecord& r) { check += r.packets[0]; });
    } else {
      n = ring.pop_bulk(buf.data(), kRing);
      for (uint32_t i = 0; i < n; ++i) check += buf[i].packets[0];  // what a consumer reads at least
    }
    busy_ns += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - a).count());
    got += n;
  }
  producer.join();
  if (got != uint64_t{kFills} * kRing || check != got / 256 * (255 * 256 / 2)) {
    throw std::runtime_error("drain ceiling: records lost or changed");
  }
  return got * 1e3 / static_cast<double>(busy_ns);
}

void drain_ceiling() {
  double best[2] = {0, 0};
  for (int round = 0; round < 3; ++round) {
    for (int in_place = 0; in_place < 2; ++in_place) best[in_place] = std::max(best[in_place], drain_rate(in_place != 0));
  }
  std::printf("{\"recordBytes\":%zu,\"copyOutMrecordsPerSec\":%.1f,\"inPlaceMrecordsPerSec\":%.1f,\"ratio\":%.2f}\n",
              sizeof(tapline::FlowRecord), best[0], best[1], best[0] > 0 ? best[1] / best[0] : 0.0);
}

void print_run(const char* label, uint32_t workers, const Run& r) {
  std::printf("{%s\"workers\":%u,\"packets\":%llu,\"records\":%llu,\"alerts\":%llu,\"perWorkerMpps\":[", label, workers,
              static_cast<unsigned long long>(r.packets), static_cast<unsigned long long>(r.records),
              static_cast<unsigned long long>(r.alerts));
  for (size_t i = 0; i < r.per_worker_mpps.size(); ++i) std::printf("%s%.3f", i ? "," : "", r.per_worker_mpps[i]);
  std::printf("],\"totalMpps\":%.3f,\"wallMpps\":%.3f,\"recordPackets\":%llu}\n", r.total_mpps, r.wall_mpps,
              static_cast<unsigned long long>(r.record_packets));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<const char*> pos;
  bool detectors = false;
  uint32_t compare_rounds = 0, file_rounds = 0;
  bool frame_only = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--detectors") == 0) {
      detectors = true;
    } else if (std::strncmp(argv[i], "--compare-detectors", 19) == 0) {
      compare_rounds = argv[i][19] == '=' ? static_cast<uint32_t>(std::atoi(argv[i] + 20)) : 2;
      if (compare_rounds == 0) compare_rounds = 1;
    } else if (std::strncmp(argv[i], "--only=", 7) == 0) {
      only_detectors = argv[i] + 7;
      if (!bench_detectors().any_enabled()) {
        std::fprintf(stderr, "--only: names none of volumetric, synFlood, portScan, heavyHitters: %s\n", argv[i] + 7);
        return 2;
      }
    } else if (std::strncmp(argv[i], "--synth=", 8) == 0) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "usage: %s --synth=mix|flood OUT [packets] [flows] [seed]\n", argv[0]);
        return 2;
      }
      auto arg = [&](int k, uint64_t dflt) { return i + k < argc ? std::strtoull(argv[i + k], nullptr, 10) : dflt; };
      const uint64_t packets = arg(2, 4000000), flows = arg(3, 100000), seed = arg(4, 7);
      try {
        const uint64_t begun = tapline::bench::write_synth_capture(argv[i] + 8, packets, static_cast<uint32_t>(flows), seed, argv[i + 1]);
        std::printf("{\"synth\":\"%s\",\"path\":\"%s\",\"packets\":%llu,\"flows\":%llu}\n", argv[i] + 8, argv[i + 1],
                    static_cast<unsigned long long>(packets), static_cast<unsigned long long>(begun));
      } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
      }
      return 0;
    } else if (std::strncmp(argv[i], "--bandwidth=", 12) == 0) {
      const uint32_t most = static_cast<uint32_t>(std::strtoul(argv[i] + 12, nullptr, 10));
      if (most == 0) {
        std::fprintf(stderr, "--bandwidth: THREADS must be at least 1\n");
        return 2;
      }
      for (uint32_t t = 1;; t = std::min(t * 2, most)) {
        std::printf("{\"threads\":%u,\"readGBs\":%.1f}\n", t, tapline::bench::read_bandwidth_gbs(t, 256));
        std::fflush(stdout);
        if (t == most) break;
      }
      return 0;
    } else if (std::strncmp(argv[i], "--ring-handoff", 14) == 0 && (argv[i][14] == 0 || argv[i][14] == '=')) {
      const uint32_t producers = argv[i][14] == '=' ? static_cast<uint32_t>(std::strtoul(argv[i] + 15, nullptr, 10)) : 1;
      if (producers == 0 || producers > 254) {
        std::fprintf(stderr, "--ring-handoff: PRODUCERS must be 1..254\n");
        return 2;
      }
      const tapline::bench::RingHandoff h = tapline::bench::ring_handoff(producers, 20000000 / producers, 32, 5);
      std::printf("{\"producers\":%u,\"pinned\":%s,\"recordBytes\":%zu,\"perRecordMrecordsPerSec\":%.1f,"
                  "\"perBurstOf32MrecordsPerSec\":%.1f,\"ratio\":%.2f}\n",
                  producers, h.pinned ? "true" : "false", sizeof(tapline::FlowRecord), h.per_record_mrps, h.per_burst_mrps,
                  h.per_record_mrps > 0 ? h.per_burst_mrps / h.per_record_mrps : 0.0);
      return 0;
    } else if (std::strncmp(argv[i], "--consumers=", 12) == 0) {
      consumers = static_cast<uint32_t>(std::strtoul(argv[i] + 12, nullptr, 10));
      if (consumers == 0) {
        std::fprintf(stderr, "--consumers: K must be at least 1\n");
        return 2;
      }
    } else if (std::strcmp(argv[i], "--drain-ceiling") == 0) {
      drain_ceiling();
      return 0;
    } else if (std::strcmp(argv[i], "--frame-only") == 0) {
      frame_only = true;
    } else if (std::strncmp(argv[i], "--compare-file", 14) == 0) {
      file_rounds = argv[i][14] == '=' ? static_cast<uint32_t>(std::atoi(argv[i] + 15)) : 2;
      if (file_rounds == 0) file_rounds = 1;
    } else {
      pos.push_back(argv[i]);
    }
  }
  if (pos.empty()) {
    std::fprintf(stderr, "usage: %s FILE [workers] [loops] [max_flows] [--detectors | --compare-detectors[=ROUNDS]] [--only=LIST] [--consumers=K] [--compare-file[=ROUNDS] | --frame-only] | --drain-ceiling | --ring-handoff[=PRODUCERS] | --bandwidth=THREADS | --synth=mix|flood OUT [packets] [flows] [seed]\n",
                 argv[0]);
    return 2;
  }
  tapline::EngineConfig config;
  config.workers = pos.size() > 1 ? static_cast<uint32_t>(std::atoi(pos[1])) : 1;
  config.max_flows = pos.size() > 3 ? std::strtoull(pos[3], nullptr, 10) : (1u << 18);
  tapline::SourceConfig source;
  source.kind = tapline::SourceConfig::Kind::kReplay;
  source.path = pos[0];
  source.loops = pos.size() > 2 ? static_cast<uint32_t>(std::atoi(pos[2])) : 3;
  try {
    if (frame_only) {
      double best = 0;
      for (int i = 0; i < 3; ++i) best = std::max(best, frame_only_mpps(source.path));
      std::printf("{\"frameOnlyMpps\":%.3f}\n", best);
      return 0;
    }
    if (file_rounds != 0) {
      if (detectors) config.detect = bench_detectors();
      double best_replay = 0, best_file = 0;
      for (uint32_t round = 0; round < file_rounds; ++round) {
        for (bool file : {false, true}) {
          source.kind = file ? tapline::SourceConfig::Kind::kFile : tapline::SourceConfig::Kind::kReplay;
          source.loops = 1;
          const Run r = run_once(config, source);
          print_run(file ? "\"source\":\"file\"," : "\"source\":\"replay\",", config.workers, r);
          (file ? best_file : best_replay) = std::max(file ? best_file : best_replay, r.wall_mpps);
        }
      }
      std::printf("{\"bestReplayMpps\":%.3f,\"bestFileMpps\":%.3f,\"ratio\":%.3f}\n", best_replay, best_file,
                  best_replay > 0 ? best_file / best_replay : 0.0);
      return 0;
    }
    if (compare_rounds == 0) {
      if (detectors) config.detect = bench_detectors();
      print_run(detectors ? "\"detectors\":true," : "", config.workers, run_once(config, source));
      return 0;
    }
    double best_off = 0, best_on = 0;
    for (uint32_t round = 0; round < compare_rounds; ++round) {
      for (bool on : {false, true}) {
        config.detect = on ? bench_detectors() : tapline::DetectConfig{};
        const Run r = run_once(config, source);
        print_run(on ? "\"detectors\":true," : "\"detectors\":false,", config.workers, r);
        (on ? best_on : best_off) = std::max(on ? best_on : best_off, r.total_mpps);
      }
    }
    std::printf("{\"bestOffMpps\":%.3f,\"bestOnMpps\":%.3f,\"ratio\":%.3f}\n", best_off, best_on,
                best_off > 0 ? best_on / best_off : 0.0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "replay bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
