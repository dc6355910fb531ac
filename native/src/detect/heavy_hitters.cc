#include "detect/heavy_hitters.h"

#include <algorithm>
#include <cstring>

namespace tapline {

HeavyHittersDetector::HeavyHittersDetector(const DetectConfig& c)
    : WindowDetector(AlertType::kHeavyHitters, c.heavy_hitters.interval_ns),
      top_k_(c.heavy_hitters.top_k),
      seed_(c.hash_seed),
      src_(c.sketch_width),
      dst_(c.sketch_width),
      src_keys_(c.window_keys),
      dst_keys_(c.window_keys) {}

void HeavyHittersDetector::add(const DetectTick* const* ticks, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    const DetectTick& t = *ticks[i];
    src_.merge(t.src);
    dst_.merge(t.dst);
    for (uint32_t j = 0; j < t.top_src.size(); ++j) {
      if (!src_keys_.add(t.top_src.key(j), t.top_src.hash(j))) candidate_drops_.add();
    }
    for (uint32_t j = 0; j < t.top_dst.size(); ++j) {
      if (!dst_keys_.add(t.top_dst.key(j), t.top_dst.hash(j))) candidate_drops_.add();
    }
  }
}

namespace {
// Largest first; equal byte counts by address, so reports are deterministic.
void rank(std::vector<HeavyHitter>& v, uint32_t k) {
  auto before = [](const HeavyHitter& a, const HeavyHitter& b) {
    if (a.bytes != b.bytes) return a.bytes > b.bytes;
    return std::memcmp(&a.addr, &b.addr, sizeof(AddrKey)) < 0;
  };
  if (v.size() > k) {
    std::partial_sort(v.begin(), v.begin() + k, v.end(), before);
    v.resize(k);
  } else {
    std::sort(v.begin(), v.end(), before);
  }
}
}  // namespace

void HeavyHittersDetector::evaluate(uint64_t start_ns, uint64_t end_ns, AlertMachine& alerts) {
  windows_.add();
  if (src_keys_.keys().empty() && dst_keys_.keys().empty()) return;
  std::vector<HeavyHitter> src, dst;
  src.reserve(src_keys_.keys().size());
  dst.reserve(dst_keys_.keys().size());
  for (const AddrKey& k : src_keys_.keys()) {
    const uint64_t h = hash_addr(k, seed_);
    src.push_back(HeavyHitter{k, false, src_.estimate(h, [](const SrcCell& c) { return c.bytes; }),
                              src_.estimate(h, [](const SrcCell& c) { return c.packets; })});
  }
  for (const AddrKey& k : dst_keys_.keys()) {
    const uint64_t h = hash_addr(k, seed_);
    dst.push_back(HeavyHitter{k, true, dst_.estimate(h, [](const DstCell& c) { return c.bytes; }),
                              dst_.estimate(h, [](const DstCell& c) { return c.packets; })});
  }
  rank(src, top_k_);
  rank(dst, top_k_);
  AlertEvent e;
  e.type = type();
  e.state = AlertState::kReport;
  e.metric = AlertMetric::kBytes;
  e.observed = static_cast<double>(src_.total([](const SrcCell& c) { return c.bytes; }));  // all bytes of the interval
  e.threshold = 0;
  e.window_ns = window_ns();
  e.first_seen_ns = start_ns;
  e.last_seen_ns = end_ns;
  e.top = std::move(src);
  e.top.insert(e.top.end(), dst.begin(), dst.end());
  alerts.report(std::move(e));
  src_.clear();
  dst_.clear();
  src_keys_.clear();
  dst_keys_.clear();
}

void HeavyHittersDetector::append_stats(std::vector<std::pair<std::string, uint64_t>>& out) const {
  out.emplace_back("detectors.heavyHitters.intervals", windows_.get());
  out.emplace_back("detectors.heavyHitters.candidateDrops", candidate_drops_.get());
}

}  // namespace tapline
