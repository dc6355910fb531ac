#include "source/dpdk_source.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <algorithm>

#include "common/clock.h"
#include "source/dpdk_eal.h"

namespace tapline {

namespace {

constexpr uint16_t kBurst = 32;
constexpr uint32_t kMempoolCache = 256;
// A Toeplitz key of 0x6d5a repeated hashes (src, dst) and (dst, src) alike,
// so both directions of a flow land in one queue (Woo and Park, "Scalable TCP
// Session Monitoring with Symmetric Receive-side Scaling").
constexpr uint8_t kSymmetricRssKey[40] = {
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a};

CaptureError port_error(const std::string& name, const char* what, int rc) {
  return CaptureError(CaptureError::Kind::kSetup,
                      "DPDK port " + name + ": " + what + " failed: " + rte_strerror(rc < 0 ? -rc : rc));
}

struct LaunchArg {
  const std::function<void(uint32_t)>* body;
  uint32_t worker;
};
LaunchArg g_launch[RTE_MAX_LCORE];

int lcore_main(void* arg) {
  const LaunchArg* a = static_cast<const LaunchArg*>(arg);
  (*a->body)(a->worker);
  return 0;
}

}  // namespace

// ---- feed: one RX queue on every port ----

DpdkFeed::DpdkFeed(std::vector<uint16_t> ports, uint16_t queue, uint32_t snaplen, const DpdkFilter* filter)
    : ports_(std::move(ports)), queue_(queue), snaplen_(snaplen), filter_(filter) {
  tsc_hz_ = rte_get_tsc_hz();
  tsc0_ = rte_rdtsc();
  real0_ns_ = realtime_ns();
}

DpdkFeed::~DpdkFeed() { free_held(); }

void DpdkFeed::free_held() {
  if (held_n_ != 0) rte_pktmbuf_free_bulk(held_, held_n_);
  held_n_ = 0;
}

// The wall clock from the TSC: one rdtsc per burst, no syscall.
uint64_t DpdkFeed::now_ns() {
  const unsigned __int128 dt = rte_rdtsc() - tsc0_;
  return real0_ns_ + static_cast<uint64_t>(dt * 1000000000u / tsc_hz_);
}

uint64_t DpdkFeed::idle_now_ns() { return now_ns(); }

uint32_t DpdkFeed::rx_burst(RawPacket* out, uint32_t n, bool& done) {
  (void)done;
  free_held();  // the worker has parsed the previous burst
  const uint32_t nports = static_cast<uint32_t>(ports_.size());
  rte_mbuf* mbufs[kBurst];
  const uint16_t want = static_cast<uint16_t>(std::min<uint32_t>(n, kBurst));
  for (uint32_t tried = 0; tried < nports; ++tried) {
    const uint16_t port = ports_[next_port_];
    next_port_ = next_port_ + 1 == nports ? 0 : next_port_ + 1;
    const uint16_t got = rte_eth_rx_burst(port, queue_, mbufs, want);
    if (got == 0) continue;
    const uint64_t ts = now_ns();
    uint32_t k = 0;
    for (uint16_t i = 0; i < got; ++i) {
      rte_mbuf* m = mbufs[i];
      if (filter_ != nullptr && !filter_->matches(m)) {
        filter_rejected_.add();
        rte_pktmbuf_free(m);
        continue;
      }
      held_[held_n_++] = m;
      RawPacket& p = out[k++];
      p.data = rte_pktmbuf_mtod(m, const uint8_t*);
      p.caplen = std::min<uint32_t>(rte_pktmbuf_data_len(m), snaplen_);
      p.wirelen = rte_pktmbuf_pkt_len(m);
      p.ts_ns = ts;
      p.linktype = kLinkEthernet;
      p.ts_digits = 9;
    }
    return k;
  }
  return 0;
}

// ---- source ----

DpdkSource::DpdkSource(const DpdkConfig& config, uint32_t workers, uint32_t snaplen, const CaptureFilter* filter)
    : config_(config) {
  if (config_.rx_descriptors < 64 || config_.rx_descriptors > 32768) {
    throw CaptureError(CaptureError::Kind::kSetup, "rxDescriptors: must be between 64 and 32768");
  }
  if (snaplen < 64) throw CaptureError(CaptureError::Kind::kSetup, "snaplen: must be at least 64");
  eal_init(config_, workers);
  try {
    for (unsigned lc = rte_get_next_lcore(-1, 1, 0); lc < RTE_MAX_LCORE; lc = rte_get_next_lcore(lc, 1, 0)) {
      lcores_.push_back(lc);
    }
    if (lcores_.size() < workers) {
      throw CaptureError(CaptureError::Kind::kSetup, "cores: " + std::to_string(workers) + " workers need " +
                                                         std::to_string(workers) + " worker lcores, EAL has " +
                                                         std::to_string(lcores_.size()));
    }
    for (const std::string& a : config_.pci_addresses) port_names_.push_back(a);
    for (const std::string& v : config_.vdevs) port_names_.push_back(v.substr(0, v.find(',')));
    for (const std::string& name : port_names_) {
      uint16_t port = 0;
      if (rte_eth_dev_get_port_by_name(name.c_str(), &port) != 0) {
        throw CaptureError(CaptureError::Kind::kDevice,
                           "DPDK port " + name + " was not probed: no driver took it (see the EAL messages above)");
      }
      ports_.push_back(port);
    }
    const uint32_t per_queue = config_.mbufs_per_queue != 0 ? config_.mbufs_per_queue : config_.rx_descriptors * 2 + 2 * kBurst;
    const uint32_t n = static_cast<uint32_t>(ports_.size()) * workers * per_queue + workers * kMempoolCache;
    pool_ = rte_pktmbuf_pool_create("tapline_rx", n, kMempoolCache, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                    static_cast<int>(rte_socket_id()));
    if (pool_ == nullptr) {
      throw CaptureError(CaptureError::Kind::kSetup,
                         "DPDK: cannot allocate " + std::to_string(n) + " packet buffers (" + rte_strerror(rte_errno) +
                             "): give the EAL more memory (-m / hugepages) or lower rxDescriptors");
    }
    memory_bytes_ = static_cast<size_t>(n) * (RTE_MBUF_DEFAULT_BUF_SIZE + sizeof(rte_mbuf));
    for (size_t i = 0; i < ports_.size(); ++i) setup_port(ports_[i], port_names_[i], workers);
    if (filter != nullptr) filter_ = std::make_unique<DpdkFilter>(*filter);
    for (uint32_t w = 0; w < workers; ++w) {
      feeds_.push_back(std::make_unique<DpdkFeed>(ports_, static_cast<uint16_t>(w), snaplen, filter_.get()));
    }
    for (const std::string& v : config_.vdevs) {
      const std::string iface = IfaceDrops::af_xdp_iface(v);
      if (!iface.empty()) iface_drops_.add(iface);
    }
    for (size_t i = 0; i < ports_.size(); ++i) {
      const int rc = rte_eth_dev_start(ports_[i]);
      if (rc < 0) throw port_error(port_names_[i], "rte_eth_dev_start", rc);
    }
  } catch (...) {
    shutdown();
    throw;
  }
}

void DpdkSource::setup_port(uint16_t port, const std::string& name, uint32_t workers) {
  rte_eth_dev_info info{};
  int rc = rte_eth_dev_info_get(port, &info);
  if (rc != 0) throw port_error(name, "rte_eth_dev_info_get", rc);
  if (info.max_rx_queues < workers) {
    throw CaptureError(CaptureError::Kind::kSetup,
                       "DPDK port " + name + " (" + info.driver_name + ") has " + std::to_string(info.max_rx_queues) +
                           " RX queue(s); " + std::to_string(workers) + " workers need one each (use fewer workers" +
                           (std::string(info.driver_name) == "net_af_packet" ? ", or qpairs=N in the vdev)" : ")"));
  }
  rte_eth_conf conf{};
  const uint64_t rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_SCTP) & info.flow_type_rss_offloads;
  if (workers > 1 && rss_hf != 0) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_key = const_cast<uint8_t*>(kSymmetricRssKey);
    conf.rx_adv_conf.rss_conf.rss_key_len = sizeof kSymmetricRssKey;
    conf.rx_adv_conf.rss_conf.rss_hf = rss_hf;
  } else if (workers > 1 && std::string(info.driver_name) != "net_af_packet") {
    // net_af_packet spreads its queues with a kernel PACKET_FANOUT_HASH group (symmetric).
    throw CaptureError(CaptureError::Kind::kSetup, "DPDK port " + name + " (" + info.driver_name +
                                                       ") has no RSS to spread flows over queues: use 1 worker");
  }
  // net_af_xdp binds one XDP socket per queue pair and refuses RX queues
  // without their TX twin; the TX queues stay unused (nothing is ever sent).
  const bool paired = std::string(info.driver_name) == "net_af_xdp";
  const uint16_t tx_queues = paired ? static_cast<uint16_t>(workers) : 0;
  rc = rte_eth_dev_configure(port, static_cast<uint16_t>(workers), tx_queues, &conf);
  if (rc < 0) throw port_error(name, "rte_eth_dev_configure", rc);
  uint16_t rxd = static_cast<uint16_t>(config_.rx_descriptors);
  uint16_t txd = paired ? 64 : 0;
  rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
  if (rc < 0) throw port_error(name, "rte_eth_dev_adjust_nb_rx_tx_desc", rc);
  const int socket = rte_eth_dev_socket_id(port);
  for (uint32_t q = 0; q < workers; ++q) {
    rc = rte_eth_rx_queue_setup(port, static_cast<uint16_t>(q), rxd, socket < 0 ? SOCKET_ID_ANY : socket, nullptr, pool_);
    if (rc < 0) {
      const CaptureError e = port_error(name, "rte_eth_rx_queue_setup", rc);
      if (!paired) throw e;
      // The XDP program or socket was refused; the kernel's reason went to stderr through libbpf.
      throw CaptureError(CaptureError::Kind::kSetup,
                         e.what() + std::string(" (AF_XDP: the interface's MTU must fit a page, at most about 3,500 on "
                                                "veth; the queue must exist (start_queue, queue_count); and it needs "
                                                "CAP_NET_RAW, CAP_NET_ADMIN and CAP_SYS_ADMIN)"));
    }
  }
  for (uint16_t q = 0; q < tx_queues; ++q) {
    rc = rte_eth_tx_queue_setup(port, q, txd, socket < 0 ? SOCKET_ID_ANY : socket, nullptr);
    if (rc < 0) throw port_error(name, "rte_eth_tx_queue_setup", rc);
  }
  rc = rte_eth_promiscuous_enable(port);
  if (rc < 0 && rc != -ENOTSUP) throw port_error(name, "promiscuous mode", rc);
}

