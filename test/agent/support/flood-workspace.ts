// The set-up the agent tests under load share: a working directory of their own and a SYN-flood
// capture of 300k packets at a 20k/s capture clock (15 s per loop, one record per SYN, so the flows
// of one loop are long gone, 1 s idle, when the next loop replays the same addresses).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { packageRoot } from '../../../agent/engine/binding.js';
import { writeBenchFlood, type BenchSummary } from '../../gen/bench.js';

export interface FloodWorkspace {
  /** test/.out/agent: generated captures. */
  out: string;
  /** A temporary directory for configs and spools. */
  work: string;
  flood: BenchSummary;
  remove(): void;
}

export function floodWorkspace(name: string, seed: number): FloodWorkspace {
  const out = path.join(packageRoot(), 'test', '.out', 'agent');
  mkdirSync(out, { recursive: true });
  const work = mkdtempSync(path.join(tmpdir(), `tapline-${name}-`));
  const flood = writeBenchFlood(path.join(out, `${name}-flood.pcap`), { packets: 300_000, rate: 20_000, seed });
  return { out, work, flood, remove: () => rmSync(work, { recursive: true, force: true }) };
}
