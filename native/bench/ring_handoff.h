// Records handed from workers to the one consumer through their export rings,
// every thread running at once (issue 12, target 3: in a flood every packet
// ends a flow, so each worker hands over a record per packet, and one consumer
// takes them all). Each producer either pushes each record (one store to its
// ring's shared index per record) or stages a burst of them and publishes once,
// as Worker::emit and Worker::account do; the consumer drains the rings in
// turn and reads each record in place, as Engine::drain_each. Threads are
// pinned to distinct CPUs when the process may use enough of them.
#pragma once
#include <cstdint>

namespace tapline::bench {

struct RingHandoff {
  double per_record_mrps = 0;  // million records per second, median of the rounds
  double per_burst_mrps = 0;
  bool pinned = false;  // each thread had a CPU of its own
};

// `producers` threads of `records` records each per run, `burst` records per
// publish, `rounds` alternating rounds; rates are of all producers together.
// Throws if a record is lost, repeated or out of order.
RingHandoff ring_handoff(uint32_t producers, uint64_t records, uint32_t burst, int rounds);

}  // namespace tapline::bench
