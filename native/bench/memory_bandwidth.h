// The machine's memory read bandwidth with 1..N threads, for reading the
// engine's multi-core scaling against it (issue 12, target 3): each thread
// sums its own buffer, far larger than the caches, several times over; the
// figure is bytes read over the slowest thread's time.
#pragma once
#include <cstdint>

namespace tapline::bench {

// GB/s read by `threads` threads at once, `mib_per_thread` MiB each (best of 3).
double read_bandwidth_gbs(uint32_t threads, uint32_t mib_per_thread);

}  // namespace tapline::bench
