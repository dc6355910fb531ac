// `tapline analyze`'s engine against the replay engine with the same workers
// (`npm run bench`, after the flow engine): the standalone replay bench runs a
// one-loop replay from memory and the file source (the reader frames, any
// thread parses a block, each worker accounts its packets; engine/file_blocks.h)
// alternately ROUNDS times, each timed from start to the last record. Also the
// reader alone (read, frame, copy: the most a file run can take in) on the
// plain captures and on a gzip copy (zlib's inflate on the one reader thread).
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, renameSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

import { buildNativeBenches } from './baseline-bench.js';

const ROUNDS = 3;
const MAX_FLOWS = 1 << 18;

export interface FileEngineRow {
  capture: string;
  workers: number;
  replayMpps: number;
  fileMpps: number;
}

/** Runs the bench and returns the named numbers of its last JSON line. */
function run<K extends string>(bin: string, args: string[], keys: K[]): Record<K, number> {
  const r = spawnSync(bin, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')}: exit ${r.status}: ${(r.stderr || '').trim()}`);
  const last = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
  const out = {} as Record<K, number>;
  for (const k of keys) {
    if (typeof last[k] !== 'number') throw new Error(`${bin} ${args.join(' ')}: no ${k} in ${JSON.stringify(last)}`);
    out[k] = last[k];
  }
  return out;
}

export function compareFileWithReplay(dir: string, captures: Array<[string, string]>, workers: number[]): FileEngineRow[] {
  const bin = path.join(dir, 'tapline_replay_bench');
  const rows: FileEngineRow[] = [];
  for (const [capture, file] of captures) {
    for (const w of workers) {
      const r = run(bin, [file, String(w), '1', String(MAX_FLOWS), `--compare-file=${ROUNDS}`], ['bestReplayMpps', 'bestFileMpps']);
      rows.push({ capture, workers: w, replayMpps: r.bestReplayMpps, fileMpps: r.bestFileMpps });
    }
  }
  return rows;
}

export function readerAloneMpps(dir: string, file: string): number {
  return run(path.join(dir, 'tapline_replay_bench'), [file, '--frame-only'], ['frameOnlyMpps']).frameOnlyMpps;
}

async function gzipCopy(file: string): Promise<string> {
  const gz = `${file}.gz`;
  if (existsSync(gz)) return gz;
  await pipeline(createReadStream(file), createGzip({ level: 1 }), createWriteStream(`${gz}.partial`));
  renameSync(`${gz}.partial`, gz);
  return gz;
}

export async function fileEngineBench(captures: Array<[string, string]>, workers: number[]): Promise<string> {
  process.stderr.write('the file engine against the replay engine ...\n');
  const dir = buildNativeBenches();
  const rows = compareFileWithReplay(dir, captures, workers);
  const reader: Array<[string, number]> = [];
  for (const [name, file] of captures) {
    reader.push([name, readerAloneMpps(dir, file)]);
    reader.push([`${name} (gzip -1)`, readerAloneMpps(dir, await gzipCopy(file))]);
  }
  return [
    `### The engine on a file against the engine from memory (${ROUNDS} alternating rounds, best of each, one replay loop)`,
    '',
    '| capture | workers | replay Mpps | file Mpps | file / replay |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.capture} | ${r.workers} | ${r.replayMpps.toFixed(2)} | ${r.fileMpps.toFixed(2)} | ${(r.fileMpps / r.replayMpps).toFixed(2)} |`),
    '',
    'The reader alone (read, frame, copy into blocks; no parsing), best of 3: the most packets per second a file run can take in.',
    '',
    '| capture | reader Mpps |',
    '| --- | ---: |',
    ...reader.map(([name, mpps]) => `| ${name} | ${mpps.toFixed(2)} |`),
    '',
  ].join('\n');
}
