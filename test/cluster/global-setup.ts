// Vitest global setup for tests that need a real control plane (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, kwok nodes). Wire it into a vitest project whose
// tests talk to the API server, e.g. in vitest.config.ts:
//
//   test: { projects: [
//     { extends: true, test: { name: 'unit', include: [...], exclude: ['test/cluster/**', 'test/e2e/**'] } },
//     { extends: true, test: { name: 'cluster', include: ['test/cluster/**/*.test.ts', 'test/e2e/**/*.test.ts'],
//                               globalSetup: ['test/cluster/global-setup.ts'], fileParallelism: false } },
//   ] }
//
// Tests read the cluster with `inject('cluster')` (a ClusterHandle: kubeconfigPath, server,
// caFile/certFile/keyFile, nodes, ...); KUBECONFIG is also set for child processes.
// A cluster already started with `npm run cluster:up` is reused and left running; one started
// here is stopped at teardown (TAPLINE_KEEP_CLUSTER=1 keeps it, for debugging).
import type { TestProject } from 'vitest/node';
import { startCluster, stopCluster, type ClusterHandle } from '../../scripts/cluster/cluster.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: ClusterHandle;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startCluster({ reuse: true, nodes: 3 });
  process.env.KUBECONFIG = cluster.kubeconfigPath;
  project.provide('cluster', cluster);
  return async () => {
    if (cluster.startedByUs && process.env.TAPLINE_KEEP_CLUSTER !== '1') await stopCluster({ dir: cluster.dir });
  };
}
