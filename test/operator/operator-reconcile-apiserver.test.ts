// The operator on a real control plane, run as `tapline operator` with a ServiceAccount token
// bound to exactly operator/rbac.ts: a policy becomes a ConfigMap + ServiceAccount + DaemonSet
// whose pods run only on the selected kwok nodes, status follows spec changes, node relabels and
// drift, deletion garbage-collects everything, unusable policies are reported in status, and a
// converged cluster sees no writes.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AGENT_CONFIG_KEY } from '../../agent/config/schema.js';
import { parsePolicy } from '../../operator/api/policy.js';
import { CLUSTER_ROLE_RULES, LEADER_ELECTION_RULES, LEADER_LEASE_NAME } from '../../operator/rbac.js';
import { CONFIG_HASH_ANNOTATION, renderPolicy } from '../../operator/render/index.js';
import { OperatorSettingsSchema } from '../../operator/render/settings.js';
import { clusterKubeconfig, SKIP_REASON, until } from './support/cluster.js';
import { installCrd } from './support/crd-install.js';
import { kubeApiFromKubeconfig, type KubeApi } from './support/kube-api.js';
import { mayDo, operatorKubeconfig } from './support/operator-identity.js';
import { spawnOperator, writeRequests, type OperatorProcess } from './support/operator-process.js';
import {
  afpacketSpec,
  applyPolicy,
  condition,
  deletePolicies,
  getPolicy,
  readyOn,
  setNodeLabel,
  waitForPolicy,
} from './support/policies.js';
import { agentPodNodes } from './support/agent-pods.js';

const kubeconfig = clusterKubeconfig();
const RUN = Date.now().toString(36);
const NS = `op-reconcile-${RUN}`;
const OTHER_NS = `op-unwatched-${RUN}`;
const SA = `op-reconcile-${RUN}`;
const CAPTURE_LABEL = 'tapline.dev/capture';

