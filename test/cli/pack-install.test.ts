// The package as a new user gets it: `npm pack` (its prepare script compiles the TypeScript), then
// `npm install ./tapline-<version>.tgz` in an empty directory (the install script builds the
// native addon there, finding cmake-js where npm installed it), then `npx tapline` runs --help,
// `analyze` of a generated capture, `agent --check` of a valid config and `operator --help`.
//
// The tarball is packed from a copy of the working tree's source files (git's tracked and untracked,
// not ignored: what a fresh checkout with these changes holds), so packing neither reads this
// checkout's dist/ nor rewrites it under other tests. Dependencies come from the registry through
// npm's usual cache. Minutes: the addon compiles during the install (2-4 min on two cores).
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../agent/engine/binding.js';
import { parseJsonLines } from '../../agent/engine/flow-record.js';
import { agentConfig, writeConfig } from '../agent/support/agent-config.js';
import { writeCaptureFile } from '../gen/capture-writer.js';
import { diffRecords, expectFlows } from '../gen/flow-model.js';
import { LINKTYPE_ETHERNET } from '../gen/packets.js';
import { buildMixedCapture } from '../gen/scenarios.js';
import { tapline } from '../support/cli.js';

const root = packageRoot();
const PACK_TIMEOUT_MS = 10 * 60_000;
const INSTALL_TIMEOUT_MS = 20 * 60_000;
const RUN_TIMEOUT_MS = 120_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command (not blocking this worker's event loop for minutes); resolves with its output. */
function sh(cmd: string, args: string[], cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = npmEnv()): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * This process's environment without what an enclosing npm run sets for its own package (this
 * suite may run under `npm test`): the lifecycle and package variables would describe the wrong
 * package to the npm started here. The user's npm configuration (npm_config_*: cache, registry,
 * proxy CA) stays, except an inherited ignore-scripts.
 */
function npmEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_(lifecycle_|package_|command$|config_ignore_scripts$)/i.test(k) || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra };
}

