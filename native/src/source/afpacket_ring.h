// One AF_PACKET socket with a TPACKET_V3 memory-mapped RX ring on one
// interface, joined to the interface's PACKET_FANOUT_HASH group (with
// PACKET_FANOUT_FLAG_DEFRAG) so every packet of a flow, both directions, reaches
// the same socket. Packets are read in place from retired blocks; a block goes
// back to the kernel when the next burst is asked for (the worker has parsed
// the previous one by then). See packet(7) and the kernel's packet_mmap.rst.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/raw_packet.h"
#include "source/afpacket_config.h"
#include "source/capture_filter.h"

namespace tapline {

struct AfPacketRingCounters {
  uint64_t packets = 0;  // delivered to the ring (PACKET_STATISTICS tp_packets - tp_drops)
  uint64_t drops = 0;    // dropped by the kernel: the ring was full (tp_drops)
  uint64_t freezes = 0;  // times the ring froze for lack of free blocks (tp_freeze_q_cnt)
};

class AfPacketRing {
 public:
  // Opens, sizes and maps the ring, binds it to `ifname` (promiscuous when
  // asked) and joins fanout group `fanout_id` (-1: a new group with an id the
  // kernel picks, PACKET_FANOUT_FLAG_UNIQUEID; see fanout_id()). The socket drops everything
  // until attach_filter() (so no packet arrives before the whole group exists).
  // Throws CaptureError.
  AfPacketRing(const std::string& ifname, const AfPacketConfig& config, int32_t fanout_id);
  ~AfPacketRing();
  AfPacketRing(const AfPacketRing&) = delete;
  AfPacketRing& operator=(const AfPacketRing&) = delete;

  // Replaces the drop-all program: `program` (classic BPF), or none. Throws CaptureError.
  void attach_filter(const std::vector<BpfInsn>& program);

  // Up to `n` packets of the current block (valid until the next call). 0 when
  // no block is ready. `vlan_restored` is set for each packet whose VLAN tag the
  // kernel had stripped and this call put back (indexes into out).
  uint32_t rx_burst(RawPacket* out, uint32_t n, uint32_t& vlan_restored_mask);
  int fd() const { return fd_; }
  uint16_t fanout_id() const { return fanout_id_; }
  const std::string& interface() const { return ifname_; }
  size_t memory_bytes() const { return map_len_; }
  // Kernel counters since the previous call (reading resets them in the kernel).
  AfPacketRingCounters take_counters() const;

 private:
  void release_block();

  std::string ifname_;
  int fd_ = -1;
  uint16_t fanout_id_ = 0;
  uint8_t* map_ = nullptr;
  size_t map_len_ = 0;
  uint32_t block_size_ = 0;
  uint32_t block_nr_ = 0;
  uint32_t block_ = 0;          // the block being read (or next to be read)
  uint8_t* next_pkt_ = nullptr;  // next packet in block_, nullptr when no block is open
  uint32_t left_ = 0;           // packets left in block_
  bool release_pending_ = false;
};

}  // namespace tapline
