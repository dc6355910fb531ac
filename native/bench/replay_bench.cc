// The engine from memory without Node.js: preload a capture, replay it
// `loops` times per worker, print per-worker packets per second as JSON.
// For profiling (perf, callgrind) and multi-core scaling runs.
//   tapline_replay_bench FILE [workers=1] [loops=3] [max_flows=262144]
#include <chrono>
#include <cstdio>
#include <thread>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/engine.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [workers] [loops] [max_flows]\n", argv[0]);
    return 2;
  }
  tapline::EngineConfig config;
  config.workers = argc > 2 ? static_cast<uint32_t>(std::atoi(argv[2])) : 1;
  config.max_flows = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : (1u << 18);
  tapline::SourceConfig source;
  source.kind = tapline::SourceConfig::Kind::kReplay;
  source.path = argv[1];
  source.loops = argc > 3 ? static_cast<uint32_t>(std::atoi(argv[3])) : 3;
  try {
    tapline::Engine engine(config, source);
    engine.start();
    std::vector<tapline::FlowRecord> buf(65536);
    uint64_t records = 0;
    // The consumer naps when the rings are empty: on a 2-core machine a
    // spinning consumer would take a worker's core.
    while (!engine.done()) {
      const uint32_t n = engine.drain(buf.data(), static_cast<uint32_t>(buf.size()));
      records += n;
      if (n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    records += engine.drain(buf.data(), static_cast<uint32_t>(buf.size()));
    engine.join();
    uint64_t packets = 0;
    std::vector<std::pair<uint64_t, uint64_t>> per;  // packets, busy ns
    for (const auto& [name, value] : engine.stats()) {
      if (name == "packets") packets = value;
      if (name.rfind("workers.", 0) == 0) {
        const size_t w = std::stoul(name.substr(8));
        if (per.size() <= w) per.resize(w + 1);
        (name.find(".packets") != std::string::npos ? per[w].first : per[w].second) = value;
      }
    }
    std::printf("{\"workers\":%u,\"packets\":%llu,\"records\":%llu,\"perWorkerMpps\":[", config.workers,
                static_cast<unsigned long long>(packets), static_cast<unsigned long long>(records));
    for (size_t i = 0; i < per.size(); ++i) {
      std::printf("%s%.3f", i ? "," : "", per[i].second ? per[i].first * 1e3 / static_cast<double>(per[i].second) : 0.0);
    }
    std::printf("]}\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "replay bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
