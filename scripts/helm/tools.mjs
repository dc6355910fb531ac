#!/usr/bin/env node
// Builds (once) helm and kubeconform, pinned in test/helm/tools/go.mod (tool directives, go.sum
// committed), and prints where they are. Binaries live outside the repo in
// <cache>/helm-tools-bin/<key>/, where <key> hashes go.mod, go.sum, the Go version, GOOS/GOARCH and
// the build flags: a second run finds them and returns at once.
//
//   node scripts/helm/tools.mjs            build what is missing, print the paths
//   node scripts/helm/tools.mjs --json     same, as JSON
//
// The build itself (cache key, lock, one `go build`, pruning) is scripts/lib/go-tools.mjs.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureGoTools, pinnedVersions as pinned } from '../lib/go-tools.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const HELM_TOOLS_MODULE = join(repoRoot, 'test', 'helm', 'tools');

/** name -> Go package; each is a `tool` directive in test/helm/tools/go.mod. */
export const HELM_TOOLS = Object.freeze({
  helm: 'helm.sh/helm/v3/cmd/helm',
  kubeconform: 'github.com/yannh/kubeconform/cmd/kubeconform',
});

/** Module versions as pinned in go.mod: { 'helm.sh/helm/v3': 'v3.22.0', ... }. */
export function pinnedVersions(moduleDir = HELM_TOOLS_MODULE) {
  return pinned(moduleDir, ['helm.sh/helm/v3', 'github.com/yannh/kubeconform', 'k8s.io/client-go']);
}

// What helm's own Makefile stamps in: its version (otherwise `helm version` says "v3.22"), and the
// Kubernetes version `helm template`/`helm lint` assume without a cluster (otherwise v1.20, which
// would make `.Capabilities.KubeVersion` checks meaningless): client-go v0.Y.Z means Kubernetes 1.Y.
export function helmLdflags(moduleDir = HELM_TOOLS_MODULE) {
  const v = pinnedVersions(moduleDir);
  const helm = v['helm.sh/helm/v3'];
  const cg = /^v0\.(\d+)\./.exec(v['k8s.io/client-go'] ?? '');
  if (!helm || !cg) throw new Error(`cannot read the helm or client-go version from ${moduleDir}/go.mod`);
  const x = [
    `-X helm.sh/helm/v3/internal/version.version=${helm}`,
    '-X helm.sh/helm/v3/internal/version.gitTreeState=clean',
    ...['pkg/lint/rules', 'pkg/chartutil'].flatMap((p) => [
      `-X helm.sh/helm/v3/${p}.k8sVersionMajor=1`,
      `-X helm.sh/helm/v3/${p}.k8sVersionMinor=${cg[1]}`,
    ]),
  ];
  return ['-s', '-w', ...x].join(' ');
}

/**
 * Makes sure helm and kubeconform are built; returns { dir, paths: { helm, kubeconform }, built, seconds }.
 */
export async function ensureHelmTools({ log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  return ensureGoTools({ label: 'helm-tools', moduleDir: HELM_TOOLS_MODULE, tools: { ...HELM_TOOLS }, ldflags: helmLdflags(), log });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  ensureHelmTools().then((r) => {
    if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ ...r, versions: pinnedVersions() }, null, 2)}\n`);
    else for (const [n, p] of Object.entries(r.paths)) process.stdout.write(`${n.padEnd(12)} ${p}\n`);
  }).catch((e) => {
    process.stderr.write(`helm tools: ${e.message}\n`);
    process.exit(1);
  });
}
