#include "detect/detect_worker.h"

#include <cstring>
#include <thread>

namespace tapline {

namespace {
// ceil(rate * tick / workers), at least 1: in any window where a key reaches
// `rate`, some worker sees at least this much of it in some tick.
uint64_t share(uint64_t per_second, uint64_t tick_ns, uint32_t workers) {
  if (per_second == 0) return UINT64_MAX;
  const double v = static_cast<double>(per_second) * (static_cast<double>(tick_ns) / 1e9) / workers;
  const uint64_t s = static_cast<uint64_t>(v);
  return s == 0 ? 1 : s;
}
constexpr uint64_t kPortSalt = 0x706f727473636e21ull;
// Bits [from, to) of a burst's mask (to <= 32).
inline uint32_t span(uint32_t from, uint32_t to) {
  const uint32_t below_to = to >= 32 ? 0xFFFFFFFFu : (1u << to) - 1;
  return below_to & ~((1u << from) - 1);
}
}  // namespace

DetectWorker::DetectWorker(const DetectConfig& config, uint32_t workers, bool wait, const std::atomic<bool>& abandon)
    : config_(config),
      abandon_(abandon),
      tick_ns_(config.tick_ns()),
      wait_(wait),
      need_dst_(config.volumetric.enabled || config.syn_flood.enabled || config.heavy_hitters.enabled),
      need_src_(config.heavy_hitters.enabled || config.port_scan.enabled),
      heavy_hitters_(config.heavy_hitters.enabled),
      port_scan_(config.port_scan.enabled),
      published_(config.tick_slots),
      free_(config.tick_slots) {
  if (config_.volumetric.enabled) {
    share_packets_ = share(config_.volumetric.packets_per_second, tick_ns_, workers);
    share_bytes_ = share(config_.volumetric.bytes_per_second, tick_ns_, workers);
  } else {
    share_packets_ = share_bytes_ = UINT64_MAX;
  }
  share_syns_ = config_.syn_flood.enabled ? share(config_.syn_flood.syns_per_second, tick_ns_, workers) : UINT64_MAX;
  for (uint32_t i = 0; i < config_.tick_slots; ++i) {
    slots_.push_back(std::make_unique<DetectTick>(config_));
    free_.push(i);
  }
  scratch_ = std::make_unique<DetectTick>(config_);
}

size_t DetectWorker::memory_bytes() const {
  size_t m = published_.memory_bytes() + free_.memory_bytes() + scratch_->memory_bytes();
  for (const auto& s : slots_) m += s->memory_bytes();
  return m;
}

void DetectWorker::open_slot() {
  uint32_t s;
  while (free_.pop_bulk(&s, 1) == 0) {
    if (!wait_ || abandon_.load(std::memory_order_relaxed)) {
      cur_slot_ = kScratch;  // the collector is behind and the source cannot wait
      cur_ = scratch_.get();
      cur_->start_ns = tick_end_ - tick_ns_;
      return;
    }
    std::this_thread::yield();  // files and replay: the input waits for the collector
  }
  cur_slot_ = s;
  cur_ = slots_[s].get();
  cur_->start_ns = tick_end_ - tick_ns_;
}

void DetectWorker::close_tick() {
  if (cur_ == nullptr) return;
  if (cur_slot_ == kScratch) {
    if (cur_->packets != 0) stats_.tick_drops.add();
    cur_->clear();
  } else if (cur_->packets != 0) {
    published_.push(cur_slot_);  // never full: it has room for every slot
    stats_.ticks.add();
  } else {
    free_.push(cur_slot_);
  }
  cur_ = nullptr;
}

void DetectWorker::roll(uint64_t ts_ns) {
  if (ts_ns >= tick_end_) {
    close_tick();
    const uint64_t start = ts_ns - ts_ns % tick_ns_;
    tick_end_ = start + tick_ns_;
    progress_.store(start, std::memory_order_release);
  }
  if (cur_ == nullptr) open_slot();
}

void DetectWorker::advance(uint64_t now_ns) {
  if (now_ns < tick_end_ || finished_.load(std::memory_order_relaxed)) return;
  close_tick();
  const uint64_t start = now_ns - now_ns % tick_ns_;
  tick_end_ = start + tick_ns_;
  progress_.store(start, std::memory_order_release);
}

void DetectWorker::finish() {
  close_tick();
  progress_.store(UINT64_MAX, std::memory_order_release);
  finished_.store(true, std::memory_order_release);
}

// One run of packets towards the same destination (consecutive in the burst,
// same tick) goes into the destination's cells at once: the flood case (every
// packet to the victim) costs one sketch update and one top-k offer per run,
// not per packet. A threshold share crossed anywhere in the run is a crossing
// of the run (the estimate only grows, by exactly the run's counts: every row
// takes them), so the candidates are those per-packet updates would find, in
// the same order; top-k values only grow, so offering the run's final estimate
// keeps the same keys.
__attribute__((always_inline)) inline void DetectWorker::add_dst(DetectTick& t, const ParsedPacket& p, uint64_t h, const DstCell& run) {
  DstCell* c[CountMin<DstCell>::kDepth];
  t.dst.cells(h, c);
  uint64_t mp = UINT64_MAX, mb = UINT64_MAX;
  for (uint32_t r = 0; r < CountMin<DstCell>::kDepth; ++r) {
    c[r]->packets += run.packets;
    c[r]->bytes += run.bytes;
    mp = c[r]->packets < mp ? c[r]->packets : mp;
    mb = c[r]->bytes < mb ? c[r]->bytes : mb;
  }
  uint64_t ms = 0;
  if ((run.syns | run.completions) != 0) {  // rare outside SYN floods: a handshake's packets
    ms = UINT64_MAX;
    for (uint32_t r = 0; r < CountMin<DstCell>::kDepth; ++r) {
      c[r]->syns += run.syns;
      c[r]->completions += run.completions;
      ms = c[r]->syns < ms ? c[r]->syns : ms;
    }
  }
  const bool crossed = (mp >= share_packets_ && mp - run.packets < share_packets_) ||
                       (mb >= share_bytes_ && mb - run.bytes < share_bytes_) ||
                       (run.syns != 0 && ms >= share_syns_ && ms - run.syns < share_syns_);
  const bool top = heavy_hitters_ && mb > t.top_dst.floor();
  if (crossed || top) {
    const AddrKey k = make_addr(dst_bytes(p), p.key.ip_version);
    if (crossed && !t.candidates.add(k, h)) stats_.candidate_drops.add();
    if (top) t.top_dst.offer(k, h, mb);
  }
}

void DetectWorker::observe(const ParsedPacket* pkts, uint32_t n, const BurstEvents& ev) {
  const uint64_t seed = config_.hash_seed;
  constexpr uint32_t kDepth = CountMin<SrcCell>::kDepth;
  uint64_t hd[FlowTable::kBurst], hs[FlowTable::kBurst];
  // Stage 1: hashes, straight from the packets' keys. A packet to the
  // previous packet's destination (a flood: every packet) reuses its hash;
  // bit i of `same_dst` says so, which is also what ends or extends a
  // destination run in stage 3.
  uint32_t same_dst = 0;
  uint32_t ported = 0;  // bit i: packet i has ports (a flow start of it may be a scan's)
  uint64_t prev_lo = 0, prev_hi = 0;
  uint8_t prev_version = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const ParsedPacket& p = pkts[i];
    ported |= static_cast<uint32_t>(has_ports(p.key.proto)) << i;
    const uint8_t* const d = dst_bytes(p);
    uint64_t lo, hi;
    std::memcpy(&lo, d, 8);
    std::memcpy(&hi, d + 8, 8);
    if (lo == prev_lo && hi == prev_hi && p.key.ip_version == prev_version && i != 0) {
      hd[i] = hd[i - 1];
      same_dst |= 1u << i;
    } else {
      hd[i] = hash_addr_raw(d, p.key.ip_version, seed);
      prev_lo = lo;
      prev_hi = hi;
      prev_version = p.key.ip_version;
    }
    if (need_src_) hs[i] = hash_addr_raw(src_bytes(p), p.key.ip_version, seed);
  }
  // Stage 2: prefetch every cell the burst will touch (each destination of a
  // run once). Loops of their own: little is live, so nothing spills.
  if (DetectTick* const pre = cur_; pre != nullptr) {
    if (need_dst_) {
      const uint32_t firsts = ~same_dst & (n == 32 ? 0xFFFFFFFFu : (1u << n) - 1);
      for (uint32_t m = firsts; m != 0; m &= m - 1) pre->dst.prefetch(hd[__builtin_ctz(m)]);
    }
    if (heavy_hitters_) {
      for (uint32_t i = 0; i < n; ++i) pre->src.prefetch(hs[i]);
    }
  }
  // Stage 3: update. Port-scan flow starts are added per stretch of the
  // burst within one tick (a loop over their bits, not a branch per packet).
  const uint32_t established = ev.established;
  const uint32_t starts = port_scan_ ? ev.new_flow & ported : 0;
  constexpr uint32_t kNoRun = 0xFFFFFFFFu;
  uint32_t run = kNoRun;  // first packet of the pending destination run
  uint32_t stretch = 0;   // first packet of this tick's stretch of the burst
  DstCell acc{};
  for (uint32_t i = 0; i < n; ++i) {
    const ParsedPacket& p = pkts[i];
    if (p.ts_ns >= tick_end_ || cur_ == nullptr) {
      if (run != kNoRun) {
        add_dst(*cur_, pkts[run], hd[run], acc);
        run = kNoRun;
      }
      if (cur_ != nullptr) add_scans(*cur_, pkts, hs, hd, starts & span(stretch, i));
      stretch = i;
      roll(p.ts_ns);
    }
    DetectTick& t = *cur_;
    t.packets += 1;
    t.max_ts_ns = p.ts_ns > t.max_ts_ns ? p.ts_ns : t.max_ts_ns;
    if (need_dst_) {
      // A run holds consecutive packets to one destination, so packet i
      // continues it exactly when it goes where packet i - 1 went.
      if (run != kNoRun && !((same_dst >> i) & 1)) {
        add_dst(t, pkts[run], hd[run], acc);
        run = kNoRun;
      }
      if (run == kNoRun) {
        run = i;
        acc = DstCell{};
      }
      acc.packets += 1;
      acc.bytes += p.ip_bytes;
      acc.syns += is_syn(p) ? 1 : 0;
      acc.completions += (established >> i) & 1;
      if (heavy_hitters_) {
        SrcCell* c[kDepth];
        t.src.cells(hs[i], c);
        uint64_t sb = UINT64_MAX;
        for (uint32_t r = 0; r < kDepth; ++r) {
          c[r]->packets += 1;
          c[r]->bytes += p.ip_bytes;
          sb = c[r]->bytes < sb ? c[r]->bytes : sb;
        }
        if (sb > t.top_src.floor()) t.top_src.offer(make_addr(src_bytes(p), p.key.ip_version), hs[i], sb);
      }
    }
  }
  if (run != kNoRun) add_dst(*cur_, pkts[run], hd[run], acc);
  if (n != 0) add_scans(*cur_, pkts, hs, hd, starts & span(stretch, n));
}

void DetectWorker::add_scans(DetectTick& t, const ParsedPacket* pkts, const uint64_t* hs, const uint64_t* hd,
                             uint32_t mask) {
  for (; mask != 0; mask &= mask - 1) {
    const uint32_t i = __builtin_ctz(mask);
    const ParsedPacket& p = pkts[i];
    if (t.scan.add(make_addr(src_bytes(p), p.key.ip_version), hs[i], hd[i], mix64(dport_of(p) ^ kPortSalt))) {
      stats_.scan_replaced.add();
    }
  }
}

}  // namespace tapline
