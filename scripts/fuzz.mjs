#!/usr/bin/env node
// `npm run fuzz -- --minutes N [--results FILE]`: long libFuzzer runs outside CI.
//
// Runs every harness in native/fuzz at once (one process each, all under the
// same wall clock of N minutes, via scripts/native-check.mjs fuzz), then reads
// each harness's libFuzzer log and corpus and writes a table to
// native/fuzz/RESULTS.md (executions, exec/s, coverage, features, corpus size,
// crashes). CI keeps its short runs (`npm test`: native-check fuzz --seconds 20).
//
// The corpora under native/build-fuzz/corpus/ grow across runs; a crash's
// input is kept in native/build-fuzz/artifacts/ (add it as a regression seed
// under native/fuzz/regressions/<harness>/ with its fix).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fuzzBuild = path.join(repoRoot, 'native', 'build-fuzz');

function usage(code) {
  console.error('usage: npm run fuzz -- --minutes N [--results FILE] [--note TEXT]');
  process.exit(code);
}

const opts = { minutes: 30, results: path.join(repoRoot, 'native', 'fuzz', 'RESULTS.md'), note: '' };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 1) {
  const a = argv[i];
  if (a === '--minutes') {
    opts.minutes = Number(argv[++i]);
    if (!(opts.minutes > 0)) usage(2);
  } else if (a === '--results') opts.results = path.resolve(argv[++i]);
  else if (a === '--note') opts.note = argv[++i] ?? '';
  else if (a === '-h' || a === '--help') usage(0);
  else {
    console.error(`unknown argument: ${a}`);
    usage(2);
  }
}

const harnesses = fs
  .readdirSync(path.join(repoRoot, 'native', 'fuzz'))
  .filter((f) => f.endsWith('_fuzz.cc'))
  .map((f) => f.slice(0, -'.cc'.length))
  .sort();
const seconds = Math.round(opts.minutes * 60);
const started = new Date();
console.log(`[fuzz] ${harnesses.length} harnesses (${harnesses.join(', ')}), ${seconds} s each, all at once`);

const code = await new Promise((resolve) => {
  const child = spawn(
    process.execPath,
    [path.join(repoRoot, 'scripts', 'native-check.mjs'), 'fuzz', '--seconds', String(seconds), '--jobs', String(harnesses.length)],
    { cwd: repoRoot, stdio: 'inherit' },
  );
  child.on('exit', (c, sig) => resolve(c ?? (sig ? 128 : 1)));
});

// One harness's figures from its libFuzzer log (-print_final_stats=1) and corpus directory.
function figures(name) {
  const logFile = path.join(fuzzBuild, 'logs', `${name}.log`);
  const text = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
  const stat = (key) => new RegExp(`^stat::${key}:\\s*(\\d+)`, 'm').exec(text)?.[1];
  const statusLines = text.split('\n').filter((l) => /^#\d+\s/.test(l));
  const last = statusLines.find((l) => l.includes('DONE')) ?? statusLines.at(-1) ?? '';
  const cov = /cov: (\d+)/.exec(last)?.[1];
  const ft = /ft: (\d+)/.exec(last)?.[1];
  const corp = /corp: (\d+)\/(\S+)/.exec(last);
  const corpusDir = path.join(fuzzBuild, 'corpus', name);
  const corpusFiles = fs.existsSync(corpusDir) ? fs.readdirSync(corpusDir) : [];
  const corpusBytes = corpusFiles.reduce((n, f) => n + fs.statSync(path.join(corpusDir, f)).size, 0);
  const artifacts = fs.existsSync(path.join(fuzzBuild, 'artifacts'))
    ? fs.readdirSync(path.join(fuzzBuild, 'artifacts')).filter((f) => f.startsWith(`${name}-`))
    : [];
  const crashed = /==\d+==ERROR|deadly signal|Test unit written to/.test(text);
  return {
    name,
    execs: stat('number_of_executed_units') ?? '?',
    execPerSec: stat('average_exec_per_sec') ?? '?',
    newUnits: stat('new_units_added') ?? '?',
    peakRss: stat('peak_rss_mb') ?? '?',
    cov: cov ?? '?',
    ft: ft ?? '?',
    corpusRun: corp ? `${corp[1]} (${corp[2]})` : '?',
    corpusDir: `${corpusFiles.length} files, ${(corpusBytes / 1024).toFixed(0)} KiB`,
    crashes: crashed ? `yes: ${artifacts.join(', ') || 'see log'}` : 'none',
  };
}

const rows = harnesses.map(figures);
const ended = new Date();
const cpu = os.cpus();
const header = [
  `## ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC — ${opts.minutes} min per harness, all at once`,
  '',
  `Command: \`nice -n 19 npm run fuzz -- --minutes ${opts.minutes}\` (exit ${code}; ${((ended - started) / 60000).toFixed(1)} min wall clock including the build).`,
  `Machine: ${cpu.length} × ${cpu[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB${opts.note ? `; ${opts.note}` : ''}.`,
  '',
  '| harness | executions | exec/s | cov (edges) | ft (features) | corpus at end (units, bytes) | corpus dir | new units | peak RSS MB | crashes |',
  '| --- | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | --- |',
  ...rows.map((r) => `| ${r.name} | ${r.execs} | ${r.execPerSec} | ${r.cov} | ${r.ft} | ${r.corpusRun} | ${r.corpusDir} | ${r.newUnits} | ${r.peakRss} | ${r.crashes} |`),
  '',
].join('\n');

const intro = [
  '# Long fuzzing runs',
  '',
  'Each libFuzzer harness in `native/fuzz` run for a long wall-clock time outside CI',
  '(`npm run fuzz -- --minutes N`; CI keeps `native-check fuzz --seconds 20`). Newest first.',
  'Corpora grow across runs in `native/build-fuzz/corpus/<harness>`.',
  '',
  '',
].join('\n');
const previous = fs.existsSync(opts.results) ? fs.readFileSync(opts.results, 'utf8').replace(intro, '') : '';
fs.writeFileSync(opts.results, `${intro}${header}\n${previous.trimStart()}`);
console.log(header);
console.log(`[fuzz] results written to ${path.relative(repoRoot, opts.results)}`);
process.exitCode = code;
