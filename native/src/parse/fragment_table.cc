#include "parse/fragment_table.h"

#include <cstring>

#include "flow/flow_hash.h"

namespace tapline {

namespace {
uint32_t round_pow2(uint32_t n) {
  uint32_t p = 1;
  while (p < n && p < (1u << 30)) p <<= 1;
  return p;
}
bool same(const FragmentId& a, const FragmentId& b) { return std::memcmp(&a, &b, sizeof(FragmentId)) == 0; }
}  // namespace

FragmentTable::FragmentTable(uint32_t sets, uint64_t timeout_ns, uint64_t seed)
    : entries_(static_cast<size_t>(round_pow2(sets)) * kWays),
      mask_(round_pow2(sets) - 1),
      timeout_ns_(timeout_ns),
      seed_(seed) {}

uint32_t FragmentTable::set_of(const FragmentId& id) const {
  return crc32c_bytes(&id, sizeof(id), static_cast<uint32_t>(seed_)) & mask_;
}

bool FragmentTable::remember(const FragmentId& id, uint16_t sport, uint16_t dport, uint64_t ts_ns) {
  Entry* set = &entries_[static_cast<size_t>(set_of(id)) * kWays];
  Entry* victim = &set[0];
  for (uint32_t w = 0; w < kWays; ++w) {
    Entry& e = set[w];
    if (!e.used || same(e.id, id)) {
      victim = &e;
      break;
    }
    if (e.ts_ns < victim->ts_ns) victim = &e;
  }
  const bool evicted = victim->used && !same(victim->id, id) && ts_ns - victim->ts_ns <= timeout_ns_ &&
                       victim->ts_ns <= ts_ns;
  victim->id = id;
  victim->ts_ns = ts_ns;
  victim->sport = sport;
  victim->dport = dport;
  victim->used = true;
  return evicted;
}

bool FragmentTable::find(const FragmentId& id, uint64_t ts_ns, uint16_t& sport, uint16_t& dport) const {
  const Entry* set = &entries_[static_cast<size_t>(set_of(id)) * kWays];
  for (uint32_t w = 0; w < kWays; ++w) {
    const Entry& e = set[w];
    if (!e.used || !same(e.id, id)) continue;
    // A datagram's fragments arrive within the reassembly timeout; an older
    // entry belongs to an earlier datagram that reused the identification.
    if (ts_ns > e.ts_ns && ts_ns - e.ts_ns > timeout_ns_) return false;
    sport = e.sport;
    dport = e.dport;
    return true;
  }
  return false;
}

}  // namespace tapline
