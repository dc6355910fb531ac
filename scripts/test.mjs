// `npm test`: the whole suite, on a fresh machine too (set-up included).
//   1. set-up (system packages, npm packages, addon, TypeScript, the Go programs the tests run,
//      the container images the real-node tests run)
//   2. native unit tests (GoogleTest under ASan/UBSan, then under ThreadSanitizer, via ctest)
//   3. vitest: 'unit' (engine, capture, agent + NATS, CLI, Helm, images, peers, corpus) and 'cluster'
//      (operator, Helm install and the demo on a real control plane; real pods on real nodes) projects
//   4. the parser and capture-file fuzzers, briefly
// Ends with one line "N passed, N failed" over all of it.
import { readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

import { ensureBinaries } from './cluster/build.mjs';
import { ensureNodeTools } from './cluster/node-tools.mjs';
import { ensureImages } from './images/build.mjs';
import { ensureHelmTools } from './helm/tools.mjs';
import { ensureNatsTools } from './nats/tools.mjs';
import { setup } from './setup.mjs';
import { repoRoot, step } from './lib/run.mjs';

const results = [];

function stage(name, cmd, args, parse) {
  step(name);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: repoRoot, env: process.env });
  const ok = r.status === 0;
  const counts = parse?.() ?? { passed: ok ? 1 : 0, failed: ok ? 0 : 1 };
  if (!ok && counts.failed === 0) counts.failed = 1;
  results.push({ name, ok, ...counts });
}

function vitestCounts(file) {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8'));
    return { passed: j.numPassedTests ?? 0, failed: (j.numFailedTests ?? 0) + (j.numFailedTestSuites ?? 0) };
  } catch {
    return undefined;
  }
}

try {
  setup('test', 'nodes', 'images');
} catch (err) {
  process.stderr.write(`tapline test: set-up failed: ${err.message}\n`);
  process.exit(1);
}

// Go programs the tests run, built from the pinned modules once and cached outside the repository
// (~/.cache/tapline/<name>-bin/<hash>): one go build at a time, so shared packages compile once.
try {
  step('Go programs for the tests: control plane (etcd, Kubernetes, kwok), kubelet, containerd, nats-server, helm, kubeconform');
  const started = Date.now();
  const built = [
    ...(await ensureBinaries()).built, ...(await ensureNodeTools()).built, ...(await ensureNatsTools()).built, ...(await ensureHelmTools()).built,
  ];
  process.stderr.write(`  ${built.length ? `built ${built.join(', ')}` : 'all cached'} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
} catch (err) {
  process.stderr.write(`tapline test: building the Go programs failed: ${err.message}\n`);
  process.exit(1);
}

// The container images the real-node tests and the demo run (cached by a hash of their inputs).
try {
  step('container images: Debian base with Node.js, pause, agent, operator (buildah)');
  const started = Date.now();
  const images = await ensureImages();
  const built = Object.entries(images).filter(([, i]) => i.built).map(([n]) => n);
  process.stderr.write(`  ${built.length ? `built ${built.join(', ')}` : 'all cached'} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
} catch (err) {
  process.stderr.write(`tapline test: building the images failed: ${err.message}\n`);
  process.exit(1);
}

const out = path.join(repoRoot, 'test', '.out');
mkdirSync(out, { recursive: true });
const fuzzSeconds = process.env.TAPLINE_FUZZ_SECONDS ?? '20';

stage('native unit tests (GoogleTest, ASan+UBSan)', process.execPath, ['scripts/native-check.mjs', 'unit']);
stage('native unit tests (GoogleTest, ThreadSanitizer)', process.execPath, ['scripts/native-check.mjs', 'threads']);
const vitestJson = path.join(out, 'vitest.json');
stage(
  'vitest',
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`],
  () => vitestCounts(vitestJson),
);
stage(`fuzzers (${fuzzSeconds} s each)`, process.execPath, ['scripts/native-check.mjs', 'fuzz', '--seconds', fuzzSeconds]);

step('summary');
for (const r of results) process.stderr.write(`  ${r.ok ? 'ok  ' : 'FAIL'}  ${r.name}\n`);
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 && results.every((r) => r.ok) ? 0 : 1);