DpdkSource::~DpdkSource() {
  join();
  close();
}

void DpdkSource::close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return;
  final_.clear();
  read_stats(final_);
  shutdown();
  closed_ = true;
}

void DpdkSource::launch(const std::function<void(uint32_t)>& body) {
  body_ = body;
  for (uint32_t w = 0; w < feeds_.size(); ++w) {
    g_launch[lcores_[w]] = {&body_, w};
    const int rc = rte_eal_remote_launch(lcore_main, &g_launch[lcores_[w]], lcores_[w]);
    if (rc != 0) throw CaptureError(CaptureError::Kind::kSetup, "DPDK: lcore " + std::to_string(lcores_[w]) + " is busy");
  }
  launched_ = true;
}

void DpdkSource::join() {
  if (!launched_) return;
  for (uint32_t w = 0; w < feeds_.size(); ++w) rte_eal_wait_lcore(lcores_[w]);
  launched_ = false;
}

void DpdkSource::shutdown() {
  for (size_t i = 0; i < ports_.size(); ++i) {
    rte_eth_dev_stop(ports_[i]);
    rte_eth_dev_close(ports_[i]);
  }
  ports_.clear();
  feeds_.clear();  // gives back the mbufs of the last bursts
  filter_.reset();
  if (pool_ != nullptr) rte_mempool_free(pool_);
  pool_ = nullptr;
  eal_cleanup();
}

