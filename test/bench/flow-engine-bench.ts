// `npm run bench`: the flow engine against its own baselines and peer tools,
// in one run on one machine (ratios, not absolute numbers, are what carry
// over between these shared, noisy machines). Prints a Markdown report and
// writes it to test/.out/bench/flow-engine.md.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { packageRoot } from '../../agent/engine/binding.js';
import { writeBenchFlood, writeBenchMix } from '../gen/bench.js';
import { baselineBench } from './baseline-bench.js';
import { fileEngineBench } from './file-engine-bench.js';
import { measureReplay, type ReplayResult } from './engine-replay.js';
import { peerRuns, timeCommand, type ToolRun } from './peer-tools.js';

const MIX = { packets: 4_000_000, concurrentFlows: 100_000, seed: 7 };
const FLOOD = { packets: 2_000_000, seed: 11 };
const LOOPS = 3;

function ensureCapture(file: string, write: () => void): void {
  if (existsSync(file) && statSync(file).size > 0) return;
  process.stderr.write(`generating ${path.basename(file)} ...\n`);
  write();
}

function mpps(x: number): string {
  return (x / 1e6).toFixed(2);
}

function replayRow(name: string, r: ReplayResult, base: ReplayResult): string {
  const perWorker = r.perWorkerPps.map(mpps).join(' / ');
  return `| ${name} | ${r.workers} | ${(r.packets / 1e6).toFixed(1)} M | ${perWorker} | ${mpps(r.totalPps)} | ${(r.totalPps / base.totalPps).toFixed(2)} |`;
}

function toolRow(run: ToolRun, packets: number, base: number): string {
  const pps = packets / run.seconds;
  return `| ${run.tool} | ${run.seconds.toFixed(2)} | ${run.ok ? mpps(pps) : 'failed'} | ${run.ok ? (pps / base).toFixed(3) : '-'} | ${run.note ?? ''} |`;
}

async function main(): Promise<void> {
  const root = packageRoot();
  const dir = path.join(root, 'test', '.out', 'bench');
  mkdirSync(dir, { recursive: true });
  const mix = path.join(dir, `mix-${MIX.packets}-${MIX.concurrentFlows}-${MIX.seed}.pcap`);
  const flood = path.join(dir, `flood-${FLOOD.packets}-${FLOOD.seed}.pcap`);
  ensureCapture(mix, () => writeBenchMix(mix, MIX));
  ensureCapture(flood, () => writeBenchFlood(flood, FLOOD));

  const mixFlows = 1 << 18; // room for the 100k concurrent flows at load factor < 0.5
  process.stderr.write('engine replay from memory ...\n');
  const m1 = await measureReplay(mix, 1, LOOPS, mixFlows);
  const m2 = await measureReplay(mix, 2, LOOPS, mixFlows);
  const f1 = await measureReplay(flood, 1, LOOPS, mixFlows);
  const f2 = await measureReplay(flood, 2, LOOPS, mixFlows);

  process.stderr.write('end to end and peer tools on the file ...\n');
  const tapline = path.join(root, 'bin', 'tapline.js');
  const e2e1 = timeCommand('tapline analyze (1 worker)', process.execPath, [tapline, 'analyze', '--no-progress', '-w', '1', '--max-flows', String(mixFlows), mix]);
  const e2e2 = timeCommand('tapline analyze (2 workers)', process.execPath, [tapline, 'analyze', '--no-progress', '-w', '2', '--max-flows', String(mixFlows), mix]);
  const peers = peerRuns(mix);
  const againstC = baselineBench([
    ['mix', mix],
    ['flood', flood],
  ]);
  const fileVsReplay = await fileEngineBench(
    [
      ['mix', mix],
      ['flood', flood],
    ],
    [1, 2],
  );
  const fileBase = MIX.packets / e2e1.seconds;

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const tsharkVersion = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? '';
  const lines = [
    `## Flow engine — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} x ${cpu}`,
    '',
    `Command: \`npm run bench\`. Mix: ${MIX.packets.toLocaleString('en-US')} packets, ~${MIX.concurrentFlows.toLocaleString('en-US')} concurrent flows, ${(statSync(mix).size / 2 ** 20).toFixed(0)} MiB. Flood: ${FLOOD.packets.toLocaleString('en-US')} packets, nearly every packet a new flow. Replay loops: ${LOOPS}.`,
    '',
    '### Engine from memory (replay source)',
    '',
    '| capture | workers | packets | Mpps per worker | Mpps total | ratio to mix/1 worker |',
    '| --- | --- | --- | --- | --- | --- |',
    replayRow('mix', m1, m1),
    replayRow('mix', m2, m1),
    replayRow('flood', f1, m1),
    replayRow('flood', f2, m1),
    '',
    `Flow-table memory: ${m1.bytesPerFlow.toFixed(0)} bytes per flow of capacity (flow state, hash buckets at load factor <= 0.5, free list, timer wheel), allocated at start; ${(m1.memoryBytes / 2 ** 20).toFixed(0)} MiB in all with the replay buffers.`,
    '',
    '### The same file end to end, against peer tools',
    '',
    `| tool | seconds | Mpps | ratio to tapline analyze (1 worker) | note |`,
    '| --- | --- | --- | --- | --- |',
    toolRow(e2e1, MIX.packets, fileBase),
    toolRow(e2e2, MIX.packets, fileBase),
    ...peers.map((p) => toolRow(p, MIX.packets, fileBase)),
    '',
    `Peer versions: ${tsharkVersion}`,
    '',
    againstC,
    fileVsReplay,
  ];
  const report = lines.join('\n');
  writeFileSync(path.join(dir, 'flow-engine.md'), report);
  process.stdout.write(report);
}

await main();
