#include "detect/detect_worker.h"

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
}  // namespace

DetectWorker::DetectWorker(const DetectConfig& config, uint32_t workers, bool wait, const std::atomic<bool>& abandon)
    : config_(config),
      abandon_(abandon),
      tick_ns_(config.tick_ns()),
      wait_(wait),
      need_dst_(config.volumetric.enabled || config.syn_flood.enabled || config.heavy_hitters.enabled),
      need_src_(config.heavy_hitters.enabled || config.port_scan.enabled),
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

void DetectWorker::observe(const ParsedPacket* pkts, uint32_t n, const BurstEvents& ev) {
  const uint64_t seed = config_.hash_seed;
  AddrKey dk[FlowTable::kBurst], sk[FlowTable::kBurst];
  uint64_t hd[FlowTable::kBurst], hs[FlowTable::kBurst];
  // Stage 1: keys, hashes and prefetch of every cell the burst will touch.
  for (uint32_t i = 0; i < n; ++i) {
    dk[i] = dst_of(pkts[i]);
    hd[i] = hash_addr(dk[i], seed);
    if (need_src_) {
      sk[i] = src_of(pkts[i]);
      hs[i] = hash_addr(sk[i], seed);
    }
    if (cur_ != nullptr) {
      if (need_dst_) cur_->dst.prefetch(hd[i]);
      if (config_.heavy_hitters.enabled) cur_->src.prefetch(hs[i]);
    }
  }
  // Stage 2: update.
  for (uint32_t i = 0; i < n; ++i) {
    const ParsedPacket& p = pkts[i];
    if (p.ts_ns >= tick_end_ || cur_ == nullptr) roll(p.ts_ns);
    DetectTick& t = *cur_;
    t.packets += 1;
    t.max_ts_ns = p.ts_ns > t.max_ts_ns ? p.ts_ns : t.max_ts_ns;
    if (need_dst_) {
      const uint32_t syn = is_syn(p) ? 1 : 0;
      const uint32_t done = (ev.established >> i) & 1;
      uint64_t mp = UINT64_MAX, mb = UINT64_MAX, ms = UINT64_MAX;
      for (uint32_t r = 0; r < CountMin<DstCell>::kDepth; ++r) {
        DstCell& c = t.dst.cell(hd[i], r);
        c.packets += 1;
        c.bytes += p.ip_bytes;
        c.syns += syn;
        c.completions += done;
        mp = c.packets < mp ? c.packets : mp;
        mb = c.bytes < mb ? c.bytes : mb;
        ms = c.syns < ms ? c.syns : ms;
      }
      // The estimate crossed this worker's share of a threshold on this packet: a candidate.
      const bool crossed = mp == share_packets_ || (mb >= share_bytes_ && mb - p.ip_bytes < share_bytes_) ||
                           (syn && ms == share_syns_);
      if (crossed && !t.candidates.add(dk[i], hd[i])) stats_.candidate_drops.add();
      if (config_.heavy_hitters.enabled) {
        if (mb > t.top_dst.floor()) t.top_dst.offer(dk[i], hd[i], mb);
        uint64_t sb = UINT64_MAX;
        for (uint32_t r = 0; r < CountMin<SrcCell>::kDepth; ++r) {
          SrcCell& c = t.src.cell(hs[i], r);
          c.packets += 1;
          c.bytes += p.ip_bytes;
          sb = c.bytes < sb ? c.bytes : sb;
        }
        if (sb > t.top_src.floor()) t.top_src.offer(sk[i], hs[i], sb);
      }
    }
    if (config_.port_scan.enabled && ((ev.new_flow >> i) & 1) && has_ports(p.key.proto)) {
      if (t.scan.add(sk[i], hs[i], hd[i], mix64(dport_of(p) ^ kPortSalt))) stats_.scan_replaced.add();
    }
  }
}

}  // namespace tapline
