#include "detect/detect_worker.h"

#include <smmintrin.h>

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
// keeps the same keys. `pos`: the destination's cell offsets.
__attribute__((always_inline)) inline void DetectWorker::add_dst(DetectTick& t, const ParsedPacket& p, uint64_t h,
                                                                 const uint32_t* pos, const DstCell& run) {
  DstCell* c[kDepth];
  for (uint32_t r = 0; r < kDepth; ++r) c[r] = &t.dst.at(pos[r]);
  uint64_t mp = UINT64_MAX, mb = UINT64_MAX;
  for (uint32_t r = 0; r < kDepth; ++r) {
    c[r]->packets += run.packets;
    c[r]->bytes += run.bytes;
    mp = c[r]->packets < mp ? c[r]->packets : mp;
    mb = c[r]->bytes < mb ? c[r]->bytes : mb;
  }
  uint64_t ms = 0;
  if ((run.syns | run.completions) != 0) {  // rare outside SYN floods: a handshake's packets
    ms = UINT64_MAX;
    for (uint32_t r = 0; r < kDepth; ++r) {
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
  // Read once: stores into the tick below could alias members as far as the compiler knows.
  const bool need_dst = need_dst_, need_src = need_src_, heavy = heavy_hitters_;
  uint64_t hd[FlowTable::kBurst], hs[FlowTable::kBurst];
  uint32_t dpos[FlowTable::kBurst][kDepth], spos[FlowTable::kBurst][kDepth];
  // Stage 1: hashes, straight from the packets' keys. A packet to the
  // previous packet's destination (a flood: every packet) reuses its hash;
  // bit i of `same_dst` says so, which is also what ends or extends a
  // destination run in stage 3.
  uint32_t same_dst = 0;
  uint32_t ported = 0;  // bit i: packet i has ports (a flow start of it may be a scan's)
  __m128i prev = _mm_setzero_si128();
  uint8_t prev_version = 0xFF;  // no packet's: the first packet begins a run
  for (uint32_t i = 0; i < n; ++i) {
    const ParsedPacket& p = pkts[i];
    ported |= static_cast<uint32_t>(has_ports(p.key.proto)) << i;
    const uint8_t* const d = dst_bytes(p);
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d));
    const __m128i x = _mm_xor_si128(a, prev);
    if (_mm_testz_si128(x, x) & (p.key.ip_version == prev_version)) {
      hd[i] = hd[i - 1];
      same_dst |= 1u << i;
    } else {
      hd[i] = hash_addr_raw(d, p.key.ip_version, seed);
      prev = a;
      prev_version = p.key.ip_version;
    }
    if (need_src) hs[i] = hash_addr_raw(src_bytes(p), p.key.ip_version, seed);
  }
  // Stage 2: every cell the burst will touch (each destination of a run
  // once), its cell offsets kept for stage 3 and prefetched. Loops of their
  // own: little is live, so nothing spills.
  DetectTick* const pre = cur_;
  if (need_dst) {
    const uint32_t firsts = ~same_dst & (n == 32 ? 0xFFFFFFFFu : (1u << n) - 1);
    for (uint32_t m = firsts; m != 0; m &= m - 1) {
      const uint32_t i = __builtin_ctz(m);
      CountMin<DstCell>::offsets(hd[i], config_.sketch_width, dpos[i]);
      if (pre != nullptr) pre->dst.prefetch(dpos[i]);
    }
  }
  if (heavy) {
    for (uint32_t i = 0; i < n; ++i) {
      CountMin<SrcCell>::offsets(hs[i], config_.sketch_width, spos[i]);
      if (pre != nullptr) pre->src.prefetch(spos[i]);
    }
  }
  // Stage 3: update. Per stretch of the burst within one tick: the tick's
  // packet count and latest time, and the port-scan flow starts (a loop over
  // their bits, not a branch per packet).
  const uint32_t established = ev.established;
  const uint32_t starts = port_scan_ ? ev.new_flow & ported : 0;
  constexpr uint32_t kNoRun = 0xFFFFFFFFu;
  uint32_t run = kNoRun;  // first packet of the pending destination run
  uint32_t stretch = 0;   // first packet of this tick's stretch of the burst
  uint64_t latest = 0;    // the stretch's latest packet time
  uint64_t end = cur_ != nullptr ? tick_end_ : 0;  // a packet at or after it rolls the tick
  DstCell acc{};
  for (uint32_t i = 0; i < n; ++i) {
    const ParsedPacket& p = pkts[i];
    if (p.ts_ns >= end) {
      if (cur_ != nullptr) {
        if (run != kNoRun) {
          add_dst(*cur_, pkts[run], hd[run], dpos[run], acc);
          run = kNoRun;
        }
        end_stretch(*cur_, i - stretch, latest);
        add_scans(*cur_, pkts, hs, hd, starts & span(stretch, i));
      }
      stretch = i;
      latest = 0;
      roll(p.ts_ns);
      end = tick_end_;
    }
    DetectTick& t = *cur_;
    latest = p.ts_ns > latest ? p.ts_ns : latest;
    if (need_dst) {
      // A run holds consecutive packets to one destination, so packet i
      // continues it exactly when it goes where packet i - 1 went.
      if (run != kNoRun && !((same_dst >> i) & 1)) {
        add_dst(t, pkts[run], hd[run], dpos[run], acc);
        run = kNoRun;
      }
      if (run == kNoRun) {
        run = i;
        acc = DstCell{};
        // A tick change cut a run: its rest begins a run stage 2 did not place.
        if ((same_dst >> i) & 1) CountMin<DstCell>::offsets(hd[i], config_.sketch_width, dpos[i]);
      }
      acc.packets += 1;
      acc.bytes += p.ip_bytes;
      acc.syns += is_syn(p) ? 1 : 0;
      acc.completions += (established >> i) & 1;
      if (heavy) {
        SrcCell* c[kDepth];
        for (uint32_t r = 0; r < kDepth; ++r) c[r] = &t.src.at(spos[i][r]);
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
  if (n == 0) return;
  if (run != kNoRun) add_dst(*cur_, pkts[run], hd[run], dpos[run], acc);
  end_stretch(*cur_, n - stretch, latest);
  add_scans(*cur_, pkts, hs, hd, starts & span(stretch, n));
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
