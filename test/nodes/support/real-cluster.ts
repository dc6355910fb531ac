// A control plane of its own with real nodes (kubelet + containerd each, in network namespaces
// of their own: scripts/cluster/real-node.mjs), for the tests that need pods to really run. It
// lives beside the shared kwok cluster of the 'cluster' project (another directory, other ports),
// so the kwok tests never see a real node and these never see a kwok pod.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

import { clusterLeftovers, readState, startCluster, stopCluster, type ClusterHandle, type RealNode } from '../../../scripts/cluster/cluster.mjs';
import { kubeApiFromKubeconfig, type KubeApi } from '../../operator/support/kube-api.js';
import { addCapturePair, CAPTURE_IF, SENDER_IF } from '../../demo/topology.js';

export const REAL_CLUSTER_DIR = path.join(process.cwd(), 'test', '.cluster-real');
export { CAPTURE_IF };

export const isRoot = process.getuid?.() === 0;

export interface RealCluster {
  handle: ClusterHandle;
  admin: KubeApi;
  nodes: RealNode[];
  kubectl(args: string[]): { status: number | null; stdout: string; stderr: string };
  /** Stops everything and returns what was left behind ([] when clean). */
  stop(): Promise<string[]>;
}

export async function startRealCluster(o: { realNodes: number; kwokNodes?: number; labels?: (i: number) => Record<string, string> }): Promise<RealCluster> {
  await stopCluster({ dir: REAL_CLUSTER_DIR, log: () => undefined }); // leftovers of a killed run
  const handle = await startCluster({
    dir: REAL_CLUSTER_DIR,
    nodes: o.kwokNodes ?? 0,
    captureNodes: 0,
    realNodes: o.realNodes,
    realNodeLabels: o.labels,
    timeoutMs: 180_000,
    log: (m) => process.stderr.write(`[real-cluster] ${m}\n`),
  });
  const kubectl = (args: string[]) => {
    const r = spawnSync(handle.kubectl!, ['--kubeconfig', handle.kubeconfigPath, ...args], { encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  return {
    handle,
    admin: kubeApiFromKubeconfig(handle.kubeconfigPath),
    nodes: handle.realNodes,
    kubectl,
    async stop() {
      const state = readState(REAL_CLUSTER_DIR);
      await stopCluster({ dir: REAL_CLUSTER_DIR, log: () => undefined });
      return state ? clusterLeftovers(state) : [];
    },
  };
}

/** The capture pair (tx0 -> tap0) in a real node's namespace, where its host-network agent captures. */
export function addNodeCapturePair(node: RealNode): void {
  addCapturePair(node.netns);
}

/** Sends a capture file out of the node's tx0 at full speed (the generator's timing answer holds). */
export function replayOnNode(node: RealNode, file: string): void {
  execFileSync('ip', ['netns', 'exec', node.netns, 'tcpreplay', '-q', '-t', '-i', SENDER_IF, file], { stdio: 'ignore' });
}