describe.skipIf(!kubeconfig)(`operator reconciles on a real API server${kubeconfig ? '' : ` (${SKIP_REASON})`}`, () => {
  let api: KubeApi;
  let op: OperatorProcess;
  const captureNodes = async () =>
    ((await api.request('GET', `/api/v1/nodes?labelSelector=${encodeURIComponent(`${CAPTURE_LABEL}=true`)}`)).body.items as any[]).map((n) => n.metadata.name).sort();
  const get = async (p: string) => {
    const r = await api.request('GET', p);
    return r.status === 200 ? r.body : undefined;
  };
  const dsPath = (name: string) => `/apis/apps/v1/namespaces/${NS}/daemonsets/tapline-${name}`;
  const cmPath = (name: string) => `/api/v1/namespaces/${NS}/configmaps/tapline-${name}`;
  const podNodes = (name: string) => agentPodNodes(api, NS, name);

  beforeAll(async () => {
    api = kubeApiFromKubeconfig(kubeconfig!);
    await installCrd(api);
    const cluster = inject('cluster');
    const kc = await operatorKubeconfig(api, cluster, { serviceAccount: SA, leaseNamespace: NS });
    await api.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: OTHER_NS } });
    op = await spawnOperator({ kubeconfig: kc, identity: `reconcile-${RUN}`, args: ['--watch-namespaces', NS, '--lease-namespace', NS] });
    await until('the operator to be ready', async () => ((await op.ready()) ? true : undefined), 60_000);
  });

  afterAll(async () => {
    if (api) {
      await deletePolicies(api, NS).catch(() => {});
      await deletePolicies(api, OTHER_NS).catch(() => {});
    }
    if (op) {
      expect(await op.stop()).toBe(0);
      expect(op.logs.some((l) => l.msg === 'leader election: lease released')).toBe(true);
    }
    if (api) {
      await setNodeLabel(api, 'kwok-node-2', CAPTURE_LABEL, null);
      for (const ns of [NS, OTHER_NS]) await api.request('DELETE', `/api/v1/namespaces/${ns}`);
    }
  });

  it('runs with exactly the rules of operator/rbac.ts, and nothing more', async () => {
    for (const rule of CLUSTER_ROLE_RULES) {
      for (const verb of rule.verbs) {
        for (const res of rule.resources) {
          const [resource, subresource] = res.split('/');
          expect(await mayDo(api, SA, { verb, resource: resource!, group: rule.apiGroups[0]!, namespace: NS, ...(subresource ? { subresource } : {}) }), `${verb} ${res}`).toBe(true);
        }
      }
    }
    for (const rule of LEADER_ELECTION_RULES) {
      for (const verb of rule.verbs) {
        expect(await mayDo(api, SA, { verb, resource: 'leases', group: 'coordination.k8s.io', namespace: NS, name: LEADER_LEASE_NAME })).toBe(true);
      }
    }
    const denied = [
      { verb: 'delete', resource: 'daemonsets', group: 'apps', namespace: NS },
      { verb: 'get', resource: 'secrets', namespace: NS },
      // Pods are read only: no writes, no logs, no exec.
      { verb: 'patch', resource: 'pods', namespace: NS },
      { verb: 'delete', resource: 'pods', namespace: NS },
      { verb: 'get', resource: 'pods', subresource: 'log', namespace: NS },
      { verb: 'create', resource: 'pods', subresource: 'exec', namespace: NS },
      { verb: 'update', resource: 'snifferpolicies', group: 'tapline.dev', namespace: NS },
      { verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: NS, name: 'some-other-lease' },
      { verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: 'default', name: LEADER_LEASE_NAME },
      { verb: 'patch', resource: 'nodes' },
    ];
    for (const d of denied) expect(await mayDo(api, SA, d), JSON.stringify(d)).toBe(false);
  });

  it('turns a policy into its ConfigMap, ServiceAccount and DaemonSet, on the selected nodes only, and reports Ready', async () => {
    const created = await applyPolicy(api, NS, 'edge', afpacketSpec());
    const nodes = await captureNodes();
    expect(nodes.length).toBe(2);
    const p = await waitForPolicy(api, NS, 'edge', 'Ready on the capture nodes', readyOn(nodes.length));
    expect(p.status.daemonSetName).toBe('tapline-edge');
    expect(condition(p, 'Progressing')).toMatchObject({ status: 'False', reason: 'RolloutComplete' });
    expect(condition(p, 'Degraded')).toMatchObject({ status: 'False' });
    expect(condition(p, 'InterfaceConflict')).toMatchObject({ status: 'False', reason: 'NoConflict' });

    // The objects are what render produces for this policy (the API server adds defaults only).
    const want = renderPolicy(parsePolicy(created), OperatorSettingsSchema.parse({ agentImage: 'ghcr.io/tapline/agent:0.1.0', watchNamespaces: [NS] }));
    const cm = await get(cmPath('edge'));
    expect(cm.data[AGENT_CONFIG_KEY]).toBe(want.configMap.data[AGENT_CONFIG_KEY]);
    const ds = await get(dsPath('edge'));
    expect(ds.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'SnifferPolicy', name: 'edge', uid: created.metadata.uid, controller: true })]);
    expect(ds.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION]).toBe(want.configHash);
    expect(ds.spec.template.spec.containers[0].securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['NET_RAW', 'NET_ADMIN'] });
    expect(ds.spec.template.spec.nodeSelector).toEqual(want.daemonSet.spec.template.spec.nodeSelector);
    expect(ds.metadata.managedFields.map((f: any) => f.manager)).toContain('tapline-operator');
    expect(await get(`/api/v1/namespaces/${NS}/serviceaccounts/tapline-edge`)).toBeDefined();
    expect(await podNodes('edge')).toEqual(nodes);
  });

  it('rolls out a spec change: new config, new config hash, observedGeneration follows', async () => {
    const before = await get(dsPath('edge'));
    const hashBefore = before.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION];
    const updated = await applyPolicy(api, NS, 'edge', afpacketSpec({ interfaces: ['eth0', 'eth1'], snaplen: 512 }));
    expect(updated.metadata.generation).toBe(2);
    const p = await waitForPolicy(api, NS, 'edge', 'Ready at generation 2', (x) => x.metadata.generation === 2 && readyOn(2)(x));
    expect(p.status.observedGeneration).toBe(2);
    for (const c of p.status.conditions) expect(c.observedGeneration).toBe(2);
    const ds = await get(dsPath('edge'));
    expect(ds.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION]).not.toBe(hashBefore);
    const config = JSON.parse((await get(cmPath('edge'))).data[AGENT_CONFIG_KEY]);
    expect(config.capture).toMatchObject({ interfaces: ['eth0', 'eth1'], snaplen: 512 });
    expect(config.policy.generation).toBe(2);
  });

  it('follows node relabels: the counts change with the selected nodes', async () => {
    await setNodeLabel(api, 'kwok-node-2', CAPTURE_LABEL, 'true');
    await waitForPolicy(api, NS, 'edge', 'Ready on 3 nodes', readyOn(3));
    expect(await until('pods on 3 nodes', async () => ((await podNodes('edge')).length === 3 ? true : undefined), 60_000)).toBe(true);
    await setNodeLabel(api, 'kwok-node-2', CAPTURE_LABEL, null);
    await waitForPolicy(api, NS, 'edge', 'Ready on 2 nodes again', readyOn(2));
  });

  it('repairs drift: a field another manager changes is taken back', async () => {
    const r = await api.request(
      'PATCH',
      `${dsPath('edge')}?fieldManager=someone-else&force=true`,
      { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'tapline-edge', namespace: NS }, spec: { revisionHistoryLimit: 1 } },
      { contentType: 'application/apply-patch+yaml' },
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.spec.revisionHistoryLimit).toBe(1);
    await until('the operator to restore revisionHistoryLimit', async () => ((await get(dsPath('edge'))).spec.revisionHistoryLimit === 5 ? true : undefined), 30_000);
    // A deleted child is recreated.
    await api.request('DELETE', cmPath('edge'));
    await until('the ConfigMap to be recreated', async () => ((await get(cmPath('edge'))) ? true : undefined), 30_000);
  });

  it('reports what it cannot deploy in status and creates nothing: unwatched namespace, privileged not allowed', async () => {
    await applyPolicy(api, OTHER_NS, 'elsewhere', afpacketSpec());
    const elsewhere = await waitForPolicy(api, OTHER_NS, 'elsewhere', 'NamespaceNotWatched', (p) => condition(p, 'Ready')?.reason === 'NamespaceNotWatched');
    expect(condition(elsewhere, 'Ready').status).toBe('False');
    expect(condition(elsewhere, 'Degraded')).toMatchObject({ status: 'True', reason: 'NamespaceNotWatched' });
    expect(condition(elsewhere, 'Ready').message).toContain(NS);
    expect(await get(`/apis/apps/v1/namespaces/${OTHER_NS}/daemonsets/tapline-elsewhere`)).toBeUndefined();
    expect(await get(`/api/v1/namespaces/${OTHER_NS}/configmaps/tapline-elsewhere`)).toBeUndefined();

    // Valid for the API server, but this operator does not allow privileged agents.
    await applyPolicy(api, NS, 'raw-pci', {
      capture: { backend: 'dpdk', pciAddresses: ['0000:3b:02.0'], privileged: true, hugepages: { amount: '1Gi' } },
      export: { natsUrl: 'nats://nats:4222' },
    });
    const priv = await waitForPolicy(api, NS, 'raw-pci', 'PrivilegedNotAllowed', (p) => condition(p, 'Degraded')?.reason === 'PrivilegedNotAllowed');
    expect(condition(priv, 'Degraded').status).toBe('True');
    expect(condition(priv, 'Ready')).toMatchObject({ status: 'False', reason: 'PrivilegedNotAllowed' });
    expect(condition(priv, 'Degraded').message).toContain('privileged');
    expect(priv.status.observedGeneration).toBe(1);
    expect(await get(dsPath('raw-pci'))).toBeUndefined();
    // Terminal: not retried (no error results for it).
    expect(await op.metric('tapline_operator_reconcile_total', { result: 'error' })).toBe(0);
  });

  it('applies nothing while paused: the agents keep the last configuration until unpaused', async () => {
    const hash = (await get(dsPath('edge'))).spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION];
    const paused = await applyPolicy(api, NS, 'edge', { ...afpacketSpec({ interfaces: ['eth0', 'eth1'], snaplen: 4096 }), paused: true });
    const p = await waitForPolicy(api, NS, 'edge', 'Paused', (x) => x.status?.observedGeneration === paused.metadata.generation && condition(x, 'Progressing')?.reason === 'Paused');
    expect(condition(p, 'Ready').status).toBe('True'); // the agents still run, with the old configuration
    expect((await get(dsPath('edge'))).spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION]).toBe(hash);
    expect(JSON.parse((await get(cmPath('edge'))).data[AGENT_CONFIG_KEY]).capture.snaplen).toBe(512);
    const resumed = await applyPolicy(api, NS, 'edge', afpacketSpec({ interfaces: ['eth0', 'eth1'], snaplen: 4096 }));
    await waitForPolicy(api, NS, 'edge', 'Ready after unpausing', (x) => x.metadata.generation === resumed.metadata.generation && readyOn(2)(x));
    expect((await get(dsPath('edge'))).spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION]).not.toBe(hash);
    expect(JSON.parse((await get(cmPath('edge'))).data[AGENT_CONFIG_KEY]).capture.snaplen).toBe(4096);
  });

  it('makes no writes once the cluster is steady, nor after an operator restart', async () => {
    await applyPolicy(api, NS, 'core', afpacketSpec({ interfaces: ['eth9'], metricsPort: 9470 }));
    await waitForPolicy(api, NS, 'core', 'Ready', readyOn(2));
    await waitForPolicy(api, NS, 'edge', 'Ready', readyOn(2));
    // Let in-flight events (DaemonSet status, our own status writes) settle.
    await new Promise((r) => setTimeout(r, 5_000));
    const writes = await writeRequests(op);
    const reconciles = await op.metric('tapline_operator_reconcile_total');
    await new Promise((r) => setTimeout(r, 20_000));
    expect(await writeRequests(op)).toBe(writes);
    // Lease renewals are the only writes in a quiet period (every retry period: 2 s).
    expect(await writeRequests(op, { includeLeases: true })).toBeGreaterThan(writes);
    expect(await op.metric('tapline_operator_reconcile_total')).toBe(reconciles);

    // A new operator process reconciles every policy once on start, and finds nothing to write.
    const kc = op.child.spawnargs[op.child.spawnargs.indexOf('--kubeconfig') + 1]!;
    expect(await op.stop()).toBe(0);
    op = await spawnOperator({ kubeconfig: kc, identity: `reconcile-2-${RUN}`, args: ['--watch-namespaces', NS, '--lease-namespace', NS] });
    const policies = (await api.request('GET', '/apis/tapline.dev/v1alpha1/snifferpolicies')).body.items.length as number;
    await until('the new operator to reconcile every policy', async () => ((await op.metric('tapline_operator_reconcile_total')) >= policies ? true : undefined), 60_000);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await writeRequests(op)).toBe(0);
    expect(await op.metric('tapline_operator_apply_skipped_total')).toBeGreaterThanOrEqual(3 * 2); // edge and core: 3 children each
  });

  it('deletes nothing itself: deleting the policy garbage-collects its objects', async () => {
    await api.request('DELETE', `/apis/tapline.dev/v1alpha1/namespaces/${NS}/snifferpolicies/edge`);
    for (const p of [dsPath('edge'), cmPath('edge'), `/api/v1/namespaces/${NS}/serviceaccounts/tapline-edge`]) {
      await until(`${p} to be garbage-collected`, async () => ((await get(p)) ? undefined : true), 90_000);
    }
    await until('the agent pods to be gone', async () => ((await podNodes('edge')).length === 0 ? true : undefined), 90_000);
    expect(await getPolicy(api, NS, 'core')).toBeDefined();
  });
});
