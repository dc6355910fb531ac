#!/usr/bin/env node
// Native engine checks without the Node addon.
//
//   node scripts/native-check.mjs unit [--jobs N]
//     configures native/build-test (GoogleTest, ASan + UBSan), builds it and runs ctest.
//   node scripts/native-check.mjs threads [--jobs N]
//     the same tests built with ThreadSanitizer into native/build-tsan (the engine's
//     threads: rings, file blocks, detector ticks); any race report fails the run.
//   node scripts/native-check.mjs fuzz [--seconds N] [--jobs N]
//     builds the libFuzzer harnesses with clang into native/build-fuzz, seeds
//     their corpora from ../shared/pcaps, and runs each for N seconds (default 20).
//
// Exits non-zero when a step fails: a configure or build error, a failing
// test, a sanitizer report, or a fuzzer crash (its input is kept under
// native/build-fuzz/artifacts/).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { seedCorpora } from '../native/fuzz/seed-corpus.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = path.join(repoRoot, 'native');
const testBuild = path.join(nativeDir, 'build-test');
const tsanBuild = path.join(nativeDir, 'build-tsan');
const fuzzBuild = path.join(nativeDir, 'build-fuzz');
const captureDir = path.resolve(repoRoot, '..', 'shared', 'pcaps');

// Sanitizer reports fail the run (UBSan and TSan only print by default).
const SANITIZER_ENV = {
  ASAN_OPTIONS: 'detect_leaks=1',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
  TSAN_OPTIONS: 'halt_on_error=1:second_deadlock_stack=1',
};

// -max_len per harness: one packet for the parser, a short capture for the others.
const MAX_LEN = { parser_fuzz: 2048, flow_fuzz: 16384, capture_file_fuzz: 16384 };
const SEEDS_FOR = { parser_fuzz: 'parser', flow_fuzz: 'flow', capture_file_fuzz: 'file' };

class CheckFailed extends Error {}

function log(msg) {
  console.log(`[native-check] ${msg}`);
}

function usage(code) {
  console.error('usage: node scripts/native-check.mjs unit|threads [--jobs N]');
  console.error('       node scripts/native-check.mjs fuzz [--seconds N] [--jobs N]');
  process.exit(code);
}

function parseArgs(argv) {
  const [command, ...rest] = argv;
  const opts = { command, seconds: 20, jobs: Math.max(1, os.availableParallelism?.() ?? os.cpus().length) };
  for (let i = 0; i < rest.length; i += 1) {
    const arg = rest[i];
    const value = () => {
      const v = Number(rest[++i]);
      if (!Number.isInteger(v) || v <= 0) {
        console.error(`${arg} needs a positive integer`);
        usage(2);
      }
      return v;
    };
    if (arg === '--seconds' && command === 'fuzz') opts.seconds = value();
    else if (arg === '--jobs') opts.jobs = value();
    else if (arg === '--help' || arg === '-h') usage(0);
    else {
      console.error(`unknown argument: ${arg}`);
      usage(2);
    }
  }
  if (command !== 'unit' && command !== 'threads' && command !== 'fuzz') usage(command ? 2 : 0);
  return opts;
}

function have(tool) {
  return spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
}

// Runs a command with inherited output; rejects with CheckFailed on a non-zero exit.
function run(what, cmd, args, { env = {}, cwd = repoRoot } = {}) {
  log(`${what}: ${cmd} ${args.join(' ')}`);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: 'inherit' });
    child.on('error', (err) => reject(new CheckFailed(`${what}: cannot run ${cmd}: ${err.message}`)));
    child.on('exit', (code, signal) => {
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      if (code === 0) {
        log(`${what}: ok (${secs} s)`);
        resolve();
      } else {
        reject(new CheckFailed(`${what}: failed (${signal ? `signal ${signal}` : `exit ${code}`}, ${secs} s)`));
      }
    });
  });
}

