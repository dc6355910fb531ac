// The detectors' per-packet cost (`npm run bench`, after the flow-engine
// benchmark): the engine from memory (replay) with every detector off, then
// on, alternating in this one run, on the mix and on the SYN flood; the best
// run of each, and on/off as a ratio. Thresholds as a policy would set them
// (the mix reaches none; the 1 Mpps flood is a SYN flood at 100 k/s).
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

import { packageRoot } from '../../agent/engine/binding.js';
import { type DetectorOptions } from '../../agent/engine/detector-options.js';
import { writeBenchFlood, writeBenchMix } from '../gen/bench.js';
import { measureReplay } from './engine-replay.js';

export const BENCH_DETECTORS: DetectorOptions = {
  volumetric: { enabled: true, packetsPerSecond: 1_000_000, bytesPerSecond: 10_000_000_000, windowSeconds: 1 },
  synFlood: { enabled: true, synsPerSecond: 100_000, halfOpenPercent: 90, windowSeconds: 1 },
  portScan: { enabled: true, distinctPorts: 1000, windowSeconds: 10 },
  heavyHitters: { enabled: true, topK: 10, intervalSeconds: 10 },
  cooldownSeconds: 10,
};

const ROUNDS = 2;
const LOOPS = 3;

async function compare(file: string): Promise<{ off: number; on: number }> {
  let off = 0;
  let on = 0;
  for (let round = 0; round < ROUNDS; round++) {
    off = Math.max(off, (await measureReplay(file, 1, LOOPS, 1 << 18)).totalPps);
    on = Math.max(on, (await measureReplay(file, 1, LOOPS, 1 << 18, BENCH_DETECTORS)).totalPps);
  }
  return { off, on };
}

export async function detectorsBench(): Promise<string> {
  const dir = path.join(packageRoot(), 'test', '.out', 'bench');
  mkdirSync(dir, { recursive: true });
  const mix = path.join(dir, 'mix-4000000-100000-7.pcap');
  const flood = path.join(dir, 'flood-2000000-11.pcap');
  if (!existsSync(mix) || statSync(mix).size === 0) writeBenchMix(mix, { packets: 4_000_000, concurrentFlows: 100_000, seed: 7 });
  if (!existsSync(flood) || statSync(flood).size === 0) writeBenchFlood(flood, { packets: 2_000_000, seed: 11 });
  const lines = [
    '### Detectors on vs off (replay, 1 worker, best of ' + ROUNDS + ' alternating runs each)',
    '',
    '| capture | Mpps off | Mpps on | on / off |',
    '| --- | --- | --- | --- |',
  ];
  for (const [name, file] of [['mix', mix], ['flood', flood]] as const) {
    process.stderr.write(`detectors: ${name} ...\n`);
    const r = await compare(file);
    lines.push(`| ${name} | ${(r.off / 1e6).toFixed(2)} | ${(r.on / 1e6).toFixed(2)} | ${(r.on / r.off).toFixed(2)} |`);
  }
  return lines.join('\n') + '\n';
}
