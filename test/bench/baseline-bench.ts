// The engine per core against a plain C loop (`npm run bench`, after the flow
// engine): native/bench/baseline_loop.c (parse, canonical 5-tuple, one CRC32C,
// open-addressing table with prefetch; see its header for what it leaves out)
// and the engine's standalone replay bench, both built here with the same
// compiler and target flags, both from memory on one thread, run alternately
// ROUNDS times on the same captures. Reports the best of each and engine/C.
// Where the loop had to empty its table (more flows than MAX_FLOWS, the
// flood), the same loop with a table sized to keep every flow is timed in the
// same rounds too: the "plain table" the issue's own C figures came from (its
// flood ran at under half its mix speed), reported beside, never instead of,
// the loop that empties its table.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

import { packageRoot } from '../../agent/engine/binding.js';

const ROUNDS = 3;
const LOOPS = 3;
const MAX_FLOWS = 1 << 18;

export interface BaselineRow {
  capture: string;
  baselineMpps: number[];
  engineMpps: number[];
  /** Flows the C loop inserted, records the engine exported (a sanity check, not equal by design). */
  baselineFlows: number;
  engineRecords: number;
  /** The loop with a table that keeps every flow (only where the table above was emptied), and its size. */
  keepAllMpps: number[];
  keepAllFlows: number;
}

/** The smallest power of two from MAX_FLOWS up holding `flows` (the loop's table is twice that, load <= 0.5). */
function keepAllCapacity(flows: number): number {
  let c = MAX_FLOWS;
  while (c < flows) c *= 2;
  return c;
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${(r.stderr || r.stdout || '').trim().split('\n').slice(-5).join('\n')}`);
  return r.stdout;
}

/** Builds both standalone benches (Release, no addon) into native/build-bench; returns the directory. */
export function buildNativeBenches(): string {
  const root = packageRoot();
  const dir = path.join(root, 'native', 'build-bench');
  sh('cmake', ['-S', path.join(root, 'native'), '-B', dir, '-G', 'Ninja', '-DTAPLINE_ADDON=OFF', '-DTAPLINE_BENCH=ON', '-DCMAKE_BUILD_TYPE=Release']);
  sh('cmake', ['--build', dir, '--target', 'tapline_replay_bench', 'tapline_baseline_bench']);
  return dir;
}

function lastJson(out: string): Record<string, unknown> {
  const line = out.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as Record<string, unknown>;
}

export function compareWithBaseline(dir: string, captures: Array<[string, string]>): BaselineRow[] {
  const rows: BaselineRow[] = [];
  for (const [name, file] of captures) {
    const row: BaselineRow = {
      capture: name,
      baselineMpps: [],
      engineMpps: [],
      baselineFlows: 0,
      engineRecords: 0,
      keepAllMpps: [],
      keepAllFlows: 0,
    };
    const loop = (maxFlows: number) => lastJson(sh(path.join(dir, 'tapline_baseline_bench'), [file, String(LOOPS), String(maxFlows)]));
    // Inserts overcount flows when the table was emptied (a flow comes back after a clear):
    // one untimed run with room for all of them counts the distinct flows, which size the table.
    let keepAll = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const c = loop(MAX_FLOWS);
      const e = lastJson(sh(path.join(dir, 'tapline_replay_bench'), [file, '1', String(LOOPS), String(MAX_FLOWS)]));
      row.baselineMpps.push(Number(c.mpps));
      row.engineMpps.push(Number(e.totalMpps));
      row.baselineFlows = Number(c.flows);
      row.engineRecords = Number(e.records);
      if (Number(c.clears) > 0) {
        if (keepAll === 0) keepAll = keepAllCapacity(Number(loop(keepAllCapacity(row.baselineFlows)).flows));
        const k = loop(keepAll);
        if (Number(k.clears) !== 0) throw new Error(`${name}: the keep-every-flow loop emptied its table`);
        row.keepAllMpps.push(Number(k.mpps));
        row.keepAllFlows = Number(k.flows);
      }
    }
    rows.push(row);
  }
  return rows;
}

export function baselineMarkdown(rows: BaselineRow[]): string {
  const best = (xs: number[]) => Math.max(...xs);
  return [
    `### The engine per core against a plain C loop (${ROUNDS} alternating rounds, ${LOOPS} replays each, best of each)`,
    '',
    '| capture | C loop Mpps (runs) | engine Mpps (runs) | engine / C (best) | C flows inserted | engine records |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.capture} | ${best(r.baselineMpps).toFixed(2)} (${r.baselineMpps.map((x) => x.toFixed(2)).join(', ')}) | ${best(r.engineMpps).toFixed(2)} (${r.engineMpps.map((x) => x.toFixed(2)).join(', ')}) | ${(best(r.engineMpps) / best(r.baselineMpps)).toFixed(2)} | ${r.baselineFlows.toLocaleString('en-US')} | ${r.engineRecords.toLocaleString('en-US')} |`,
    ),
    '',
    ...keepAllMarkdown(rows),
  ].join('\n');
}

function keepAllMarkdown(rows: BaselineRow[]): string[] {
  const kept = rows.filter((r) => r.keepAllMpps.length > 0);
  if (kept.length === 0) return [];
  const best = (xs: number[]) => Math.max(...xs);
  return [
    'Where the loop above emptied its table, the same loop with a table that keeps every flow (same rounds; context, not the target\'s baseline):',
    '',
    '| capture | flows kept | C loop, every flow kept, Mpps (runs) | engine / that loop (best) |',
    '| --- | ---: | --- | ---: |',
    ...kept.map(
      (r) =>
        `| ${r.capture} | ${r.keepAllFlows.toLocaleString('en-US')} | ${best(r.keepAllMpps).toFixed(2)} (${r.keepAllMpps.map((x) => x.toFixed(2)).join(', ')}) | ${(best(r.engineMpps) / best(r.keepAllMpps)).toFixed(2)} |`,
    ),
    '',
  ];
}

export function baselineBench(captures: Array<[string, string]>): string {
  process.stderr.write('engine against the plain C loop ...\n');
  return baselineMarkdown(compareWithBaseline(buildNativeBenches(), captures));
}
