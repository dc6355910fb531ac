// The binaries of the harness's real nodes, built from pinned Go modules and cached like the
// control plane (scripts/lib/go-tools.mjs):
//
//   kubelet                    k8s.io/kubernetes, from test/cluster/tools (the control plane's module:
//                              the same version as the API server, and shared packages compile once)
//   containerd, ctr            github.com/containerd/containerd/v2, from test/cluster/runtime-tools
//   containerd-shim-runc-v2    (its own module: containerd's dependencies at containerd's versions)
//
// runc and the CNI plugins (bridge, host-local, loopback) come from Debian packages.
import { join } from 'node:path';

import { ensureGoTools } from '../lib/go-tools.mjs';
import { ensureBinaries } from './build.mjs';
import { repoRoot } from './paths.mjs';

export const RUNTIME_MODULE_DIR = join(repoRoot, 'test', 'cluster', 'runtime-tools');
const CONTAINERD = 'github.com/containerd/containerd/v2/cmd';

// Build tags as containerd's own release builds use them where a feature needs cgo or a kernel
// interface we do not have: no btrfs/devmapper/zfs snapshotters (cgo), no CLI doc generation.
const DAEMON_TAGS = ['urfave_cli_no_docs', 'no_btrfs', 'no_devmapper', 'no_zfs'];
// The shim talks ttrpc only (containerd's Makefile builds it with no_grpc).
const SHIM_TAGS = ['urfave_cli_no_docs', 'no_grpc'];

/** Debian's paths for what the nodes use from packages. */
export const DEBIAN_NODE_TOOLS = Object.freeze({ runc: '/usr/sbin/runc', cniBinDir: '/usr/lib/cni' });

/**
 * Makes sure kubelet, containerd, ctr and the runc shim are built (cached).
 * Returns { bins: { kubelet, containerd, ctr, shim }, built: [names] }.
 */
export async function ensureNodeTools({ log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const kube = await ensureBinaries(['kubelet'], { log });
  const daemon = await ensureGoTools({
    label: 'containerd', moduleDir: RUNTIME_MODULE_DIR, tags: DAEMON_TAGS, log,
    tools: { containerd: `${CONTAINERD}/containerd`, ctr: `${CONTAINERD}/ctr` },
  });
  const shim = await ensureGoTools({
    label: 'containerd-shim', moduleDir: RUNTIME_MODULE_DIR, tags: SHIM_TAGS, log,
    tools: { 'containerd-shim-runc-v2': `${CONTAINERD}/containerd-shim-runc-v2` },
  });
  return {
    bins: {
      kubelet: kube.bins.kubelet,
      containerd: daemon.paths.containerd,
      ctr: daemon.paths.ctr,
      shim: shim.paths['containerd-shim-runc-v2'],
    },
    built: [...kube.built, ...daemon.built, ...shim.built],
  };
}
