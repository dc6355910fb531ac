// What one worker saw in one tick, handed to the collector whole: count-min
// sketches per destination and per source, the destinations that crossed a
// worker's share of a threshold, the top sources and destinations by bytes,
// and the port-scan table. Preallocated in a fixed pool per worker; the
// collector merges a tick, clears it and hands the slot back.
#pragma once
#include <cstdint>

#include "detect/count_min.h"
#include "detect/detect_config.h"
#include "detect/scan_table.h"
#include "detect/top_k.h"

namespace tapline {

struct DetectTick {
  explicit DetectTick(const DetectConfig& c)
      : dst(c.sketch_width),
        src(c.heavy_hitters.enabled ? c.sketch_width : 256),
        candidates(c.candidates),
        top_src(c.heavy_hitters.enabled ? 2 * c.heavy_hitters.top_k : 1),
        top_dst(c.heavy_hitters.enabled ? 2 * c.heavy_hitters.top_k : 1),
        scan(c.port_scan.enabled ? c.scan_sources : 1) {}

  void clear() {
    if (packets == 0) return;
    dst.clear();
    src.clear();
    candidates.clear();
    top_src.clear();
    top_dst.clear();
    scan.clear();
    packets = 0;
    max_ts_ns = 0;
  }
  size_t memory_bytes() const {
    return dst.memory_bytes() + src.memory_bytes() + candidates.memory_bytes() + top_src.memory_bytes() +
           top_dst.memory_bytes() + scan.memory_bytes();
  }

  uint64_t start_ns = 0;  // tick start on the packet clock
  uint64_t packets = 0;
  uint64_t max_ts_ns = 0;
  CountMin<DstCell> dst;
  CountMin<SrcCell> src;
  AddrSet candidates;  // destinations over a worker's share of a volumetric or SYN threshold
  TopK top_src;        // by bytes sent
  TopK top_dst;        // by bytes received
  ScanTable scan;
};

}  // namespace tapline
