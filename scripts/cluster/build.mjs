#!/usr/bin/env node
// Builds (once) the control-plane binaries pinned in test/cluster/tools/go.mod and prints where
// they are. Binaries live outside the repo in <cache>/cluster-bin/<key>/, where <key> hashes
// go.mod, go.sum, the Go version and the build flags: a second run finds them and returns at once.
//
//   node scripts/cluster/build.mjs            build what is missing, print the binary paths
//   node scripts/cluster/build.mjs --json     same, as JSON
//   node scripts/cluster/build.mjs --only kube-apiserver,etcd
//   node scripts/cluster/build.mjs --print-dir
//
// Env: TAPLINE_CACHE_DIR (cache root), GO (go binary), TAPLINE_BUILD_TIMEOUT_S (default 5400),
//      TAPLINE_BUILD_VERBOSE=1 (stream go's output).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  findGo, goBuildEnv, goOutputName, pruneOldBuilds, runLogged, toolsBinDir, withDirLock,
} from '../lib/go-tools.mjs';
import { toolsDir } from './paths.mjs';
import { tailOfFile } from './util.mjs';

/** Every binary of the harness: name -> Go package (a `tool` in test/cluster/tools/go.mod). */
export const COMPONENTS = Object.freeze({
  etcd: { pkg: 'go.etcd.io/etcd/server/v3', module: 'go.etcd.io/etcd/server/v3' },
  'kube-apiserver': { pkg: 'k8s.io/kubernetes/cmd/kube-apiserver', module: 'k8s.io/kubernetes' },
  'kube-controller-manager': { pkg: 'k8s.io/kubernetes/cmd/kube-controller-manager', module: 'k8s.io/kubernetes' },
  'kube-scheduler': { pkg: 'k8s.io/kubernetes/cmd/kube-scheduler', module: 'k8s.io/kubernetes' },
  kwok: { pkg: 'sigs.k8s.io/kwok/cmd/kwok', module: 'sigs.k8s.io/kwok' },
  kubectl: { pkg: 'k8s.io/kubernetes/cmd/kubectl', module: 'k8s.io/kubernetes' },
  // Real nodes (scripts/cluster/real-node.mjs): built on demand, not by ensureBinaries() without names.
  kubelet: { pkg: 'k8s.io/kubernetes/cmd/kubelet', module: 'k8s.io/kubernetes' },
});

/** What `up` needs; kubectl is only a convenience for people and tests. */
export const CLUSTER_COMPONENTS = Object.freeze(
  ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'],
);

// -s -w: no symbol table / DWARF: binaries 30% smaller and the link takes ~40% less CPU
// (measured: same wall time on an idle machine); nobody debugs these with delve here.
// -X ...version.*: what Kubernetes' own build (hack/lib/version.sh) stamps in. Without it the
// API server reports v0.0.0-master+$Format:%H$ from /version, which breaks version checks
// (kubectl version, Helm kubeVersion, client version gates).
function ldflags() {
  const v = pinnedVersions()['k8s.io/kubernetes'];
  const m = /^v(\d+)\.(\d+)\.\d+/.exec(v ?? '');
  if (!m) throw new BuildError(`cannot read the k8s.io/kubernetes version from test/cluster/tools/go.mod (got ${v})`);
  const vars = { gitVersion: v, gitMajor: m[1], gitMinor: m[2], gitTreeState: 'clean' };
  const x = Object.entries(vars).flatMap(([k, val]) => ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].map((pkg) => `-X ${pkg}.${k}=${val}`));
  return ['-s', '-w', ...x].join(' ');
}

export { findGo };

