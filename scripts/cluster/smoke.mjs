#!/usr/bin/env node
// Runs the harness smoke check (see smoke-check.mjs) against the cluster that
// `npm run cluster:up` started; with --start, starts one for the check and stops it after.
//
//   node scripts/cluster/smoke.mjs [--start]
import { parseArgs } from 'node:util';
import { readState, startCluster, stopCluster } from './cluster.mjs';
import { runSmokeCheck } from './smoke-check.mjs';

const { values } = parseArgs({ options: { start: { type: 'boolean', default: false } } });
const log = (m) => process.stderr.write(`[smoke] ${m}\n`);
let cluster;
let code = 0;
try {
  if (values.start) {
    cluster = await startCluster({ reuse: true, handleSignals: true });
  } else {
    const state = readState();
    if (!state) throw new Error("no cluster is running: start one with 'npm run cluster:up' (or pass --start)");
    cluster = state;
  }
  const t0 = Date.now();
  const r = await runSmokeCheck(cluster, { log });
  process.stdout.write(`smoke check passed in ${((Date.now() - t0) / 1000).toFixed(1)}s: pods on ${r.podNodes.join(', ')} (not on ${r.nodes.filter((n) => !r.labelledNodes.includes(n)).join(', ')}); ${JSON.stringify(r.timings)}\n`);
  process.stdout.write('1 passed, 0 failed\n');
} catch (e) {
  process.stderr.write(`smoke check FAILED: ${e.message}\n`);
  process.stdout.write('0 passed, 1 failed\n');
  code = 1;
} finally {
  if (values.start && cluster?.startedByUs) await stopCluster();
}
process.exit(code);
