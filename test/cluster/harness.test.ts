// The local control-plane harness works end to end: a DaemonSet pinned by nodeSelector to the
// kwok nodes labelled tapline.dev/capture=true runs only there, becomes Ready, and its pods are
// garbage-collected after it is deleted (see scripts/cluster/smoke-check.mjs).
//
// Runs against the cluster of test/cluster/global-setup.ts (inject('cluster')). Without that
// global setup it starts (or reuses) one itself when TAPLINE_CLUSTER_TESTS=1, and is skipped
// otherwise, so a plain unit-test run never builds the control plane by surprise.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startCluster, stopCluster, type ClusterHandle } from '../../scripts/cluster/cluster.mjs';
import { runSmokeCheck } from '../../scripts/cluster/smoke-check.mjs';

const provided = inject('cluster') as ClusterHandle | undefined;
const selfStart = !provided && process.env.TAPLINE_CLUSTER_TESTS === '1';

describe.skipIf(!provided && !selfStart)('local control-plane harness', () => {
  let cluster: ClusterHandle;

  beforeAll(async () => {
    cluster = provided ?? (await startCluster({ reuse: true }));
  }, 30 * 60_000); // a cold build of the binaries can take this long on 2 cores

  afterAll(async () => {
    if (selfStart && cluster?.startedByUs) await stopCluster({ dir: cluster.dir });
  }, 60_000);

  it('has Ready kwok nodes, some labelled for capture', () => {
    const labelled = cluster.nodes.filter((n) => n.labels[cluster.captureLabel] === 'true');
    expect(cluster.nodes.length).toBeGreaterThanOrEqual(2);
    expect(labelled.length).toBeGreaterThan(0);
    expect(labelled.length).toBeLessThan(cluster.nodes.length);
  });

  it('runs a DaemonSet only on the labelled nodes, reaches Ready, and garbage-collects its pods', async () => {
    const r = await runSmokeCheck(cluster, { timeoutMs: 90_000 });
    expect(r.podNodes).toEqual(r.labelledNodes);
    expect(r.podNodes.length).toBeGreaterThan(0);
    expect(r.podNodes.length).toBeLessThan(r.nodes.length);
  }, 300_000);
});
