// A live capture source: one WorkerFeed per worker (an AF_PACKET ring, a DPDK
// RX queue), the execution context each worker runs on (a pinned thread, an
// EAL lcore), and the source's own counters (kernel or NIC drops).
#pragma once
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "engine/worker.h"

namespace tapline {

// Why a live capture could not start. The message says what to fix.
class CaptureError : public std::runtime_error {
 public:
  enum class Kind {
    kDevice,      // no such interface / PCI device / virtual device
    kPermission,  // the process lacks the capability (CAP_NET_RAW, vfio, hugepages)
    kSetup,       // everything else: EAL, cores, memory, ring sizes
  };
  CaptureError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

using SourceStats = std::vector<std::pair<std::string, uint64_t>>;

class LiveSource {
 public:
  virtual ~LiveSource() = default;
  virtual WorkerFeed& feed(uint32_t worker) = 0;
  // Runs body(i) for every worker i on its own thread or lcore; returns at once.
  virtual void launch(const std::function<void(uint32_t)>& body) = 0;
  // Waits for every launched body to return (after the engine's stop flag is set).
  virtual void join() = 0;
  // Releases the devices (after join); stats() then reports the final counts.
  virtual void close() = 0;
  // Appends the source's counters under "capture." (received, drops, ...).
  virtual void stats(SourceStats& out) const = 0;
  virtual size_t memory_bytes() const = 0;
};

// The CPUs a cpuset list ("2-5,8") names, in order. Throws CaptureError (kSetup)
// naming `field` when the list is malformed.
std::vector<uint32_t> parse_core_list(const std::string& list, const char* field);

}  // namespace tapline
