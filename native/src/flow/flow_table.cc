#include "flow/flow_table.h"

#include <algorithm>
#include <cstring>

#include "common/match8.h"

namespace tapline {

namespace {
constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpSyn = 0x02;
constexpr uint8_t kTcpRst = 0x04;
constexpr uint8_t kTcpAck = 0x10;
constexpr uint8_t kProtoTcp = 6;

uint32_t buckets_for(uint32_t capacity) {
  // Two slots per flow (load factor <= 50%): a full bucket pair is rare.
  uint64_t want = (static_cast<uint64_t>(capacity) * 2 + 7) / 8;
  uint32_t n = 2;
  while (n < want && n < (1u << 30)) n <<= 1;
  return n;
}

}  // namespace

// A new record's TCP measurements: none yet. The sequence state (snd_max,
// timed segments) is only meaningful with its tcp_bits, which the caller sets.
void FlowTable::reset_tcp(Flow& f) {
  f.tcp_bits = kHsNone;
  f.retransmits[0] = f.retransmits[1] = 0;
  f.tcp.hs_server_us = f.tcp.hs_client_us = kNone;
  f.tcp.rtt_min_us = kNone;
  f.tcp.srtt8_us = 0;
}

void FlowTable::rtt_sample(TcpTrack& k, uint32_t us) {
  if (us > (kNone >> 3)) us = kNone >> 3;  // 536 s: keeps 8 x SRTT in 32 bits
  if (k.rtt_min_us == kNone) {
    k.rtt_min_us = us;
    k.srtt8_us = us << 3;  // seeded by the first sample
    return;
  }
  if (us < k.rtt_min_us) k.rtt_min_us = us;
  k.srtt8_us = k.srtt8_us - (k.srtt8_us >> 3) + us;  // SRTT += (R - SRTT) / 8
}

namespace {
inline bool seq_lt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
inline uint32_t us_between(uint64_t from_ns, uint64_t to_ns) {
  const uint64_t us = (to_ns - from_ns) / 1000;
  return us < 0xFFFFFFFEull ? static_cast<uint32_t>(us) : 0xFFFFFFFEu;
}
}  // namespace

// The handshake as the capture point sees it: the initiator's last SYN, the
// responder's SYN/ACK, the initiator's ACK. A few packets per connection, so
// out of line; afterwards (phase kHsOver) the packet path skips it.
__attribute__((noinline)) void FlowTable::tcp_handshake(Flow& f, const ParsedPacket& p) {
  TcpTrack& k = f.tcp;
  const uint8_t fl = p.tcp_flags;
  const uint64_t t = p.ts_ns;
  const uint8_t phase = f.tcp_bits & kHsMask;
  const bool from_initiator = p.side == f.initiator;
  if ((fl & (kTcpSyn | kTcpAck)) == kTcpSyn) {
    if (from_initiator && phase <= kHsSyn) {  // the last SYN before the SYN/ACK
      k.syn_ns = t;
      f.tcp_bits = static_cast<uint8_t>((f.tcp_bits & ~kHsMask) | kHsSyn);
    }
  } else if (fl & kTcpSyn) {  // SYN/ACK
    if (!from_initiator) {
      if (phase == kHsSyn && t >= k.syn_ns) {
        k.hs_server_us = us_between(k.syn_ns, t);
        k.synack_ns = t;
        f.tcp_bits = static_cast<uint8_t>((f.tcp_bits & ~kHsMask) | kHsSynAck);
      } else if (phase == kHsSynAck && t >= k.synack_ns) {
        k.synack_ns = t;  // retransmitted: the client side runs from the last one
      }
    }
  } else if ((fl & (kTcpAck | kTcpRst)) == kTcpAck && from_initiator && phase == kHsSynAck && t >= k.synack_ns) {
    k.hs_client_us = us_between(k.synack_ns, t);
    f.tcp_bits |= kHsOver;
    const uint64_t rtt = static_cast<uint64_t>(k.hs_server_us) + k.hs_client_us;  // the handshake's round trip
    rtt_sample(k, rtt < kNone ? static_cast<uint32_t>(rtt) : kNone - 1);
  }
}

// TCP latency and retransmissions of one packet (flow-record.v2): a few
// compares on the flow's third cache line; nothing allocated, nothing called
// but at the handshake and per RTT sample.
inline __attribute__((always_inline)) void FlowTable::track_tcp(Flow& f, const ParsedPacket& p) {
  const TcpSeg& g = p.tcp;
  if (!g.ok) return;  // a fragment: no segment length
  if ((f.tcp_bits & kHsMask) != kHsOver) tcp_handshake(f, p);
  TcpTrack& k = f.tcp;
  const uint32_t s = p.side, o = s ^ 1u;
  const uint8_t fl = p.tcp_flags;
  uint8_t bits = f.tcp_bits;

  // The first ACK from this side that covers the other side's timed segment.
  const uint8_t timed_o = static_cast<uint8_t>(kTimedA << o);
  if ((fl & kTcpAck) && (bits & timed_o) && !seq_lt(g.ack, k.timed_end[o])) {
    if (p.ts_ns >= k.timed_ns[o]) rtt_sample(k, us_between(k.timed_ns[o], p.ts_ns));
    bits &= static_cast<uint8_t>(~timed_o);
  }

  // Sequence space (data, SYN, FIN): retransmissions, and a new data segment to time.
  const uint32_t len = g.payload + ((fl >> 1) & 1u) + (fl & kTcpFin);
  if (len != 0 && !(fl & kTcpRst)) {
    const uint32_t end = g.seq + len;
    const uint8_t snd = static_cast<uint8_t>(kSndA << s), timed_s = static_cast<uint8_t>(kTimedA << s);
    int32_t behind = 0;  // < 0: starts before snd_nxt
    if (bits & snd) {
      behind = static_cast<int32_t>(g.seq - k.snd_max[s]);
      if (behind < 0) {
        // A keep-alive probe carries (at most) the one byte below snd_nxt.
        const bool keepalive = behind == -1 && g.payload <= 1 && !(fl & (kTcpSyn | kTcpFin));
        if (!keepalive) {
          f.retransmits[s] += f.retransmits[s] != kNone ? 1u : 0u;
          // Karn: a retransmitted segment is never timed, nor one it repeats.
          if ((bits & timed_s) && seq_lt(g.seq, k.timed_end[s])) bits &= static_cast<uint8_t>(~timed_s);
        }
        if (seq_lt(k.snd_max[s], end)) k.snd_max[s] = end;
      } else {
        k.snd_max[s] = end;
      }
    } else {
      k.snd_max[s] = end;
      bits |= snd;
    }
    if (behind >= 0 && g.payload != 0 && !(bits & timed_s)) {  // new data, and nothing timed yet
      k.timed_end[s] = end;
      k.timed_ns[s] = p.ts_ns;
      bits |= timed_s;
    }
  }
  f.tcp_bits = bits;
}

FlowTable::FlowTable(uint32_t capacity, const FlowTimeouts& timeouts, RecordSink& sink, uint8_t worker_id)
    : capacity_(std::max<uint32_t>(capacity, 16)),
      timeouts_(timeouts),
      sink_(sink),
      worker_id_(worker_id),
      bucket_mask_(buckets_for(capacity_) - 1),
      buckets_(buckets_for(capacity_)),
      flows_(capacity_),
      free_(capacity_),
      free_top_(capacity_),
      wheel_(kWheelSlots, kNil) {
  std::memset(buckets_.data(), 0, buckets_.size() * sizeof(Bucket));
  std::memset(static_cast<void*>(flows_.data()), 0, flows_.size() * sizeof(Flow));
  // Pop order 0,1,2,...: a fresh table fills its pool front to back.
  for (uint32_t i = 0; i < capacity_; ++i) free_[i] = capacity_ - 1 - i;
}

size_t FlowTable::memory_bytes_for(uint32_t capacity) {
  capacity = std::max<uint32_t>(capacity, 16);
  return static_cast<size_t>(buckets_for(capacity)) * sizeof(Bucket) +
         static_cast<size_t>(capacity) * (sizeof(Flow) + sizeof(uint32_t)) + kWheelSlots * sizeof(uint32_t);
}

size_t FlowTable::memory_bytes() const { return memory_bytes_for(capacity_); }

uint32_t FlowTable::lookup(const ParsedPacket& p) const {
  const uint32_t b[2] = {bucket_primary(p.hash), bucket_alternate(p.hash, p.sig)};
  for (uint32_t i = 0; i < 2; ++i) {
    const Bucket& bk = buckets_[b[i]];
    for (uint32_t m = match8(bk.sig, p.sig); m != 0; m &= m - 1) {
      const uint32_t idx = bk.idx[__builtin_ctz(m)];
      if (flows_[idx].key == p.key) return idx;
    }
  }
  return kNil;
}

BurstEvents FlowTable::process_burst(const ParsedPacket* pkts, uint32_t n) {
  BurstEvents ev;
  // Stage 1: prefetch both candidate buckets of every packet.
  for (uint32_t i = 0; i < n; ++i) {
    __builtin_prefetch(&buckets_[bucket_primary(pkts[i].hash)]);
    __builtin_prefetch(&buckets_[bucket_alternate(pkts[i].hash, pkts[i].sig)]);
  }
  // Stage 2: find the candidate flow by signature and prefetch it.
  uint32_t hint[kBurst];
  for (uint32_t i = 0; i < n; ++i) {
    const ParsedPacket& p = pkts[i];
    hint[i] = kNil;
    const Bucket& b1 = buckets_[bucket_primary(p.hash)];
    uint32_t m = match8(b1.sig, p.sig);
    const Bucket* bk = &b1;
    if (m == 0) {
      bk = &buckets_[bucket_alternate(p.hash, p.sig)];
      m = match8(bk->sig, p.sig);
    }
    if (m != 0) {
      hint[i] = bk->idx[__builtin_ctz(m)];
      const char* f = reinterpret_cast<const char*>(&flows_[hint[i]]);
      __builtin_prefetch(f);
      __builtin_prefetch(f + 64, 1);
      if (p.key.proto == kProtoTcp) __builtin_prefetch(f + 128, 1);
    }
  }
  // Stage 3: account each packet in order. A hint can be stale (the flow was
  // ended or a flow of this burst was inserted since), so confirm the key.
  // No hint means no slot of either bucket had the signature at stage 2, and
  // only an insert since can have put one there: `inserted` has one bit per
  // flow this burst inserted (6 bits of its signature), so a new flow skips
  // the lookup unless an earlier new flow of the burst shares those bits.
  uint64_t inserted = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const ParsedPacket& p = pkts[i];
    uint32_t idx = hint[i];
    const uint64_t bit = 1ull << (p.sig >> 26);
    if (idx == kNil ? (inserted & bit) != 0 : !(flows_[idx].key == p.key)) idx = lookup(p);
    if (idx == kNil) {
      inserted |= bit;
      idx = insert(p);
      start_flow(flows_[idx], p);
      if (p.key.proto == kProtoTcp) track_tcp(flows_[idx], p);
      if (flows_[idx].state & kClosedRst) reslot(idx);
      ev.new_flow |= 1u << i;
    } else {
      const uint32_t e = update(idx, p);
      ev.new_flow |= (e & kEventNewFlow) << i;
      ev.established |= ((e & kEventEstablished) >> 1) << i;
    }
  }
  return ev;
}

