// Two operator replicas with leader election on one Lease: one leads and reconciles, the other
// stands by with warm caches and makes no writes; when the leader gets SIGTERM it releases the
// Lease and exits 0, the standby takes over, and the two never reconcile at the same time.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LEADER_LEASE_NAME } from '../../operator/rbac.js';
import { clusterKubeconfig, SKIP_REASON, until } from './support/cluster.js';
import { installCrd } from './support/crd-install.js';
import { kubeApiFromKubeconfig, type KubeApi } from './support/kube-api.js';
import { operatorKubeconfig } from './support/operator-identity.js';
import { spawnOperator, writeRequests, type LogLine, type OperatorProcess } from './support/operator-process.js';
import { afpacketSpec, applyPolicy, deletePolicies, readyOn, waitForPolicy } from './support/policies.js';

const kubeconfig = clusterKubeconfig();
const RUN = Date.now().toString(36);
const NS = `op-leader-${RUN}`;
const RECONCILE_LINES = new Set(['applied', 'status updated']);

const firstTime = (logs: LogLine[], msg: string) => logs.find((l) => l.msg === msg)?.time;
const reconcileTimes = (logs: LogLine[]) => logs.filter((l) => RECONCILE_LINES.has(l.msg)).map((l) => l.time);

describe.skipIf(!kubeconfig)(`leader election between two replicas${kubeconfig ? '' : ` (${SKIP_REASON})`}`, () => {
  let api: KubeApi;
  let a: OperatorProcess;
  let b: OperatorProcess;
  const holder = async () => (await api.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/${LEADER_LEASE_NAME}`)).body?.spec?.holderIdentity;

  beforeAll(async () => {
    api = kubeApiFromKubeconfig(kubeconfig!);
    await installCrd(api);
    const kc = await operatorKubeconfig(api, inject('cluster'), { serviceAccount: `op-leader-${RUN}`, leaseNamespace: NS });
    const args = ['--lease-namespace', NS, '--watch-namespaces', NS];
    a = await spawnOperator({ kubeconfig: kc, identity: `replica-a-${RUN}`, args });
    await until('replica a to lead', async () => ((await holder()) === a.identity ? true : undefined), 30_000);
    b = await spawnOperator({ kubeconfig: kc, identity: `replica-b-${RUN}`, args });
  });

  afterAll(async () => {
    if (api) await deletePolicies(api, NS).catch(() => {});
    await a?.stop();
    await b?.stop();
    if (api) await api.request('DELETE', `/api/v1/namespaces/${NS}`);
  });

  it('has one leader; the standby is ready but reconciles nothing and writes nothing', async () => {
    await until('both replicas ready', async () => ((await a.ready()) && (await b.ready()) ? true : undefined), 30_000);
    await applyPolicy(api, NS, 'p', afpacketSpec());
    await waitForPolicy(api, NS, 'p', 'Ready', readyOn(2));
    expect(await holder()).toBe(a.identity);
    expect(await a.metric('tapline_operator_leader')).toBe(1);
    expect(await b.metric('tapline_operator_leader')).toBe(0);
    expect(await a.metric('tapline_operator_reconcile_total')).toBeGreaterThan(0);
    expect(await b.metric('tapline_operator_reconcile_total')).toBe(0);
    expect(await writeRequests(b)).toBe(0);
    // The standby only reads the Lease (it does not try to write a Lease held by another).
    expect(await b.metric('tapline_operator_api_requests_total', { verb: 'update', resource: 'leases' })).toBe(0);
    expect(await b.metric('tapline_operator_api_requests_total', { verb: 'get', resource: 'leases' })).toBeGreaterThan(0);
  });

  it('hands over on SIGTERM: the leader releases the Lease and exits 0, the standby takes over', async () => {
    const stoppedAt = Date.now();
    expect(await a.stop('SIGTERM')).toBe(0);
    expect(a.logs.some((l) => l.msg === 'leader election: lease released')).toBe(true);
    await until('replica b to lead', async () => ((await holder()) === b.identity ? true : undefined), 20_000);
    // Released, not expired: the standby took over within a few retry periods, not a lease duration.
    expect(Date.now() - stoppedAt).toBeLessThan(12_000);
    expect(await b.metric('tapline_operator_leader')).toBe(1);

    const updated = await applyPolicy(api, NS, 'p', afpacketSpec({ snaplen: 1024 }));
    await waitForPolicy(api, NS, 'p', 'Ready at the new generation', (p) => p.metadata.generation === updated.metadata.generation && readyOn(2)(p));
    expect(await b.metric('tapline_operator_reconcile_total')).toBeGreaterThan(0);

    // Never both at once: every reconcile of a happened before it released the Lease, every
    // reconcile of b after it became leader, which was after the release.
    const released = firstTime(a.logs, 'leader election: lease released')!;
    const bLeads = firstTime(b.logs, 'leader election: became leader')!;
    expect(bLeads).toBeGreaterThanOrEqual(released);
    expect(Math.max(...reconcileTimes(a.logs))).toBeLessThanOrEqual(released);
    expect(reconcileTimes(b.logs).length).toBeGreaterThan(0);
    expect(Math.min(...reconcileTimes(b.logs))).toBeGreaterThanOrEqual(bLeads);
  });
});
