#include "detect/collector.h"

#include <chrono>

#include "detect/heavy_hitters.h"
#include "detect/port_scan.h"
#include "detect/syn_flood.h"
#include "detect/volumetric.h"

namespace tapline {

DetectCollector::DetectCollector(const DetectConfig& config, uint32_t workers, bool wait,
                                 const std::atomic<bool>& abandon)
    : config_(config),
      abandon_(abandon),
      tick_ns_(config.tick_ns()),
      heads_(workers, kNone),
      queue_(config.alert_queue),
      machine_(config_, queue_) {
  for (uint32_t i = 0; i < workers; ++i) workers_.push_back(std::make_unique<DetectWorker>(config_, workers, wait, abandon));
  if (config_.volumetric.enabled) detectors_.push_back(std::make_unique<VolumetricDetector>(config_));
  if (config_.syn_flood.enabled) detectors_.push_back(std::make_unique<SynFloodDetector>(config_));
  if (config_.port_scan.enabled) detectors_.push_back(std::make_unique<PortScanDetector>(config_));
  if (config_.heavy_hitters.enabled) detectors_.push_back(std::make_unique<HeavyHittersDetector>(config_));
  for (auto& d : detectors_) open_.push_back(Open{d.get(), 0, false});
  gather_.reserve(workers);
}

DetectCollector::~DetectCollector() { join(); }

void DetectCollector::start() {
  if (thread_.joinable() || finished()) return;
  thread_ = std::thread([this] { run(); });
}

void DetectCollector::join() {
  if (thread_.joinable()) thread_.join();
}

void DetectCollector::run() {
  while (!finished() && !abandon_.load(std::memory_order_relaxed)) {
    if (!step()) std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

bool DetectCollector::step() {
  if (finished()) return false;
  // Finished flags, then progress, then the rings: each is published after
  // what it vouches for, so what is read here covers what those promise.
  bool all_finished = true;
  for (const auto& w : workers_) all_finished = all_finished && w->finished();
  uint64_t progress = UINT64_MAX;
  for (const auto& w : workers_) {
    const uint64_t p = w->progress();
    progress = p < progress ? p : progress;
  }
  bool worked = false;
  for (;;) {
    uint64_t start = UINT64_MAX;
    for (size_t i = 0; i < workers_.size(); ++i) {
      if (heads_[i] == kNone) {
        uint32_t s;
        if (workers_[i]->published().pop_bulk(&s, 1) == 1) heads_[i] = s;
      }
      if (heads_[i] != kNone) {
        const uint64_t s = workers_[i]->slot(heads_[i]).start_ns;
        start = s < start ? s : start;
      }
    }
    if (start == UINT64_MAX || start + tick_ns_ > progress) break;  // no tick, or one not complete yet
    gather_.clear();
    for (size_t i = 0; i < workers_.size(); ++i) {
      if (heads_[i] != kNone && workers_[i]->slot(heads_[i]).start_ns == start) gather_.push_back(&workers_[i]->slot(heads_[i]));
    }
    merge_tick(start, gather_.data(), static_cast<uint32_t>(gather_.size()));
    for (size_t i = 0; i < workers_.size(); ++i) {
      if (heads_[i] == kNone || workers_[i]->slot(heads_[i]).start_ns != start) continue;
      workers_[i]->slot(heads_[i]).clear();
      workers_[i]->free_slots().push(heads_[i]);
      heads_[i] = kNone;
    }
    worked = true;
  }
  if (all_finished) {
    finalize();
    return true;
  }
  if (progress != 0) close_windows(progress);
  return worked;
}

void DetectCollector::merge_tick(uint64_t start_ns, const DetectTick* const* ticks, uint32_t n) {
  ticks_merged_.add();
  for (uint32_t i = 0; i < n; ++i) data_end_ns_ = ticks[i]->max_ts_ns > data_end_ns_ ? ticks[i]->max_ts_ns : data_end_ns_;
  for (Open& o : open_) {
    const uint64_t w = o.detector->window_ns();
    const uint64_t ws = start_ns - start_ns % w;
    if (o.active && o.start_ns != ws) {  // the tick begins a later window: the open one is complete
      o.detector->evaluate(o.start_ns, o.start_ns + w, machine_);
      machine_.sweep(o.detector->type(), o.start_ns + w);
    }
    o.start_ns = ws;
    o.active = true;
    o.detector->add(ticks, n);
  }
}

void DetectCollector::close_windows(uint64_t now_ns) {
  for (Open& o : open_) {
    const uint64_t w = o.detector->window_ns();
    if (o.active && o.start_ns + w <= now_ns) {
      o.detector->evaluate(o.start_ns, o.start_ns + w, machine_);
      o.active = false;
      machine_.sweep(o.detector->type(), o.start_ns + w);
    }
    // No traffic for a while: attacks still resolve on time.
    machine_.sweep(o.detector->type(), now_ns - now_ns % w);
  }
}

void DetectCollector::finalize() {
  for (Open& o : open_) {
    if (!o.active) continue;
    const uint64_t end = o.start_ns + o.detector->window_ns();
    o.detector->evaluate(o.start_ns, data_end_ns_ < end ? data_end_ns_ : end, machine_);
    o.active = false;
  }
  machine_.resolve_all();
  finished_.store(true, std::memory_order_release);
}

size_t DetectCollector::memory_bytes() const {
  size_t m = queue_.memory_bytes();
  for (const auto& w : workers_) m += w->memory_bytes();
  for (const auto& d : detectors_) m += d->memory_bytes();
  return m;
}

void DetectCollector::append_stats(std::vector<std::pair<std::string, uint64_t>>& out) const {
  uint64_t ticks = 0, tick_drops = 0, cand = 0, replaced = 0;
  for (const auto& w : workers_) {
    ticks += w->stats().ticks.get();
    tick_drops += w->stats().tick_drops.get();
    cand += w->stats().candidate_drops.get();
    replaced += w->stats().scan_replaced.get();
  }
  out.emplace_back("detectors.ticks", ticks);
  out.emplace_back("detectors.ticksMerged", ticks_merged_.get());
  out.emplace_back("detectors.tickDrops", tick_drops);
  out.emplace_back("detectors.candidateDrops", cand);
  out.emplace_back("detectors.scanSourcesReplaced", replaced);
  out.emplace_back("detectors.attackDrops", machine_.stats().attack_drops.get());
  out.emplace_back("detectors.openAttacks", machine_.stats().open.get());
  for (const auto& d : detectors_) d->append_stats(out);
  out.emplace_back("alerts.raised", machine_.stats().raised.get());
  out.emplace_back("alerts.updated", machine_.stats().updated.get());
  out.emplace_back("alerts.resolved", machine_.stats().resolved.get());
  out.emplace_back("alerts.reports", machine_.stats().reports.get());
  out.emplace_back("alerts.dropped", machine_.stats().queue_drops.get());
  out.emplace_back("alerts.queued", queue_.size());
}

}  // namespace tapline
