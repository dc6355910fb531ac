// The engine's counters as one flat, named snapshot. Names use dots for
// nesting ("flows.created"); the binding turns them into objects of BigInts.
#include <string>

#include "common/clock.h"
#include "engine/engine.h"

namespace tapline {

namespace {
void add_parse_stats(const ParseStats& s, ParseStats& sum) {
  sum.packets.add(s.packets.get());
  sum.wire_bytes.add(s.wire_bytes.get());
  sum.flow_packets.add(s.flow_packets.get());
  sum.fragments_unmatched.add(s.fragments_unmatched.get());
  sum.fragment_evictions.add(s.fragment_evictions.get());
  if (s.unsupported_linktype_seen.get() != 0) sum.unsupported_linktype_seen.set(s.unsupported_linktype_seen.get());
#define TAPLINE_SUM_PROTO(f, n) sum.proto.f.add(s.proto.f.get());
  TAPLINE_PROTOCOL_COUNTERS(TAPLINE_SUM_PROTO)
#undef TAPLINE_SUM_PROTO
#define TAPLINE_SUM_MALFORMED(f, n) sum.malformed.f.add(s.malformed.f.get());
  TAPLINE_MALFORMED_REASONS(TAPLINE_SUM_MALFORMED)
#undef TAPLINE_SUM_MALFORMED
}
}  // namespace

StatsSnapshot Engine::stats() const {
  ParseStats parse;
  if (reader_parser_) add_parse_stats(reader_parser_->stats(), parse);
  for (const auto& w : workers_) add_parse_stats(w->parser().stats(), parse);

  StatsSnapshot out;
  out.emplace_back("packets", parse.packets.get());
  out.emplace_back("bytes", parse.wire_bytes.get());
  out.emplace_back("flowPackets", parse.flow_packets.get());
  out.emplace_back("malformedTotal", parse.malformed_total());
#define TAPLINE_EMIT_PROTO(f, n) out.emplace_back("protocols." n, parse.proto.f.get());
  TAPLINE_PROTOCOL_COUNTERS(TAPLINE_EMIT_PROTO)
#undef TAPLINE_EMIT_PROTO
#define TAPLINE_EMIT_MALFORMED(f, n) out.emplace_back("malformed." n, parse.malformed.f.get());
  TAPLINE_MALFORMED_REASONS(TAPLINE_EMIT_MALFORMED)
#undef TAPLINE_EMIT_MALFORMED
  out.emplace_back("fragments.unmatched", parse.fragments_unmatched.get());
  out.emplace_back("fragments.evicted", parse.fragment_evictions.get());
  out.emplace_back("input.unsupportedLinkType", parse.unsupported_linktype_seen.get());

  uint64_t created = 0, exported = 0, evicted = 0, active = 0, drops = 0, capacity = 0;
  for (const auto& w : workers_) {
    created += w->table().stats().created.get();
    exported += w->table().stats().exported.get();
    evicted += w->table().stats().evicted.get();
    active += w->table().stats().active.get();
    drops += w->stats().ring_drops.get();
    capacity += w->table().capacity();
  }
  out.emplace_back("flows.created", created);
  out.emplace_back("flows.exported", exported);
  out.emplace_back("flows.evicted", evicted);
  out.emplace_back("flows.active", active);
  out.emplace_back("flows.capacity", capacity);
  out.emplace_back("ring.drops", drops);
  out.emplace_back("ring.dispatchWaits", blocks_ ? blocks_->reader_waits() : 0);
  for (size_t i = 0; i < workers_.size(); ++i) {
    const std::string p = "workers." + std::to_string(i) + ".";
    out.emplace_back(p + "packets", workers_[i]->stats().packets.get());
    out.emplace_back(p + "busyNs", workers_[i]->stats().busy_ns.get());
  }
  if (reader_) {
    out.emplace_back("input.bytesRead", input_bytes_read_.load(std::memory_order_relaxed));
    out.emplace_back("input.fileSize", reader_->file_size());
  }
  size_t table_bytes = 0;
  for (const auto& w : workers_) table_bytes += w->table().memory_bytes();
  if (filter_) out.emplace_back("filter.rejected", filter_rejected_.get());
  if (live_) live_->stats(out);
  if (detect_) detect_->append_stats(out);  // detectors.*, alerts.*
  out.emplace_back("memoryBytes", memory_bytes());
  out.emplace_back("flowTableBytes", table_bytes);
  const uint64_t end = end_ns_.load();
  out.emplace_back("wallNs", start_ns_ == 0 ? 0 : (end != 0 ? end : monotonic_ns()) - start_ns_);
  return out;
}

}  // namespace tapline
