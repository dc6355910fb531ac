// The DPDK live source: EAL once per process, every port (PCI VF or virtual
// device) with one RX queue per worker and symmetric RSS (so both directions
// of a flow reach one queue), each worker on its own EAL lcore polling its
// queue on every port, l2fwd/l3fwd style. A capture filter runs as eBPF
// (rte_bpf, converted from the same classic BPF program, JIT when available).
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/counter.h"
#include "source/capture_filter.h"
#include "source/dpdk_config.h"
#include "source/iface_drops.h"
#include "source/live_source.h"

struct rte_mbuf;
struct rte_mempool;
struct rte_bpf;

namespace tapline {

// A classic BPF filter converted to eBPF and loaded (JIT-compiled when the CPU allows).
class DpdkFilter {
 public:
  explicit DpdkFilter(const CaptureFilter& filter);
  ~DpdkFilter();
  DpdkFilter(const DpdkFilter&) = delete;
  DpdkFilter& operator=(const DpdkFilter&) = delete;
  bool matches(rte_mbuf* m) const;
  bool jit() const { return jit_ != nullptr; }

 private:
  rte_bpf* bpf_ = nullptr;
  uint64_t (*jit_)(void*) = nullptr;
};

class DpdkFeed final : public WorkerFeed {
 public:
  DpdkFeed(std::vector<uint16_t> ports, uint16_t queue, uint32_t snaplen, const DpdkFilter* filter);
  ~DpdkFeed() override;
  uint32_t rx_burst(RawPacket* out, uint32_t n, bool& done) override;
  uint64_t idle_now_ns() override;
  uint64_t filter_rejected() const { return filter_rejected_.get(); }

 private:
  uint64_t now_ns();
  void free_held();

  std::vector<uint16_t> ports_;
  uint16_t queue_;
  uint32_t snaplen_;
  const DpdkFilter* filter_;
  uint32_t next_port_ = 0;
  rte_mbuf* held_[64] = {};  // the mbufs of the last burst, freed on the next call
  uint32_t held_n_ = 0;
  uint64_t tsc_hz_;
  uint64_t tsc0_;
  uint64_t real0_ns_;
  Counter filter_rejected_;
};

class DpdkSource final : public LiveSource {
 public:
  // EAL init, ports configured and started. Throws CaptureError.
  DpdkSource(const DpdkConfig& config, uint32_t workers, uint32_t snaplen, const CaptureFilter* filter);
  ~DpdkSource() override;

  WorkerFeed& feed(uint32_t worker) override { return *feeds_[worker]; }
  void launch(const std::function<void(uint32_t)>& body) override;
  void join() override;
  void close() override;
  void stats(SourceStats& out) const override;
  size_t memory_bytes() const override { return memory_bytes_; }

 private:
  void setup_port(uint16_t port, const std::string& name, uint32_t workers);
  void read_stats(SourceStats& out) const;
  void shutdown();

  mutable std::mutex mu_;  // stats() (JS thread) against close()
  SourceStats final_;      // the counters as they were when the ports closed
  bool closed_ = false;

  DpdkConfig config_;
  std::vector<uint16_t> ports_;
  std::vector<std::string> port_names_;
  IfaceDrops iface_drops_;  // net_af_xdp ports: the kernel's drops before the XDP socket
  rte_mempool* pool_ = nullptr;
  std::unique_ptr<DpdkFilter> filter_;
  std::vector<std::unique_ptr<DpdkFeed>> feeds_;
  std::vector<unsigned> lcores_;
  std::function<void(uint32_t)> body_;
  bool launched_ = false;
  size_t memory_bytes_ = 0;
};

}  // namespace tapline
