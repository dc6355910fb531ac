// The detectors' collector: one thread that takes each worker's finished
// ticks, merges those of the same tick (count-min cells add, HyperLogLog
// registers take the maximum, candidate keys unite), feeds the windowed
// detectors, runs the alert state machine and queues alert events for
// drain(). Nothing a worker does waits on it except a full slot pool on a
// source that can wait (files, replay); live sources drop and count.
//
// Time is the workers' packet clock: a tick is merged once every worker's
// progress has passed its end (a worker with no packets is advanced by its
// source's clock through DetectWorker::advance), a window is evaluated once
// every tick in it is merged. When the input ends (file EOF, stop), the last,
// partial window of each detector is evaluated as if whole (rates over the
// full window length: conservative), its end clipped to the last packet's
// time, then every attack still open is resolved — a finite input ends with
// every attack resolved — and a last heavy-hitters report covers the partial interval.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/spsc_ring.h"
#include "detect/alert_machine.h"
#include "detect/detect_worker.h"
#include "detect/window_detector.h"

namespace tapline {

class DetectCollector {
 public:
  // `wait`: workers wait for free tick slots (files, replay) rather than drop them.
  DetectCollector(const DetectConfig& config, uint32_t workers, bool wait, const std::atomic<bool>& abandon);
  ~DetectCollector();
  DetectCollector(const DetectCollector&) = delete;
  DetectCollector& operator=(const DetectCollector&) = delete;

  DetectWorker& worker(uint32_t i) { return *workers_[i]; }

  void start();
  void join();
  // Runs the collector's work once on the calling thread: returns true when it did something.
  // (The thread calls it in a loop; tests call it directly.)
  bool step();
  bool finished() const { return finished_.load(std::memory_order_acquire); }

  // Takes up to `max` queued events. One consumer (the JavaScript thread); never blocks.
  uint32_t drain(AlertEvent* out, uint32_t max) { return queue_.pop_bulk(out, max); }

  size_t memory_bytes() const;
  void append_stats(std::vector<std::pair<std::string, uint64_t>>& out) const;

 private:
  void run();
  void merge_tick(uint64_t start_ns, const DetectTick* const* ticks, uint32_t n);
  void close_windows(uint64_t now_ns);
  void finalize();

  static constexpr uint32_t kNone = 0xFFFFFFFFu;
  struct Open {
    WindowDetector* detector;
    uint64_t start_ns;  // of the window being summed
    bool active;
  };

  const DetectConfig config_;
  const std::atomic<bool>& abandon_;
  const uint64_t tick_ns_;
  std::vector<std::unique_ptr<DetectWorker>> workers_;
  std::vector<uint32_t> heads_;  // per worker: published slot not yet merged, or kNone
  std::vector<std::unique_ptr<WindowDetector>> detectors_;
  std::vector<Open> open_;
  std::vector<const DetectTick*> gather_;
  SpscRing<AlertEvent> queue_;
  AlertMachine machine_;
  uint64_t data_end_ns_ = 0;  // latest packet time merged
  Counter ticks_merged_;
  std::thread thread_;
  std::atomic<bool> finished_{false};
};

}  // namespace tapline