function goVersionOf(go) {
  return spawnSync(go, ['env', 'GOVERSION'], { encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local' } }).stdout.trim();
}

export class BuildError extends Error {
  constructor(message, { components, logPath, cause } = {}) {
    super(message, { cause });
    this.name = 'BuildError';
    this.components = components;
    this.logPath = logPath;
  }
}
export const isBuildError = (e) => e instanceof Error && e.name === 'BuildError';

/** Versions pinned in go.mod, for display: { 'k8s.io/kubernetes': 'v1.37.2', ... }. */
export function pinnedVersions() {
  const gomod = readFileSync(join(toolsDir, 'go.mod'), 'utf8');
  const out = {};
  for (const { module } of Object.values(COMPONENTS)) {
    const m = gomod.match(new RegExp(`^\\s*${module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\s+(v\\S+)`, 'm'));
    if (m) out[module] = m[1];
  }
  return out;
}

/** The cache directory for the current pins; computing it runs `go env` once (tens of ms). */
export function binDir({ go = findGo() } = {}) {
  return toolsBinDir({ label: 'cluster', moduleDir: toolsDir, ldflags: ldflags(), go });
}

/**
 * Makes sure the named binaries exist; builds the missing ones in one `go build` (shared
 * packages compile once). Returns { dir, bins: { name: path }, built: [names], seconds }.
 */
export async function ensureBinaries(names = Object.keys(COMPONENTS), { log = (m) => process.stderr.write(`${m}\n`), verbose = process.env.TAPLINE_BUILD_VERBOSE === '1' } = {}) {
  for (const n of names) if (!COMPONENTS[n]) throw new BuildError(`unknown component '${n}' (known: ${Object.keys(COMPONENTS).join(', ')})`);
  const go = findGo();
  const dir = binDir({ go });
  const bins = Object.fromEntries(names.map((n) => [n, join(dir, n)]));
  const stagesPath = join(dir, KWOK_STAGES);
  const needStages = names.includes('kwok');
  const missingNow = () => names.filter((n) => !existsSync(bins[n]));
  const done = () => ({ dir, bins, kwokStages: needStages ? stagesPath : undefined });
  if (missingNow().length === 0 && (!needStages || existsSync(stagesPath))) return { ...done(), built: [], seconds: 0 };

  mkdirSync(dir, { recursive: true });
  const timeoutMs = Number(process.env.TAPLINE_BUILD_TIMEOUT_S || 5400) * 1000;
  return withDirLock(dir, async () => {
    if (needStages && !existsSync(stagesPath)) writeKwokStages(go, stagesPath);
    const missing = missingNow(); // another process may have built them meanwhile
    if (missing.length === 0) return { ...done(), built: [], seconds: 0 };
    const versions = pinnedVersions();
    const what = missing.map((n) => `${n} (${COMPONENTS[n].module} ${versions[COMPONENTS[n].module] ?? '?'})`).join(', ');
    log(`building ${what}\n  into ${dir}\n  (cold on 2 cores this takes many minutes; later runs reuse it)`);
    // Leftovers of a build that was killed (we hold the lock: nobody else is writing).
    for (const e of readdirSync(dir)) if (e.startsWith('.tmp-')) rmSync(join(dir, e), { recursive: true, force: true });
    const tmp = join(dir, `.tmp-${process.pid}`);
    mkdirSync(tmp, { recursive: true });
    const logPath = join(dir, 'build.log');
    const started = Date.now();
    const args = ['build', '-trimpath', `-ldflags=${ldflags()}`, '-o', `${tmp}/`, ...missing.map((n) => COMPONENTS[n].pkg)];
    // A heartbeat, so a CI log does not look hung during a cold build.
    const beat = setInterval(() => log(`  still building (${((Date.now() - started) / 1000).toFixed(0)}s)`), 60_000);
    let code;
    try {
      code = await runLogged(go, args, { cwd: toolsDir, env: goBuildEnv(), logPath, verbose, timeoutMs });
    } finally {
      clearInterval(beat);
    }
    const seconds = (Date.now() - started) / 1000;
    if (code !== 0) {
      // go build links every binary whose packages compiled: the missing ones are the failures.
      const failed = missing.filter((n) => !existsSync(join(tmp, goOutputName(COMPONENTS[n].pkg))));
      const names2 = failed.length ? failed : missing;
      rmSync(tmp, { recursive: true, force: true });
      throw new BuildError(
        `building ${names2.join(', ')} failed (${code === null ? 'timed out' : `go build exit ${code}`} after ${seconds.toFixed(0)}s)\n` +
        `--- last lines of ${logPath} ---\n${tailOfFile(logPath, 40)}`,
        { components: names2, logPath },
      );
    }
    for (const n of missing) {
      const from = join(tmp, goOutputName(COMPONENTS[n].pkg));
      if (!existsSync(from)) throw new BuildError(`go build succeeded but produced no binary for ${n} (${from})`, { components: [n], logPath });
      renameSync(from, bins[n]);
    }
    rmSync(tmp, { recursive: true, force: true });
    writeFileSync(join(dir, 'versions.json'), `${JSON.stringify({ go: goVersionOf(go), ...versions }, null, 2)}\n`);
    log(`built ${missing.join(', ')} in ${seconds.toFixed(0)}s`);
    pruneOldBuilds(dir, log);
    return { ...done(), built: missing, seconds };
  }, timeoutMs);
}

// kwok run on its own (not through kwokctl) needs its Stage objects in a config file. These are
// the defaults kwokctl uses (node-initialize, node-heartbeat-with-lease, pod-ready, pod-complete,
// pod-delete), taken from the pinned kwok module so they always match the binary.
export const KWOK_STAGES = 'kwok-stages.yaml';
const KWOK_STAGE_FILES = [
  'kustomize/stage/node/fast/node-initialize.yaml',
  'kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
  'kustomize/stage/pod/fast/pod-ready.yaml',
  'kustomize/stage/pod/fast/pod-complete.yaml',
  'kustomize/stage/pod/fast/pod-delete.yaml',
];

function writeKwokStages(go, outPath) {
  const env = goBuildEnv();
  const r = spawnSync(go, ['mod', 'download', '-json', 'sigs.k8s.io/kwok'], { cwd: toolsDir, env, encoding: 'utf8' });
  let modDir;
  try { modDir = JSON.parse(r.stdout).Dir; } catch { /* below */ }
  if (r.status !== 0 || !modDir) {
    throw new BuildError(`kwok: cannot locate the sigs.k8s.io/kwok module for its stage files: ${(r.stderr || r.stdout).trim()}`, { components: ['kwok'] });
  }
  const docs = KWOK_STAGE_FILES.map((f) => {
    try {
      return `# from sigs.k8s.io/kwok ${f}\n${readFileSync(join(modDir, f), 'utf8').trim()}\n`;
    } catch (e) {
      throw new BuildError(`kwok: stage file ${f} missing from ${modDir}`, { components: ['kwok'], cause: e });
    }
  });
  writeFileSync(`${outPath}.tmp`, docs.join('---\n'));
  renameSync(`${outPath}.tmp`, outPath);
}

async function main(argv) {
  const json = argv.includes('--json');
  const onlyIdx = argv.indexOf('--only');
  if (onlyIdx >= 0 && !argv[onlyIdx + 1]) throw new BuildError(`--only needs a list, e.g. --only kube-apiserver,etcd (known: ${Object.keys(COMPONENTS).join(', ')})`);
  const names = onlyIdx >= 0 ? argv[onlyIdx + 1].split(',').filter(Boolean) : Object.keys(COMPONENTS);
  if (argv.includes('--print-dir')) {
    process.stdout.write(`${binDir()}\n`);
    return;
  }
  const res = await ensureBinaries(names);
  if (json) {
    process.stdout.write(`${JSON.stringify({ dir: res.dir, bins: res.bins, kwokStages: res.kwokStages, versions: pinnedVersions(), built: res.built, seconds: res.seconds }, null, 2)}\n`);
  } else {
    const versions = pinnedVersions();
    process.stdout.write(`binaries in ${res.dir}${res.built.length ? '' : ' (cached)'}\n`);
    for (const [n, p] of Object.entries(res.bins)) process.stdout.write(`  ${n.padEnd(24)} ${p}  [${COMPONENTS[n].module} ${versions[COMPONENTS[n].module] ?? '?'}]\n`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`cluster build: ${e.message}\n`);
    process.exit(1);
  });
}
