// The API server restarted under a running operator: its watches break and its requests fail
// for a while; it retries with backoff, relists, and afterwards reconciles changes made after the
// restart and keeps every policy it had, without being restarted itself.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { restartComponent } from '../../scripts/cluster/cluster.mjs';
import { clusterKubeconfig, SKIP_REASON, until } from './support/cluster.js';
import { installCrd } from './support/crd-install.js';
import { kubeApiFromKubeconfig, type KubeApi } from './support/kube-api.js';
import { operatorKubeconfig } from './support/operator-identity.js';
import { spawnOperator, type OperatorProcess } from './support/operator-process.js';
import { afpacketSpec, applyPolicy, deletePolicies, policyPath, readyOn, waitForPolicy } from './support/policies.js';

const kubeconfig = clusterKubeconfig();
const RUN = Date.now().toString(36);
const NS = `op-restart-${RUN}`;

describe.skipIf(!kubeconfig)(`operator across an API server restart${kubeconfig ? '' : ` (${SKIP_REASON})`}`, () => {
  let api: KubeApi;
  let op: OperatorProcess;

  beforeAll(async () => {
    api = kubeApiFromKubeconfig(kubeconfig!);
    await installCrd(api);
    const kc = await operatorKubeconfig(api, inject('cluster'), { serviceAccount: `op-restart-${RUN}`, leaseNamespace: NS });
    op = await spawnOperator({ kubeconfig: kc, identity: `restart-${RUN}`, args: ['--lease-namespace', NS, '--watch-namespaces', NS] });
  });

  afterAll(async () => {
    if (api) await deletePolicies(api, NS).catch(() => {});
    if (op) expect(await op.stop()).toBe(0);
    if (api) await api.request('DELETE', `/api/v1/namespaces/${NS}`);
  });

  it('recovers without losing a policy', async () => {
    for (let i = 0; i < 3; i++) await applyPolicy(api, NS, `p${i}`, afpacketSpec({ interfaces: [`eth${i}`], metricsPort: 9490 + i }));
    for (let i = 0; i < 3; i++) await waitForPolicy(api, NS, `p${i}`, 'Ready', readyOn(2));
    const errorsBefore = await op.metric('tapline_operator_api_requests_total', { code: 'error' });

    await restartComponent(inject('cluster'), 'kube-apiserver', { downMs: 4_000 });

    expect(op.exited()).toBe(false);
    // It noticed: requests without an answer while the API server was down.
    await until('the operator to notice the outage', async () => ((await op.metric('tapline_operator_api_requests_total', { code: 'error' })) > errorsBefore ? true : undefined), 30_000);
    // Changes made after the restart are reconciled: a spec change and a new policy.
    const changed = await applyPolicy(api, NS, 'p1', afpacketSpec({ interfaces: ['eth1'], metricsPort: 9491, snaplen: 2048 }));
    await applyPolicy(api, NS, 'p3', afpacketSpec({ interfaces: ['eth3'], metricsPort: 9493 }));
    await waitForPolicy(api, NS, 'p1', 'Ready at the new generation', (p) => p.metadata.generation === changed.metadata.generation && readyOn(2)(p), 120_000);
    await waitForPolicy(api, NS, 'p3', 'Ready', readyOn(2), 120_000);
    const items = (await api.request('GET', policyPath(NS))).body.items as any[];
    expect(items.map((p) => p.metadata.name).sort()).toEqual(['p0', 'p1', 'p2', 'p3']);
    for (const p of items) expect(readyOn(2)(p), `${p.metadata.name} (generation ${p.metadata.generation}): ${JSON.stringify(p.status)}`).toBe(true);
    await until('the operator to be ready again', async () => ((await op.ready()) ? true : undefined), 30_000);
    expect(op.exited()).toBe(false);
  });
});
