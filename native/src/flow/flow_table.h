// A worker's flow table: fixed capacity chosen at start, no allocation and
// no locks after construction. Two-choice bucketed hash (8 slots per 64-byte
// bucket, signatures compared with SSE), flows in a preallocated pool, an
// intrusive timer wheel for idle/linger expiry, bursts processed in stages
// with prefetch (DPDK l3fwd style).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/counter.h"
#include "flow/flow_record.h"
#include "parse/flow_key.h"

namespace tapline {

struct FlowTimeouts {
  uint64_t idle_ns = 15ull * 1000000000ull;
  uint64_t active_ns = 1800ull * 1000000000ull;
  uint64_t linger_ns = 2ull * 1000000000ull;  // after FIN+FIN or RST: trailing packets join the flow
};

// Where exported records go (the worker's export ring).
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void emit(const FlowRecord& record) = 0;
};

struct alignas(64) FlowTableStats {
  Counter created;
  Counter exported;
  Counter evicted;
  Counter active;
};

// What a burst did to the flows, one bit per packet of the burst (bit i =
// packet i), for the detectors: which packets began a flow (the sender is
// its initiator) and which completed a TCP three-way handshake (the
// initiator's first ACK after the responder's SYN-ACK).
struct BurstEvents {
  uint32_t new_flow = 0;
  uint32_t established = 0;
};

class FlowTable {
 public:
  static constexpr uint32_t kBurst = 32;

  FlowTable(uint32_t capacity, const FlowTimeouts& timeouts, RecordSink& sink, uint8_t worker_id = 0);

  // Accounts a burst of packets (n <= kBurst) to their flows.
  BurstEvents process_burst(const ParsedPacket* pkts, uint32_t n);
  // Exports every flow whose idle or linger deadline is before `now_ns`.
  void advance(uint64_t now_ns);
  // Exports every live flow: `reason` (eof or shutdown) unless, at `now_ns`,
  // the flow had already closed (fin/rst) or gone idle.
  void flush(EndReason reason, uint64_t now_ns);

  const FlowTableStats& stats() const { return stats_; }
  uint32_t capacity() const { return capacity_; }
  size_t memory_bytes() const;
  static size_t memory_bytes_for(uint32_t capacity);

 private:
  struct alignas(64) Bucket {
    uint32_t sig[8];  // 0 = empty slot
    uint32_t idx[8];
  };
  // TCP latency state (flow-record.v2 tcpHandshake*, tcpRtt*): the third
  // cache line of a flow, touched by TCP packets only. Times are capture ns;
  // the measured values are µs, kNone when not measured.
  struct TcpTrack {
    uint64_t syn_ns;       // the initiator's last SYN (handshake phase >= kHsSyn)
    uint64_t synack_ns;    // the responder's last SYN/ACK (phase kHsSynAck)
    uint64_t timed_ns[2];  // by Side: the outstanding timed data segment (kTimedA/B)
    uint32_t timed_end[2];  // its sequence end
    uint32_t snd_max[2];    // by Side: highest sequence end seen (kSndA/B)
    uint32_t hs_server_us;
    uint32_t hs_client_us;
    uint32_t rtt_min_us;
    uint32_t srtt8_us;  // 8 x SRTT (RFC 6298 in fixed point, as Linux keeps it)
  };
  static_assert(sizeof(TcpTrack) == 64, "one cache line of TCP state");
  struct alignas(64) Flow {
    FlowKey key;  // ip_version 0 = free
    uint32_t hash;
    uint32_t sig;
    uint64_t first_ns;
    uint64_t last_ns;
    uint64_t packets[2];
    uint64_t bytes[2];
    uint64_t close_ns;
    uint32_t wheel_prev;
    uint32_t wheel_next;
    uint16_t wheel_slot;
    uint8_t tcp_flags[2];
    uint8_t initiator;
    uint8_t state;  // kFinA | kFinB | kClosedFin | kClosedRst
    uint8_t ts_digits;
    uint8_t tcp_bits;  // handshake phase (kHsMask) | kSndA/B | kTimedA/B
    uint32_t retransmits[2];  // by Side, this record's
    TcpTrack tcp;
  };
  static_assert(sizeof(Flow) == 192, "three cache lines per flow (the third for TCP only)");
  static_assert(offsetof(Flow, tcp) == 128, "TCP state in the third cache line");
  enum : uint8_t { kFinA = 1, kFinB = 2, kClosedFin = 4, kClosedRst = 8 };
  // tcp_bits. Handshake phases: none, the initiator's SYN seen, the responder's
  // SYN/ACK seen (server side measured), over (client side measured, or given up).
  enum : uint8_t { kHsNone = 0, kHsSyn = 1, kHsSynAck = 2, kHsOver = 3, kHsMask = 3 };
  enum : uint8_t { kSndA = 4, kTimedA = 16 };  // << side
  static constexpr uint32_t kNone = 0xFFFFFFFFu;
  static void reset_tcp(Flow& f);
  static void track_tcp(Flow& f, const ParsedPacket& p);
  static void tcp_handshake(Flow& f, const ParsedPacket& p);
  static void rtt_sample(TcpTrack& k, uint32_t us);
  static constexpr uint32_t kNil = 0xFFFFFFFFu;
  static constexpr uint32_t kWheelSlots = 1024;
  static constexpr uint64_t kTickNs = 1000000000ull / 4;

  uint32_t bucket_primary(uint32_t hash) const { return hash & bucket_mask_; }
  uint32_t bucket_alternate(uint32_t hash, uint32_t sig) const { return (hash ^ sig) & bucket_mask_; }
  uint32_t lookup(const ParsedPacket& p) const;
  uint32_t insert(const ParsedPacket& p);
  // Returns kEventNewFlow / kEventEstablished for the packet.
  uint32_t update(uint32_t idx, const ParsedPacket& p);
  uint32_t restart(uint32_t idx, const ParsedPacket& p, EndReason cut);
  enum : uint32_t { kEventNewFlow = 1, kEventEstablished = 2 };
  void start_flow(Flow& f, const ParsedPacket& p);
  void export_flow(uint32_t idx, EndReason reason);
  void release(uint32_t idx);
  uint32_t evict_for(uint32_t b1, uint32_t b2);
  uint32_t evict_stalest();
  void prefetch_victims(uint32_t next) const;
  uint64_t deadline(const Flow& f) const;
  EndReason expiry_reason(const Flow& f) const;
  void wheel_add(uint32_t idx, uint64_t deadline_ns);
  void wheel_remove(uint32_t idx);
  void reslot(uint32_t idx);  // after a close: the deadline moved earlier
  void expire_slot(uint32_t slot, uint64_t now_ns);

  const uint32_t capacity_;
  const FlowTimeouts timeouts_;
  RecordSink& sink_;
  const uint8_t worker_id_;
  uint32_t bucket_mask_;
  std::vector<Bucket> buckets_;
  std::vector<Flow> flows_;
  std::vector<uint32_t> free_;  // stack of free flow indexes
  uint32_t free_top_;
  std::vector<uint32_t> wheel_;  // head flow index per slot
  uint64_t wheel_tick_ = 0;      // last tick processed; 0 = clock not started
  uint64_t evict_tick_ = 0;      // tick of the slot where evict_stalest() last found a victim
  FlowTableStats stats_;
};

}  // namespace tapline
