// Two policies claiming one interface on one node: the older policy keeps it, the newer reports
// InterfaceConflict (with the nodes, device and other policy in status.conflicts) and its agent is
// kept off exactly those nodes; a policy on another interface is unaffected; when the older policy
// goes, the newer one is deployed there and the conflict clears.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clusterKubeconfig, SKIP_REASON, until } from './support/cluster.js';
import { installCrd } from './support/crd-install.js';
import { kubeApiFromKubeconfig, type KubeApi } from './support/kube-api.js';
import { operatorKubeconfig } from './support/operator-identity.js';
import { spawnOperator, type OperatorProcess } from './support/operator-process.js';
import { afpacketSpec, applyPolicy, condition, deletePolicies, readyOn, waitForPolicy } from './support/policies.js';
import { agentPodNodes } from './support/agent-pods.js';

const kubeconfig = clusterKubeconfig();
const RUN = Date.now().toString(36);
const NS = `op-conflict-${RUN}`;
const ALL_LINUX = { matchLabels: { 'kubernetes.io/os': 'linux' } };

describe.skipIf(!kubeconfig)(`interface conflicts between policies${kubeconfig ? '' : ` (${SKIP_REASON})`}`, () => {
  let api: KubeApi;
  let op: OperatorProcess;
  const podNodes = (name: string) => agentPodNodes(api, NS, name);

  beforeAll(async () => {
    api = kubeApiFromKubeconfig(kubeconfig!);
    await installCrd(api);
    const kc = await operatorKubeconfig(api, inject('cluster'), { serviceAccount: `op-conflict-${RUN}`, leaseNamespace: NS });
    op = await spawnOperator({ kubeconfig: kc, identity: `conflict-${RUN}`, args: ['--lease-namespace', NS, '--watch-namespaces', NS] });
  });

  afterAll(async () => {
    if (api) await deletePolicies(api, NS).catch(() => {});
    if (op) expect(await op.stop()).toBe(0);
    if (api) await api.request('DELETE', `/api/v1/namespaces/${NS}`);
  });

  it('keeps the newer policy off the nodes where the older one holds the interface', async () => {
    await applyPolicy(api, NS, 'first', afpacketSpec({ interfaces: ['eth0'], metricsPort: 9480 }));
    await waitForPolicy(api, NS, 'first', 'Ready on the 2 capture nodes', readyOn(2));
    // creationTimestamp has one-second resolution: make the order unambiguous.
    await new Promise((r) => setTimeout(r, 1100));
    await applyPolicy(api, NS, 'second', afpacketSpec({ interfaces: ['eth0', 'eth1'], nodeSelector: ALL_LINUX, metricsPort: 9481 }));
    await applyPolicy(api, NS, 'other-nic', afpacketSpec({ interfaces: ['eth2'], nodeSelector: ALL_LINUX, metricsPort: 9482 }));

    const second = await waitForPolicy(api, NS, 'second', 'InterfaceConflict and Ready on the one free node', (p) => condition(p, 'InterfaceConflict')?.status === 'True' && readyOn(1)(p));
    expect(condition(second, 'InterfaceConflict').reason).toBe('DeviceClaimedByOlderPolicy');
    expect(condition(second, 'InterfaceConflict').message).toContain(`${NS}/first`);
    expect(condition(second, 'Degraded')).toMatchObject({ status: 'True', reason: 'InterfaceConflict' });
    expect(second.status.conflicts).toEqual([
      { nodeName: 'kwok-node-0', device: 'eth0', policy: `${NS}/first` },
      { nodeName: 'kwok-node-1', device: 'eth0', policy: `${NS}/first` },
    ]);
    expect(await until('second only on kwok-node-2', async () => ((await podNodes('second')).join() === 'kwok-node-2' ? true : undefined), 60_000)).toBe(true);

    // Nothing broken: the older policy and the one on another NIC run everywhere they select.
    const first = await waitForPolicy(api, NS, 'first', 'still Ready on 2', readyOn(2));
    expect(condition(first, 'InterfaceConflict')).toMatchObject({ status: 'False', reason: 'HoldsContestedDevices' });
    expect(first.status.conflicts).toBeUndefined();
    expect(await podNodes('first')).toEqual(['kwok-node-0', 'kwok-node-1']);
    const other = await waitForPolicy(api, NS, 'other-nic', 'Ready on 3', readyOn(3));
    expect(condition(other, 'InterfaceConflict')).toMatchObject({ status: 'False', reason: 'NoConflict' });
  });

  it('deploys the newer policy everywhere once the older one is deleted', async () => {
    await api.request('DELETE', `/apis/tapline.dev/v1alpha1/namespaces/${NS}/snifferpolicies/first`);
    const second = await waitForPolicy(api, NS, 'second', 'Ready on all 3 nodes, no conflict', (p) => condition(p, 'InterfaceConflict')?.status === 'False' && readyOn(3)(p));
    expect(second.status.conflicts).toBeUndefined();
    expect(condition(second, 'Degraded')).toMatchObject({ status: 'False' });
    expect(await until('second on all nodes', async () => ((await podNodes('second')).length === 3 ? true : undefined), 60_000)).toBe(true);
  });
});