void FlowTable::start_flow(Flow& f, const ParsedPacket& p) {
  f.first_ns = f.last_ns = p.ts_ns;
  f.packets[0] = f.packets[1] = 0;
  f.bytes[0] = f.bytes[1] = 0;
  f.tcp_flags[0] = f.tcp_flags[1] = 0;
  f.close_ns = 0;
  f.state = 0;
  f.initiator = p.side;
  f.ts_digits = p.ts_digits;
  f.packets[p.side] = 1;
  f.bytes[p.side] = p.ip_bytes;
  f.tcp_flags[p.side] = p.tcp_flags;
  if (p.key.proto == kProtoTcp) {
    reset_tcp(f);
    if (p.tcp_flags & kTcpRst) {
      f.state = kClosedRst;
      f.close_ns = p.ts_ns;
    } else if (p.tcp_flags & kTcpFin) {
      f.state = p.side == kSideA ? kFinA : kFinB;
    }
  }
}

// A flow's record ends and the packet begins the next one in the same slot
// (idle, active or linger cut, or a fresh SYN after a close): a few packets
// per flow at most, so out of line, keeping update()'s inlined body small.
__attribute__((noinline)) uint32_t FlowTable::restart(uint32_t idx, const ParsedPacket& p, EndReason cut) {
  Flow& f = flows_[idx];
  const uint64_t t = p.ts_ns;
  export_flow(idx, cut);
  if (cut != EndReason::kActive) stats_.created.add();  // an active cut continues the same flow
  const uint8_t initiator = f.initiator, fins = f.state & (kFinA | kFinB);
  const uint8_t seq_bits = f.tcp_bits & static_cast<uint8_t>(~kHsMask);
  start_flow(f, p);  // same slot, same key: the bucket entry and wheel position stay
  if (cut == EndReason::kActive) {  // the same connection goes on: keep its direction and FINs seen
    f.initiator = initiator;
    f.state |= fins;
    if (!(f.state & kClosedRst) && (f.state & (kFinA | kFinB)) == (kFinA | kFinB)) {
      f.state |= kClosedFin;
      f.close_ns = t;
    }
    // TCP: the sequence tracking goes on (snd_max and timed segments stay in
    // f.tcp, which start_flow's reset_tcp leaves alone but for the
    // measurements); the handshake belongs to the record that saw it.
    if (p.key.proto == kProtoTcp) f.tcp_bits = seq_bits | kHsOver;
  }
  if (p.key.proto == kProtoTcp) track_tcp(f, p);
  if (f.state & (kClosedFin | kClosedRst)) reslot(idx);
  return cut == EndReason::kActive ? 0u : static_cast<uint32_t>(kEventNewFlow);
}

