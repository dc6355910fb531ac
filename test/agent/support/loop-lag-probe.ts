// Loaded into a `tapline agent` child process with `node --import` (NODE_OPTIONS) by tests that
// measure the agent's event-loop delay: a perf_hooks histogram runs from the start, and each
// SIGUSR2 writes what it saw since the previous one to `${TAPLINE_TEST_LOOP_LAG_FILE}.<n>.json`
// (n = 1, 2, ...) and starts a new window. Nothing happens without the variable.
//
// The compiled copy (dist/test/agent/support/loop-lag-probe.js) is the one loaded; see
// loopLagProbe() in loop-lag.ts.
import { renameSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.TAPLINE_TEST_LOOP_LAG_FILE;
if (file) {
  const resolutionMs = 5;
  const h = monitorEventLoopDelay({ resolution: resolutionMs });
  h.enable();
  let n = 0;
  let since = Date.now();
  process.on('SIGUSR2', () => {
    const now = Date.now();
    const window = {
      fromMs: since,
      toMs: now,
      samples: h.count,
      // the histogram holds the time between ticks of a `resolutionMs` timer; the lag is the excess
      resolutionMs,
      meanMs: h.mean / 1e6,
      p50Ms: h.percentile(50) / 1e6,
      p99Ms: h.percentile(99) / 1e6,
      maxMs: h.max / 1e6,
    };
    h.reset();
    since = now;
    n++;
    writeFileSync(`${file}.${n}.json.tmp`, JSON.stringify(window));
    renameSync(`${file}.${n}.json.tmp`, `${file}.${n}.json`);
  });
}
