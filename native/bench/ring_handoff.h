// Records handed from a worker to the consumer through one export ring, both
// threads running at once (issue 12, target 3: in a flood every packet ends a
// flow, so each worker hands over a record per packet): the producer either
// pushes each record (one store to the ring's shared index per record) or
// stages a burst of them and publishes once, as Worker::emit and
// Worker::account do; the consumer reads them in place, as Engine::drain_each.
// The two threads are pinned to the first two CPUs the process may use.
#pragma once
#include <cstdint>

namespace tapline::bench {

struct RingHandoff {
  double per_record_mrps = 0;  // million records per second, median of the rounds
  double per_burst_mrps = 0;
};

// `records` per run, `burst` records per publish, `rounds` alternating rounds.
// Throws if a record is lost, repeated or out of order.
RingHandoff ring_handoff(uint64_t records, uint32_t burst, int rounds);

}  // namespace tapline::bench