// Every packet of a known flow: inlined into process_burst (a call here cost
// a register save and restore per packet); the rare restart is a call.
inline __attribute__((always_inline)) uint32_t FlowTable::update(uint32_t idx, const ParsedPacket& p) {
  Flow& f = flows_[idx];
  const uint64_t t = p.ts_ns;
  const bool closed = (f.state & (kClosedFin | kClosedRst)) != 0;
  if (closed) {
    // After a close only trailing packets within the linger belong to the
    // flow; a fresh SYN is a new connection reusing the ports.
    const bool fresh_syn = (p.tcp_flags & (kTcpSyn | kTcpAck)) == kTcpSyn;
    if ((t > f.close_ns && t - f.close_ns > timeouts_.linger_ns) || fresh_syn) {
      return restart(idx, p, f.state & kClosedRst ? EndReason::kRst : EndReason::kFin);
    }
  } else if (t > f.last_ns && t - f.last_ns > timeouts_.idle_ns) {
    return restart(idx, p, EndReason::kIdle);
  } else if (t > f.first_ns && t - f.first_ns > timeouts_.active_ns) {
    return restart(idx, p, EndReason::kActive);
  }
  if (t > f.last_ns) f.last_ns = t;
  if (t < f.first_ns) f.first_ns = t;  // out-of-order capture timestamps
  f.packets[p.side] += 1;
  f.bytes[p.side] += p.ip_bytes;
  uint32_t events = 0;
  if (p.key.proto == kProtoTcp && p.side == f.initiator && (p.tcp_flags & (kTcpSyn | kTcpAck)) == kTcpAck &&
      (f.tcp_flags[p.side] & (kTcpSyn | kTcpAck)) == kTcpSyn &&
      (f.tcp_flags[p.side ^ 1] & (kTcpSyn | kTcpAck)) == (kTcpSyn | kTcpAck)) {
    events = kEventEstablished;  // the initiator's first ACK after SYN and SYN-ACK
  }
  f.tcp_flags[p.side] |= p.tcp_flags;
  if (p.key.proto == kProtoTcp) track_tcp(f, p);
  if (p.key.proto == kProtoTcp && !closed) {
    if (p.tcp_flags & kTcpRst) {
      f.state |= kClosedRst;
      f.close_ns = t;
      reslot(idx);
    } else if (p.tcp_flags & kTcpFin) {
      f.state |= p.side == kSideA ? kFinA : kFinB;
      if ((f.state & (kFinA | kFinB)) == (kFinA | kFinB)) {
        f.state |= kClosedFin;
        f.close_ns = t;
        reslot(idx);
      }
    }
  }
  return events;
}