// A build directory configured with another compiler (or generator) is reset
// rather than reused: CMake ignores CC/CXX once a cache exists.
function resetIfStale(buildDir, { compiler, generator }) {
  const cache = path.join(buildDir, 'CMakeCache.txt');
  if (!fs.existsSync(cache)) return;
  const text = fs.readFileSync(cache, 'utf8');
  const cxx = /^CMAKE_CXX_COMPILER:\w+=(.*)$/m.exec(text)?.[1] ?? '';
  const gen = /^CMAKE_GENERATOR:\w+=(.*)$/m.exec(text)?.[1] ?? '';
  const staleCompiler = compiler && !path.basename(cxx).startsWith(compiler);
  const staleGenerator = generator && gen !== generator;
  if (staleCompiler || staleGenerator) {
    log(`resetting ${path.relative(repoRoot, buildDir)} (configured with ${cxx || '?'} / ${gen || '?'})`);
    fs.rmSync(path.join(buildDir, 'CMakeCache.txt'), { force: true });
    fs.rmSync(path.join(buildDir, 'CMakeFiles'), { recursive: true, force: true });
  }
}

async function configureAndBuild(what, buildDir, defines, { jobs, env = {}, compiler } = {}) {
  if (!have('cmake')) throw new CheckFailed('cmake is not installed');
  const generator = have('ninja') ? 'Ninja' : undefined;
  resetIfStale(buildDir, { compiler, generator });
  const genArgs = generator ? ['-G', generator] : [];
  await run(`${what} configure`, 'cmake', ['-S', nativeDir, '-B', buildDir, ...genArgs, ...defines], { env });
  await run(`${what} build`, 'cmake', ['--build', buildDir, '--parallel', String(jobs)], { env });
}

// The GoogleTest suite built with `sanitizer` (the CMake option) into `buildDir`, run by ctest.
async function unitWith(what, buildDir, sanitizer, { jobs }) {
  await configureAndBuild(what, buildDir, ['-DTAPLINE_ADDON=OFF', '-DTAPLINE_TESTS=ON', `-D${sanitizer}=ON`, '-DTAPLINE_FUZZ=OFF'], {
    jobs,
  });
  await run(`${what} ctest`, 'ctest', ['--test-dir', buildDir, '--output-on-failure', '--parallel', String(jobs)], {
    env: SANITIZER_ENV,
  });
}

const unit = (opts) => unitWith('unit', testBuild, 'TAPLINE_SANITIZE', opts);
const threads = (opts) => unitWith('threads', tsanBuild, 'TAPLINE_TSAN', opts);

