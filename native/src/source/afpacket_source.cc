#include "source/afpacket_source.h"

#include <linux/filter.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>

#include "common/clock.h"

namespace tapline {

namespace {

constexpr uint32_t kMaxSnaplen = 262144;

// What the kernel runs: frames whose VLAN tag the kernel took off are accepted
// (the feed puts the tag back and runs the filter on the whole frame, so the
// result is the one a capture file gives); the rest go through the filter,
// whose accept value is the snaplen. No filter: "ret #snaplen" only.
std::vector<BpfInsn> kernel_program(const CaptureFilter* filter, uint32_t snaplen) {
  if (filter == nullptr) {
    if (snaplen >= kMaxSnaplen) return {};
    return {BpfInsn{BPF_RET | BPF_K, 0, 0, snaplen}};
  }
  std::vector<BpfInsn> p;
  p.push_back({BPF_LD | BPF_W | BPF_ABS, 0, 0, static_cast<uint32_t>(SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT)});
  p.push_back({BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0});  // no tag: skip the next instruction
  p.push_back({BPF_RET | BPF_K, 0, 0, snaplen});
  const auto& user = filter->ethernet();
  p.insert(p.end(), user.begin(), user.end());
  if (p.size() > BPF_MAXINSNS) {
    throw CaptureError(CaptureError::Kind::kSetup,
                       "filter \"" + filter->expression() + "\": too long for the kernel (" + std::to_string(p.size()) +
                           " instructions, at most " + std::to_string(BPF_MAXINSNS) + ")");
  }
  return p;
}

}  // namespace

AfPacketFeed::AfPacketFeed(const CaptureFilter* filter, uint32_t block_timeout_ms)
    : filter_(filter),
      timeout_ms_(static_cast<int>(block_timeout_ms)),
      // Packets still in a block the kernel has not handed over are up to one
      // block timeout older than the clock: the idle clock stays behind them.
      lag_ns_(2ull * block_timeout_ms * 1000000ull) {}

uint32_t AfPacketFeed::rx_burst(RawPacket* out, uint32_t n, bool& done) {
  (void)done;  // a live interface does not end
  const uint32_t rings = static_cast<uint32_t>(rings_.size());
  for (uint32_t tried = 0; tried < rings; ++tried) {
    AfPacketRing& ring = *rings_[next_];
    uint32_t restored = 0;
    uint32_t k = ring.rx_burst(out, n, restored);
    if (k == 0) {
      next_ = next_ + 1 == rings ? 0 : next_ + 1;
      continue;
    }
    if (restored != 0 && filter_ != nullptr) {
      // Only tagged frames bypassed the kernel filter; compact out the rejected ones.
      uint32_t kept = 0;
      for (uint32_t i = 0; i < k; ++i) {
        if ((restored & (1u << i)) != 0 && !filter_->matches_ethernet(out[i].data, out[i].caplen, out[i].wirelen)) {
          filter_rejected_.add();
          continue;
        }
        out[kept++] = out[i];
      }
      k = kept;
    }
    return k;
  }
  // Every ring is empty: sleep until a block is handed over (idle only, never per packet).
  pollfd fds[16];
  const uint32_t nfds = rings < 16 ? rings : 16;
  for (uint32_t i = 0; i < nfds; ++i) fds[i] = {rings_[i]->fd(), POLLIN | POLLERR, 0};
  poll(fds, nfds, timeout_ms_);
  return 0;
}

uint64_t AfPacketFeed::idle_now_ns() { return realtime_ns() - lag_ns_; }

AfPacketSource::AfPacketSource(const AfPacketConfig& config, uint32_t workers, uint32_t snaplen,
                               const CaptureFilter* filter)
    : config_(config) {
  if (config_.interfaces.empty()) throw CaptureError(CaptureError::Kind::kSetup, "interfaces: at least one interface is needed");
  if (config_.interfaces.size() > 16) throw CaptureError(CaptureError::Kind::kSetup, "interfaces: at most 16");
  if (snaplen < 64 || snaplen > kMaxSnaplen) {
    throw CaptureError(CaptureError::Kind::kSetup, "snaplen: must be between 64 and " + std::to_string(kMaxSnaplen));
  }
  if (config_.block_timeout_ms == 0 || config_.block_timeout_ms > 1000) {
    throw CaptureError(CaptureError::Kind::kSetup, "blockTimeoutMs: must be between 1 and 1000");
  }
  if (!config_.cores.empty()) {
    cores_ = parse_core_list(config_.cores, "cores");
    if (cores_.size() < workers) {
      throw CaptureError(CaptureError::Kind::kSetup, "cores: " + std::to_string(workers) + " workers need " +
                                                         std::to_string(workers) + " CPUs, \"" + config_.cores +
                                                         "\" names " + std::to_string(cores_.size()));
    }
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    sched_getaffinity(0, sizeof allowed, &allowed);
    for (uint32_t c : cores_) {
      if (c >= CPU_SETSIZE || !CPU_ISSET(c, &allowed)) {
        throw CaptureError(CaptureError::Kind::kSetup,
                           "cores: CPU " + std::to_string(c) + " is not one this process may use (see `taskset -p " +
                               "$$` or the container's cpuset)");
      }
    }
  }
  const std::vector<BpfInsn> program = kernel_program(filter, snaplen);
  for (uint32_t w = 0; w < workers; ++w) feeds_.push_back(std::make_unique<AfPacketFeed>(filter, config_.block_timeout_ms));
  for (const std::string& ifname : config_.interfaces) {
    int32_t group = config_.fanout_group;
    for (uint32_t w = 0; w < workers; ++w) {
      auto ring = std::make_unique<AfPacketRing>(ifname, config_, group);
      group = ring->fanout_id();  // the first socket made (or joined) the group; the others join it
      feeds_[w]->add_ring(std::move(ring));
    }
  }
  // Every socket is in its group: let packets in.
  for (auto& f : feeds_) {
    for (auto& r : f->rings()) {
      r->attach_filter(program);
      ring_bytes_ += r->memory_bytes();
    }
  }
}

AfPacketSource::~AfPacketSource() {
  join();
  close();
}

void AfPacketSource::close() {
  std::lock_guard<std::mutex> lock(stats_mu_);
  if (closed_) return;
  for (const auto& f : feeds_) {
    for (const auto& r : f->rings()) {
      const AfPacketRingCounters c = r->take_counters();
      totals_.packets += c.packets;
      totals_.drops += c.drops;
      totals_.freezes += c.freezes;
    }
    rejected_final_ += f->filter_rejected();
    f->close_rings();  // sockets closed: promiscuous mode and the fanout group go with them
  }
  closed_ = true;
}

void AfPacketSource::launch(const std::function<void(uint32_t)>& body) {
  for (uint32_t w = 0; w < feeds_.size(); ++w) {
    threads_.emplace_back([body, w] { body(w); });
    if (!cores_.empty()) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cores_[w], &set);
      pthread_setaffinity_np(threads_.back().native_handle(), sizeof set, &set);
    }
    pthread_setname_np(threads_.back().native_handle(), ("tapline-af" + std::to_string(w)).c_str());
  }
}

void AfPacketSource::join() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void AfPacketSource::stats(SourceStats& out) const {
  uint64_t rejected = 0;
  AfPacketRingCounters t;
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    if (closed_) rejected = rejected_final_;
    for (const auto& f : feeds_) {
      if (closed_) break;
      for (const auto& r : f->rings()) {
        const AfPacketRingCounters c = r->take_counters();
        totals_.packets += c.packets;
        totals_.drops += c.drops;
        totals_.freezes += c.freezes;
      }
      rejected += f->filter_rejected();
    }
    t = totals_;
  }
  out.emplace_back("capture.received", t.packets);
  out.emplace_back("capture.drops", t.drops);
  out.emplace_back("capture.kernelDrops", t.drops);
  out.emplace_back("capture.freezes", t.freezes);
  out.emplace_back("capture.filterRejected", rejected);
}

size_t AfPacketSource::memory_bytes() const { return ring_bytes_; }

}  // namespace tapline
