#include "source/afpacket_ring.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "source/live_source.h"

namespace tapline {

namespace {

constexpr uint32_t kFrameSize = 2048;  // TPACKET_V3 ignores frames for RX, but the kernel checks the geometry
constexpr uint32_t kVlanTagLen = 4;

[[noreturn]] void fail(const std::string& ifname, const char* what, int err) {
  const auto kind = (err == EPERM || err == EACCES) ? CaptureError::Kind::kPermission
                    : (err == ENODEV || err == ENXIO) ? CaptureError::Kind::kDevice
                                                      : CaptureError::Kind::kSetup;
  std::string msg = "AF_PACKET on " + ifname + ": " + what + ": " + std::strerror(err);
  if (kind == CaptureError::Kind::kPermission) {
    msg += " (capturing needs CAP_NET_RAW, and CAP_NET_ADMIN for promiscuous mode: run as root or grant the capabilities)";
  } else if (err == ENOMEM || err == ENOBUFS) {
    msg += " (lower ringMiB, or raise the locked-memory limit)";
  }
  throw CaptureError(kind, msg);
}

void set_opt(int fd, const std::string& ifname, int level, int name, const void* v, socklen_t len, const char* what) {
  if (setsockopt(fd, level, name, v, len) != 0) fail(ifname, what, errno);
}

}  // namespace

AfPacketRing::AfPacketRing(const std::string& ifname, const AfPacketConfig& config, int32_t fanout_id) : ifname_(ifname) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) {
    throw CaptureError(CaptureError::Kind::kDevice, "AF_PACKET: \"" + ifname + "\" is not an interface name");
  }
  const unsigned ifindex = if_nametoindex(ifname.c_str());
  if (ifindex == 0) {
    throw CaptureError(CaptureError::Kind::kDevice,
                       "AF_PACKET: interface " + ifname + " does not exist (in this network namespace); see `ip link`");
  }
  block_size_ = config.block_kib * 1024u;
  const uint64_t ring = static_cast<uint64_t>(config.ring_mib) << 20;
  if (block_size_ < static_cast<uint32_t>(getpagesize()) || (block_size_ & (block_size_ - 1)) != 0) {
    throw CaptureError(CaptureError::Kind::kSetup, "blockKiB: must be a power of two of at least the page size");
  }
  if (ring < block_size_ || ring / block_size_ > UINT32_MAX) {
    throw CaptureError(CaptureError::Kind::kSetup, "ringMiB: must hold at least one block of blockKiB");
  }
  block_nr_ = static_cast<uint32_t>(ring / block_size_);

  // Protocol 0: the socket receives nothing until bound with ETH_P_ALL below.
  fd_ = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd_ < 0) fail(ifname, "socket(AF_PACKET)", errno);
  try {
    const int version = TPACKET_V3;
    set_opt(fd_, ifname, SOL_PACKET, PACKET_VERSION, &version, sizeof version, "PACKET_VERSION TPACKET_V3");
    // Headroom before each frame, where a VLAN tag the kernel stripped is put back.
    const unsigned reserve = kVlanTagLen;
    set_opt(fd_, ifname, SOL_PACKET, PACKET_RESERVE, &reserve, sizeof reserve, "PACKET_RESERVE");
    // Drop everything until the fanout group is complete and the real filter is in.
    sock_filter drop_all{BPF_RET | BPF_K, 0, 0, 0};
    sock_fprog prog{1, &drop_all};
    set_opt(fd_, ifname, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog, "SO_ATTACH_FILTER");

    tpacket_req3 req{};
    req.tp_block_size = block_size_;
    req.tp_block_nr = block_nr_;
    req.tp_frame_size = kFrameSize;
    req.tp_frame_nr = static_cast<unsigned>((static_cast<uint64_t>(block_size_) * block_nr_) / kFrameSize);
    req.tp_retire_blk_tov = config.block_timeout_ms;
    req.tp_sizeof_priv = 0;
    req.tp_feature_req_word = 0;
    set_opt(fd_, ifname, SOL_PACKET, PACKET_RX_RING, &req, sizeof req, "PACKET_RX_RING");
    map_len_ = static_cast<size_t>(block_size_) * block_nr_;
    void* m = mmap(nullptr, map_len_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, 0);
    if (m == MAP_FAILED) {
      map_len_ = 0;
      fail(ifname, "mmap of the RX ring", errno);
    }
    map_ = static_cast<uint8_t*>(m);

    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(ifindex);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) fail(ifname, "bind", errno);

    if (config.promiscuous) {
      // Per socket; the kernel drops it when the socket closes, so nothing is left behind.
      packet_mreq mr{};
      mr.mr_ifindex = static_cast<int>(ifindex);
      mr.mr_type = PACKET_MR_PROMISC;
      set_opt(fd_, ifname, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr, "promiscuous mode (PACKET_ADD_MEMBERSHIP)");
    }
    const int flags = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG | (fanout_id < 0 ? PACKET_FANOUT_FLAG_UNIQUEID : 0);
    const int fanout = (fanout_id < 0 ? 0 : fanout_id) | (flags << 16);
    if (setsockopt(fd_, SOL_PACKET, PACKET_FANOUT, &fanout, sizeof fanout) != 0) {
      const int err = errno;
      if (err == EINVAL || err == EEXIST || err == EALREADY) {
        throw CaptureError(CaptureError::Kind::kSetup,
                           "AF_PACKET on " + ifname + ": cannot join fanout group " + std::to_string(fanout_id) +
                               " (in use by another capture with other settings): choose another fanoutGroup");
      }
      fail(ifname, "PACKET_FANOUT", err);
    }
    int joined = 0;
    socklen_t len = sizeof joined;
    if (getsockopt(fd_, SOL_PACKET, PACKET_FANOUT, &joined, &len) != 0) fail(ifname, "PACKET_FANOUT (read back)", errno);
    fanout_id_ = static_cast<uint16_t>(joined & 0xffff);
  } catch (...) {
    if (map_ != nullptr) munmap(map_, map_len_);
    close(fd_);
    fd_ = -1;
    map_ = nullptr;
    throw;
  }
}