uint32_t FlowTable::insert(const ParsedPacket& p) {
  const uint32_t b1 = bucket_primary(p.hash), b2 = bucket_alternate(p.hash, p.sig);
  uint32_t idx;
  if (free_top_ == 0) {
    idx = evict_stalest();  // pool exhausted: the flow nearest its deadline makes room
  } else {
    idx = free_[--free_top_];
  }
  Bucket* target = nullptr;
  uint32_t slot = 0;
  for (Bucket* b : {&buckets_[b1], &buckets_[b2]}) {
    const uint32_t empty = match8(b->sig, 0);
    if (empty != 0) {
      target = b;
      slot = __builtin_ctz(empty);
      break;
    }
  }
  if (target == nullptr) {
    // Both buckets full: evict the stalest of their 16 flows and take its slot.
    free_[free_top_++] = idx;
    idx = evict_for(b1, b2);
    for (Bucket* b : {&buckets_[b1], &buckets_[b2]}) {
      const uint32_t empty = match8(b->sig, 0);
      if (empty != 0) {
        target = b;
        slot = __builtin_ctz(empty);
        break;
      }
    }
  }
  target->sig[slot] = p.sig;
  target->idx[slot] = idx;
  Flow& f = flows_[idx];
  f.key = p.key;
  f.hash = p.hash;
  f.sig = p.sig;
  stats_.created.add();
  stats_.active.add();
  wheel_add(idx, p.ts_ns + timeouts_.idle_ns);
  return idx;
}

