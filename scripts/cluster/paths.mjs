// Where the local control-plane harness keeps things.
//
//   repo:   test/cluster/tools/<module>/go.mod+go.sum   pinned versions (committed)
//   repo:   test/.cluster/                              state, certs, data, logs of a running cluster (git-ignored)
//   cache:  $TAPLINE_CACHE_DIR or ${XDG_CACHE_HOME:-~/.cache}/tapline
//             go/mod, go/build                          shared GOMODCACHE / GOCACHE
//             cluster-bin/<module>-<key>/               built binaries, keyed by go.mod+go.sum+toolchain
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const toolsDir = join(repoRoot, 'test', 'cluster', 'tools');

/** Default directory of a running cluster; TAPLINE_CLUSTER_DIR overrides it. */
export function defaultClusterDir() {
  return process.env.TAPLINE_CLUSTER_DIR
    ? resolve(process.env.TAPLINE_CLUSTER_DIR)
    : join(repoRoot, 'test', '.cluster');
}

export { cacheRoot } from '../lib/go-tools.mjs';