AfPacketRing::~AfPacketRing() {
  if (map_ != nullptr) munmap(map_, map_len_);
  if (fd_ >= 0) close(fd_);
}

void AfPacketRing::attach_filter(const std::vector<BpfInsn>& program) {
  if (program.empty()) {
    const int one = 1;
    if (setsockopt(fd_, SOL_SOCKET, SO_DETACH_FILTER, &one, sizeof one) != 0) fail(ifname_, "SO_DETACH_FILTER", errno);
    return;
  }
  static_assert(sizeof(BpfInsn) == sizeof(sock_filter));
  sock_fprog prog{static_cast<unsigned short>(program.size()),
                  reinterpret_cast<sock_filter*>(const_cast<BpfInsn*>(program.data()))};
  if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0) fail(ifname_, "SO_ATTACH_FILTER", errno);
}

void AfPacketRing::release_block() {
  auto* desc = reinterpret_cast<tpacket_block_desc*>(map_ + static_cast<size_t>(block_) * block_size_);
  // The kernel may refill the block as soon as it sees TP_STATUS_KERNEL: every read above happens before.
  std::atomic_thread_fence(std::memory_order_release);
  desc->hdr.bh1.block_status = TP_STATUS_KERNEL;
  block_ = block_ + 1 == block_nr_ ? 0 : block_ + 1;
  release_pending_ = false;
}

uint32_t AfPacketRing::rx_burst(RawPacket* out, uint32_t n, uint32_t& vlan_restored_mask) {
  vlan_restored_mask = 0;
  if (release_pending_) release_block();
  if (next_pkt_ == nullptr) {
    auto* desc = reinterpret_cast<tpacket_block_desc*>(map_ + static_cast<size_t>(block_) * block_size_);
    if ((__atomic_load_n(&desc->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0) return 0;
    left_ = desc->hdr.bh1.num_pkts;
    const uint32_t first = desc->hdr.bh1.offset_to_first_pkt;
    if (left_ == 0 || first >= block_size_) {  // an empty block (retired by the timer) or a bad one
      release_block();
      return 0;
    }
    next_pkt_ = reinterpret_cast<uint8_t*>(desc) + first;
  }
  uint8_t* const block_start = map_ + static_cast<size_t>(block_) * block_size_;
  uint8_t* const block_end = block_start + block_size_;
  constexpr uint32_t kHdrEnd = TPACKET_ALIGN(sizeof(tpacket3_hdr)) + sizeof(sockaddr_ll);
  uint32_t k = 0;
  while (k < n && left_ != 0) {
    auto* h = reinterpret_cast<tpacket3_hdr*>(next_pkt_);
    if (next_pkt_ + sizeof(tpacket3_hdr) > block_end || next_pkt_ + h->tp_mac + h->tp_snaplen > block_end) {
      left_ = 0;  // never read past the block, whatever the header says
      break;
    }
    uint8_t* data = next_pkt_ + h->tp_mac;
    uint32_t caplen = h->tp_snaplen;
    uint32_t wirelen = h->tp_len;
    if ((h->tp_status & TP_STATUS_VLAN_VALID) != 0 && caplen >= 12 && h->tp_mac >= kHdrEnd + kVlanTagLen) {
      // The NIC or the kernel took the outer tag off: put it back in front of the
      // EtherType (as libpcap does), into the headroom PACKET_RESERVE left.
      const uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) != 0 ? h->hv1.tp_vlan_tpid : ETH_P_8021Q;
      std::memmove(data - kVlanTagLen, data, 12);
      data -= kVlanTagLen;
      const uint16_t tag[2] = {htons(tpid), htons(static_cast<uint16_t>(h->hv1.tp_vlan_tci))};
      std::memcpy(data + 12, tag, sizeof tag);
      caplen += kVlanTagLen;
      wirelen += kVlanTagLen;
      vlan_restored_mask |= 1u << k;
    }
    RawPacket& p = out[k++];
    p.data = data;
    p.caplen = caplen;
    p.wirelen = wirelen;
    p.ts_ns = static_cast<uint64_t>(h->tp_sec) * 1000000000ull + h->tp_nsec;
    p.linktype = kLinkEthernet;
    p.ts_digits = 9;
    --left_;
    if (left_ != 0) {
      if (h->tp_next_offset == 0) {
        left_ = 0;
      } else {
        next_pkt_ += h->tp_next_offset;
      }
    }
  }
  if (left_ == 0) {
    next_pkt_ = nullptr;
    release_pending_ = true;  // handed back on the next call, once these packets are parsed
  }
  return k;
}

AfPacketRingCounters AfPacketRing::take_counters() const {
  tpacket_stats_v3 st{};
  socklen_t len = sizeof st;
  AfPacketRingCounters c;
  if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
    c.drops = st.tp_drops;
    c.packets = st.tp_packets >= st.tp_drops ? st.tp_packets - st.tp_drops : 0;
    c.freezes = st.tp_freeze_q_cnt;
  }
  return c;
}

}  // namespace tapline