// The libFuzzer "#N DONE cov: ..." line (or the last status line) of a log.
function fuzzSummary(text) {
  const lines = text.split('\n').filter((l) => /^#\d+\s/.test(l));
  return (lines.find((l) => l.includes('DONE')) ?? lines.at(-1) ?? '').replace(/\s+/g, ' ').trim();
}

function runFuzzer(name, { seconds, seedDir }) {
  const bin = path.join(fuzzBuild, name);
  const corpus = path.join(fuzzBuild, 'corpus', name); // grows across local runs
  const artifacts = path.join(fuzzBuild, 'artifacts');
  const logFile = path.join(fuzzBuild, 'logs', `${name}.log`);
  for (const d of [corpus, artifacts, path.dirname(logFile)]) fs.mkdirSync(d, { recursive: true });
  const args = [
    `-max_total_time=${seconds}`,
    `-max_len=${MAX_LEN[name] ?? 4096}`,
    '-timeout=10',
    '-rss_limit_mb=2048',
    '-print_final_stats=1',
    `-artifact_prefix=${artifacts}${path.sep}${name}-`,
    corpus,
  ];
  if (seedDir && fs.existsSync(seedDir)) args.push(seedDir);
  const seeds = seedDir && fs.existsSync(seedDir) ? fs.readdirSync(seedDir).length : 0;
  log(`fuzz ${name}: ${seconds} s, max_len ${MAX_LEN[name] ?? 4096}, ${seeds} seeds (log: ${path.relative(repoRoot, logFile)})`);
  return new Promise((resolve) => {
    const out = fs.openSync(logFile, 'w');
    const child = spawn(bin, args, { cwd: fuzzBuild, env: { ...process.env, ...SANITIZER_ENV }, stdio: ['ignore', out, out] });
    // libFuzzer stops itself; this only catches a harness stuck outside its checks.
    const watchdog = setTimeout(() => child.kill('SIGKILL'), (seconds + 120) * 1000);
    const progress = setInterval(() => log(`fuzz ${name}: ${fuzzSummary(fs.readFileSync(logFile, 'utf8')) || 'starting'}`), 10000);
    child.on('error', (err) => {
      clearTimeout(watchdog);
      clearInterval(progress);
      fs.closeSync(out);
      resolve({ name, ok: false, detail: `cannot run ${bin}: ${err.message}` });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(watchdog);
      clearInterval(progress);
      fs.closeSync(out);
      const text = fs.readFileSync(logFile, 'utf8');
      if (code === 0) {
        resolve({ name, ok: true, detail: fuzzSummary(text) });
        return;
      }
      const crash = /Test unit written to (\S+)/.exec(text)?.[1];
      const tail = text.split('\n').filter((l) => !/^#\d+\s/.test(l)).slice(-40).join('\n');
      console.error(tail);
      resolve({
        name,
        ok: false,
        detail: `${signal ? `killed (${signal})` : `exit ${code}`}${crash ? `, crashing input: ${path.relative(repoRoot, crash)}` : ''}; reproduce: ${path.relative(repoRoot, bin)} <input>`,
      });
    });
  });
}

async function fuzz({ seconds, jobs }) {
  if (!have('clang') || !have('clang++')) throw new CheckFailed('fuzzing needs clang and clang++ (with libFuzzer: libclang-rt-dev)');
  await configureAndBuild('fuzz', fuzzBuild, ['-DTAPLINE_ADDON=OFF', '-DTAPLINE_FUZZ=ON', '-DTAPLINE_TESTS=OFF', '-DTAPLINE_SANITIZE=OFF'], {
    jobs,
    env: { CC: 'clang', CXX: 'clang++' },
    compiler: 'clang++',
  });

  const seedRoot = path.join(fuzzBuild, 'seeds');
  if (fs.existsSync(captureDir)) {
    const counts = seedCorpora({ captureDir, outDir: seedRoot, maxLen: { parser: MAX_LEN.parser_fuzz, flow: MAX_LEN.flow_fuzz, file: MAX_LEN.capture_file_fuzz } });
    log(`seeds from ${counts.captures} captures in ${captureDir}: parser ${counts.parser}, flow ${counts.flow}, file ${counts.file}`);
  } else {
    log(`warning: ${captureDir} not found: fuzzing without seeds`);
  }

  const harnesses = fs
    .readdirSync(path.join(nativeDir, 'fuzz'))
    .filter((f) => f.endsWith('_fuzz.cc'))
    .map((f) => f.slice(0, -'.cc'.length))
    .sort();
  if (harnesses.length === 0) throw new CheckFailed('no fuzz harnesses in native/fuzz');
  // One fuzzer per core at a time; each gets the full N seconds.
  const results = [];
  const queue = [...harnesses];
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const kind = SEEDS_FOR[name];
      results.push(await runFuzzer(name, { seconds, seedDir: kind ? path.join(seedRoot, kind) : undefined }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, harnesses.length) }, worker));
  results.sort((a, b) => a.name.localeCompare(b.name));
  for (const r of results) log(`fuzz ${r.name}: ${r.ok ? 'ok' : 'FAILED'} - ${r.detail}`);
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) throw new CheckFailed(`${failed.length} of ${results.length} fuzzers failed: ${failed.map((r) => r.name).join(', ')}`);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  try {
    if (opts.command === 'unit') await unit(opts);
    else if (opts.command === 'threads') await threads(opts);
    else await fuzz(opts);
    log(`${opts.command}: passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } catch (err) {
    if (!(err instanceof CheckFailed)) throw err;
    log(`${opts.command}: FAILED - ${err.message}`);
    process.exitCode = 1;
  }
}

await main();
