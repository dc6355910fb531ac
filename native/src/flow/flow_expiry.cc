// Flow expiry: the intrusive timer wheel, idle/linger deadlines and flushing.
// The packet path never touches the wheel; a flow is re-slotted lazily when
// its slot comes round and it turns out to have seen packets since.
#include "flow/flow_table.h"

namespace tapline {

uint64_t FlowTable::deadline(const Flow& f) const {
  if (f.state & (kClosedFin | kClosedRst)) return f.close_ns + timeouts_.linger_ns;
  return f.last_ns + timeouts_.idle_ns;
}

EndReason FlowTable::expiry_reason(const Flow& f) const {
  if (f.state & kClosedRst) return EndReason::kRst;
  if (f.state & kClosedFin) return EndReason::kFin;
  return EndReason::kIdle;
}

void FlowTable::wheel_add(uint32_t idx, uint64_t deadline_ns) {
  Flow& f = flows_[idx];
  const uint32_t slot = static_cast<uint32_t>((deadline_ns / kTickNs + 1) & (kWheelSlots - 1));
  f.wheel_slot = static_cast<uint16_t>(slot);
  f.wheel_prev = kNil;
  f.wheel_next = wheel_[slot];
  if (f.wheel_next != kNil) flows_[f.wheel_next].wheel_prev = idx;
  wheel_[slot] = idx;
}

void FlowTable::wheel_remove(uint32_t idx) {
  Flow& f = flows_[idx];
  if (f.wheel_prev != kNil) {
    flows_[f.wheel_prev].wheel_next = f.wheel_next;
  } else {
    wheel_[f.wheel_slot] = f.wheel_next;
  }
  if (f.wheel_next != kNil) flows_[f.wheel_next].wheel_prev = f.wheel_prev;
  f.wheel_prev = f.wheel_next = kNil;
}

// A close moves the deadline from idle to linger, usually earlier: the lazy
// re-slotting below only ever postpones, so a closing flow is moved now
// (once per flow, not per packet).
void FlowTable::reslot(uint32_t idx) {
  wheel_remove(idx);
  wheel_add(idx, deadline(flows_[idx]));
}

void FlowTable::expire_slot(uint32_t slot, uint64_t now_ns) {
  uint32_t idx = wheel_[slot];
  while (idx != kNil) {
    Flow& f = flows_[idx];
    const uint32_t next = f.wheel_next;
    const uint64_t d = deadline(f);
    if (now_ns > d) {
      export_flow(idx, expiry_reason(f));
      release(idx);
    } else {
      const uint32_t want = static_cast<uint32_t>((d / kTickNs + 1) & (kWheelSlots - 1));
      if (want != slot) {
        wheel_remove(idx);
        wheel_add(idx, d);
      }
    }
    idx = next;
  }
}

// A full pool under a churn of new flows (a flood) evicts one flow per packet,
// and each eviction touches flows and buckets no packet brought into cache:
// the victim (read for its record, unlinked), its two buckets, and the next
// flow on the wheel (relinked). The next victims are most likely the ones
// after this one on the same wheel list, so prefetch in a two-step pipeline:
// the flow after next (its lines), and the next flow's buckets (its hash is
// in cache by now: its lines were prefetched one eviction ago). Hints only:
// if the wheel changed meanwhile nothing is wrong, only less is saved.
void FlowTable::prefetch_victims(uint32_t next) const {
  if (next == kNil) return;
  const Flow& n = flows_[next];
  __builtin_prefetch(&buckets_[bucket_primary(n.hash)], 1);
  __builtin_prefetch(&buckets_[bucket_alternate(n.hash, n.sig)], 1);
  if (n.wheel_next == kNil) return;
  const char* const after = reinterpret_cast<const char*>(&flows_[n.wheel_next]);
  __builtin_prefetch(after, 1);
  __builtin_prefetch(after + 64, 1);
  __builtin_prefetch(after + 128, 1);
}

// The pool is full: evict the flow whose deadline comes first, found from the
// timer wheel (one flow touched in the common case, where scanning the two
// candidate buckets would touch up to 16 cold flows). Flows that were seen
// since they were slotted are moved to their real slot on the way, so the
// victim is the stalest flow up to the wheel's 250 ms resolution.
uint32_t FlowTable::evict_stalest() {
  // Start where the last victim was found: the slots before it were empty
  // then, and only flows closed since (2 s linger) can have landed there.
  const uint64_t from = evict_tick_ > wheel_tick_ ? evict_tick_ - wheel_tick_ : 1;
  for (uint64_t s = from; s < from + kWheelSlots; ++s) {
    const uint32_t slot = static_cast<uint32_t>((wheel_tick_ + s) & (kWheelSlots - 1));
    for (uint32_t idx = wheel_[slot]; idx != kNil;) {
      const uint32_t next = flows_[idx].wheel_next;
      const uint64_t d = deadline(flows_[idx]);
      if (static_cast<uint32_t>((d / kTickNs + 1) & (kWheelSlots - 1)) == slot) {
        evict_tick_ = wheel_tick_ + s;
        prefetch_victims(next);
        stats_.evicted.add();
        export_flow(idx, EndReason::kEvicted);
        release(idx);
        return free_[--free_top_];
      }
      wheel_remove(idx);
      wheel_add(idx, d);
      idx = next;
    }
  }
  // Not reached while any flow is live (every live flow is on the wheel).
  return evict_for(0, 0);
}

void FlowTable::advance(uint64_t now_ns) {
  const uint64_t tick = now_ns / kTickNs;
  if (wheel_tick_ == 0) {  // the clock starts with the first packet or wall-clock reading
    wheel_tick_ = tick;
    return;
  }
  if (tick <= wheel_tick_) return;
  if (tick - wheel_tick_ >= kWheelSlots) {
    for (uint32_t s = 0; s < kWheelSlots; ++s) expire_slot(s, now_ns);
  } else {
    for (uint64_t t = wheel_tick_ + 1; t <= tick; ++t) {
      expire_slot(static_cast<uint32_t>(t & (kWheelSlots - 1)), now_ns);
    }
  }
  wheel_tick_ = tick;
}

void FlowTable::flush(EndReason reason, uint64_t now_ns) {
  for (uint32_t idx = 0; idx < capacity_; ++idx) {
    Flow& f = flows_[idx];
    if (f.key.ip_version == 0) continue;
    // A closed TCP flow ends fin/rst and a quiet one idle, whatever stopped the input.
    const bool closed = (f.state & (kClosedFin | kClosedRst)) != 0;
    export_flow(idx, closed || now_ns > deadline(f) ? expiry_reason(f) : reason);
    release(idx);
  }
}

}  // namespace tapline