// Exports the least recently seen flow of buckets b1/b2 as evicted and
// returns its (now free) index, taken off the free stack.
uint32_t FlowTable::evict_for(uint32_t b1, uint32_t b2) {
  uint32_t victim = kNil;
  for (uint32_t b : {b1, b2}) {
    const Bucket& bk = buckets_[b];
    for (uint32_t s = 0; s < 8; ++s) {
      if (bk.sig[s] == 0) continue;
      const uint32_t i = bk.idx[s];
      if (victim == kNil || flows_[i].last_ns < flows_[victim].last_ns) victim = i;
    }
  }
  if (victim == kNil) {
    // The pool is full but these buckets are empty: take the stalest flow of the
    // wheel's next slots instead (any live flow will do; the pool is never empty here).
    for (uint32_t s = 0; s < kWheelSlots && victim == kNil; ++s) {
      victim = wheel_[(wheel_tick_ + s) & (kWheelSlots - 1)];
    }
  }
  stats_.evicted.add();
  export_flow(victim, EndReason::kEvicted);
  release(victim);
  return free_[--free_top_];
}

void FlowTable::export_flow(uint32_t idx, EndReason reason) {
  const Flow& f = flows_[idx];
  FlowRecord r;
  r.key = f.key;
  r.first_ns = f.first_ns;
  r.last_ns = f.last_ns;
  r.packets[0] = f.packets[0];
  r.packets[1] = f.packets[1];
  r.bytes[0] = f.bytes[0];
  r.bytes[1] = f.bytes[1];
  r.tcp_flags[0] = f.tcp_flags[0];
  r.tcp_flags[1] = f.tcp_flags[1];
  r.initiator = f.initiator;
  r.reason = reason;
  r.ts_digits = f.ts_digits;
  r.worker = worker_id_;
  r.pad = 0;
  r.tcp_measured = 0;
  r.tcp_handshake_server_us = r.tcp_handshake_client_us = 0;
  r.tcp_rtt_min_us = r.tcp_rtt_smoothed_us = 0;
  r.tcp_retransmits[0] = r.tcp_retransmits[1] = 0;
  if (f.key.proto == kProtoTcp) {
    const TcpTrack& k = f.tcp;
    r.tcp_retransmits[0] = f.retransmits[0];
    r.tcp_retransmits[1] = f.retransmits[1];
    if (k.hs_server_us != kNone) {
      r.tcp_measured |= kTcpHandshakeServer;
      r.tcp_handshake_server_us = k.hs_server_us;
    }
    if (k.hs_client_us != kNone) {
      r.tcp_measured |= kTcpHandshakeClient;
      r.tcp_handshake_client_us = k.hs_client_us;
    }
    if (k.rtt_min_us != kNone) {
      r.tcp_measured |= kTcpRtt;
      r.tcp_rtt_min_us = k.rtt_min_us;
      r.tcp_rtt_smoothed_us = k.srtt8_us >> 3;
    }
  }
  stats_.exported.add();
  sink_.emit(r);
}

void FlowTable::release(uint32_t idx) {
  Flow& f = flows_[idx];
  for (uint32_t b : {bucket_primary(f.hash), bucket_alternate(f.hash, f.sig)}) {
    Bucket& bk = buckets_[b];
    for (uint32_t s = 0; s < 8; ++s) {
      if (bk.sig[s] == f.sig && bk.idx[s] == idx) {
        bk.sig[s] = 0;
        bk.idx[s] = 0;
        goto removed;
      }
    }
  }
removed:
  wheel_remove(idx);
  f.key.ip_version = 0;
  free_[free_top_++] = idx;
  stats_.active.set(stats_.active.get() - 1);
}

}  // namespace tapline