const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-8000)}`;

/** The working tree's source files as git lists them (tracked and untracked, not ignored), existing ones. */
function sourceFiles(): string[] {
  const r = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`git ls-files failed: ${r.stderr}`);
  return r.stdout.split('\0').filter((f) => f && existsSync(path.join(root, f)) && !f.startsWith('node_modules'));
}

let work: string;
let tarball: string;
let app: string;
let installSeconds = 0;
/** `npx tapline ARGS` in the project that installed the tarball: its node_modules/.bin, never the registry (--no). */
const npxArgs = (args: string[]) => ['--no', '--', 'tapline', ...args];
const npx = (args: string[], env?: NodeJS.ProcessEnv) => sh('npx', npxArgs(args), app, RUN_TIMEOUT_MS, env);

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'tapline-pack-'));
  const src = path.join(work, 'src');
  for (const f of sourceFiles()) {
    mkdirSync(path.dirname(path.join(src, f)), { recursive: true });
    copyFileSync(path.join(root, f), path.join(src, f));
  }
  // prepare (tsc) runs with the checkout's devDependencies, as in a checkout after `npm ci`.
  symlinkSync(path.join(root, 'node_modules'), path.join(src, 'node_modules'));

  const t0 = Date.now();
  const pack = await sh('npm', ['pack', '--pack-destination', work], src, PACK_TIMEOUT_MS);
  expect(pack.code, show(pack)).toBe(0);
  const tgz = readdirSync(work).filter((f) => f.endsWith('.tgz'));
  expect(tgz).toHaveLength(1);
  tarball = path.join(work, tgz[0]!);
  process.stderr.write(`[pack-install] npm pack (prepare: tsc) ${((Date.now() - t0) / 1000).toFixed(0)} s: ${tgz[0]}\n`);

  app = path.join(work, 'app');
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'tapline-install-check', version: '1.0.0', private: true }, null, 2));
  const t1 = Date.now();
  const install = await sh('npm', ['install', '--prefer-offline', '--ignore-scripts=false', tarball], app, INSTALL_TIMEOUT_MS);
  installSeconds = (Date.now() - t1) / 1000;
  expect(install.code, show(install)).toBe(0);
  process.stderr.write(`[pack-install] npm install of the tarball (native addon built) ${installSeconds.toFixed(0)} s\n`);
}, PACK_TIMEOUT_MS + INSTALL_TIMEOUT_MS);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('packs the compiled CLI, agent and operator, the addon sources and the install script; no tests, no source maps', () => {
    const r = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const files = r.stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
    for (const f of [
      'package.json', 'bin/tapline.js', 'dist/cli/main.js', 'dist/agent/index.js', 'dist/operator/index.js', 'dist/operator/main.js',
      'scripts/build-native.mjs', 'scripts/lib/run.mjs', 'scripts/lib/system-packages.mjs', 'CMakeLists.txt', 'native/CMakeLists.txt',
      'agent/schemas/flow-record.v1.json', 'crds/tapline.dev_snifferpolicies.yaml',
    ]) expect(files, f).toContain(f);
    expect(files.filter((f) => /\.test\.js$|\.map$|^test\/|^dist\/test\/|\.ts$/.test(f))).toEqual([]);
  });
});

describe('the installed package (npm install ./tapline-<version>.tgz in an empty directory)', () => {
  it('built its native addon during the install', () => {
    expect(existsSync(path.join(app, 'node_modules', 'tapline', 'build', 'Release', 'tapline_native.node'))).toBe(true);
  });

  it('`npx tapline --help` lists the commands', async () => {
    const r = await npx(['--help']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/^usage: tapline <command> \[options\]\n/);
    for (const c of ['analyze FILE', 'capture', 'agent', 'operator']) expect(r.stdout).toContain(`\n  ${c} `);
    expect(r.stderr).not.toMatch(/tapline/); // npm may warn; tapline says nothing
  }, RUN_TIMEOUT_MS);

  it('`npx tapline analyze FILE` writes the flow records of a generated capture, the same as this checkout does', async () => {
    const capture = buildMixedCapture(14);
    const file = path.join(work, 'mixed.pcap');
    writeCaptureFile(file, capture.frames, { precision: capture.precision, linktype: LINKTYPE_ETHERNET });
    const r = await npx(['analyze', file, '--format', 'jsonl', '--no-progress']);
    expect(r.code, show(r)).toBe(0);
    const records = parseJsonLines(r.stdout);
    expect(records.length).toBeGreaterThan(10);
    expect(diffRecords(records, expectFlows(capture))).toEqual([]);
    const here = await tapline(['analyze', file, '--format', 'jsonl', '--no-progress']);
    expect(here.code, here.stderr).toBe(0);
    expect(records).toEqual(parseJsonLines(here.stdout));
  }, RUN_TIMEOUT_MS);

  it('`npx tapline agent --config F --check` accepts a valid agent config', async () => {
    const pcap = path.join(work, 'check.pcap');
    const capture = buildMixedCapture(3);
    writeCaptureFile(pcap, capture.frames, { precision: capture.precision, linktype: LINKTYPE_ETHERNET });
    const config = writeConfig(path.join(work, 'agent.json'), agentConfig('nats://127.0.0.1:4222', pcap, 9464));
    const r = await npx(['agent', '--config', config, '--check'], npmEnv({ NODE_NAME: 'node-a' }));
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toBe(`${config}: config OK (policy test-ns/test-policy, node node-a)\n`);
    expect(r.stderr).not.toMatch(/tapline/);
  }, RUN_TIMEOUT_MS);

  it('`npx tapline operator --help` runs (the operator is in the package)', async () => {
    const r = await npx(['operator', '--help']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/^usage: tapline operator/);
    expect(r.stdout).toContain('--watch-namespaces');
  }, RUN_TIMEOUT_MS);
});