void DpdkSource::stats(SourceStats& out) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) {
    out.insert(out.end(), final_.begin(), final_.end());
    return;
  }
  read_stats(out);
}

void DpdkSource::read_stats(SourceStats& out) const {
  uint64_t ipackets = 0, imissed = 0, ierrors = 0, nombuf = 0;
  uint64_t queue[RTE_ETHDEV_QUEUE_STAT_CNTRS] = {};
  for (uint16_t port : ports_) {
    rte_eth_stats st{};
    if (rte_eth_stats_get(port, &st) != 0) continue;
    ipackets += st.ipackets;
    imissed += st.imissed;
    ierrors += st.ierrors;
    nombuf += st.rx_nombuf;
    for (size_t q = 0; q < feeds_.size() && q < RTE_ETHDEV_QUEUE_STAT_CNTRS; ++q) queue[q] += st.q_ipackets[q];
  }
  uint64_t rejected = 0;
  for (const auto& f : feeds_) rejected += f->filter_rejected();
  const uint64_t iface_drops = iface_drops_.drops();
  out.emplace_back("capture.received", ipackets);
  out.emplace_back("capture.drops", imissed + nombuf + iface_drops);
  if (!iface_drops_.empty()) out.emplace_back("capture.ifaceDrops", iface_drops);
  out.emplace_back("capture.imissed", imissed);
  out.emplace_back("capture.ierrors", ierrors);
  out.emplace_back("capture.rxNombuf", nombuf);
  out.emplace_back("capture.filterRejected", rejected);
  for (size_t q = 0; q < feeds_.size() && q < RTE_ETHDEV_QUEUE_STAT_CNTRS; ++q) {
    out.emplace_back("capture.queues." + std::to_string(q) + ".packets", queue[q]);
  }
}

}  // namespace tapline
