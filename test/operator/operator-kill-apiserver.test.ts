// Killed, not stopped: the leading operator replica gets SIGKILL in the middle of reconciling a
// burst of policies, while it holds the Lease (no release, no cleanup). The standby takes over
// once the Lease expires (within the lease duration plus two retry periods), and the cluster
// converges: every policy Ready at its generation with its status complete, exactly one
// ConfigMap and one DaemonSet per policy (server-side apply by name, no duplicates), nothing lost.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LEADER_LEASE_NAME } from '../../operator/rbac.js';
import { clusterKubeconfig, SKIP_REASON, until } from './support/cluster.js';
import { installCrd } from './support/crd-install.js';
import { kubeApiFromKubeconfig, type KubeApi } from './support/kube-api.js';
import { operatorKubeconfig } from './support/operator-identity.js';
import { spawnOperator, type LogLine, type OperatorProcess } from './support/operator-process.js';
import { afpacketSpec, applyPolicy, deletePolicies, policyPath, readyOn, waitForPolicy } from './support/policies.js';

const kubeconfig = clusterKubeconfig();
const RUN = Date.now().toString(36);
const NS = `op-kill-${RUN}`;
const POLICIES = 12;
/** The operator's default Lease duration and retry period (operator/main.ts). */
const LEASE_DURATION_MS = 15_000;
const RETRY_PERIOD_MS = 2_000;
/**
 * client-go's rule, which the operator follows: a candidate counts the lease duration from when it
 * saw the record last change (the holder renewed up to a retry period before the kill; the
 * candidate polls every retry period with 20% jitter), so the takeover comes within the duration
 * plus two jittered retry periods, plus a little for requests on a busy machine.
 */
const TAKEOVER_BOUND_MS = LEASE_DURATION_MS + 2 * 1.2 * RETRY_PERIOD_MS + 3_000;
const RECONCILE_LINES = new Set(['applied', 'status updated']);
const reconcileTimes = (logs: LogLine[]) => logs.filter((l) => RECONCILE_LINES.has(l.msg)).map((l) => l.time);

describe.skipIf(!kubeconfig)(`leader SIGKILLed mid-reconcile${kubeconfig ? '' : ` (${SKIP_REASON})`}`, () => {
  let api: KubeApi;
  let a: OperatorProcess;
  let b: OperatorProcess;
  const lease = async () => (await api.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/${LEADER_LEASE_NAME}`)).body?.spec;

  beforeAll(async () => {
    api = kubeApiFromKubeconfig(kubeconfig!);
    await installCrd(api);
    const kc = await operatorKubeconfig(api, inject('cluster'), { serviceAccount: `op-kill-${RUN}`, leaseNamespace: NS });
    const args = ['--lease-namespace', NS, '--watch-namespaces', NS];
    a = await spawnOperator({ kubeconfig: kc, identity: `kill-a-${RUN}`, args });
    await until('replica a to lead', async () => ((await lease())?.holderIdentity === a.identity ? true : undefined), 30_000);
    b = await spawnOperator({ kubeconfig: kc, identity: `kill-b-${RUN}`, args });
    await until('both replicas ready', async () => ((await a.ready()) && (await b.ready()) ? true : undefined), 30_000);
  });

  afterAll(async () => {
    if (api) await deletePolicies(api, NS).catch(() => {});
    await a?.stop();
    await b?.stop();
    if (api) await api.request('DELETE', `/api/v1/namespaces/${NS}`);
  });

  it('the standby takes over within the lease duration and the cluster converges: no duplicate objects, no lost status', async () => {
    // a burst of policies; the leader is killed as soon as it has applied the first one's objects
    const applying = Promise.all(Array.from({ length: POLICIES }, (_, i) => applyPolicy(api, NS, `p${i}`, afpacketSpec({ interfaces: [`eth${i}`], metricsPort: 9500 + i }))));
    await until('the leader to be mid-reconcile', async () => (a.logs.some((l) => l.msg === 'applied') ? true : undefined), 60_000);
    const killedAt = Date.now();
    const code = await a.stop('SIGKILL');
    expect(code).toBeNull(); // killed: no release, no cleanup
    const appliedBeforeKill = a.logs.filter((l) => l.msg === 'applied').length;
    await applying;
    expect(a.logs.some((l) => l.msg === 'leader election: lease released')).toBe(false);

    await until('replica b to lead', async () => ((await lease())?.holderIdentity === b.identity ? true : undefined), TAKEOVER_BOUND_MS + 10_000);
    const tookOverMs = Date.now() - killedAt;
    // not released: b waited for the Lease to expire (at least most of its duration), and no longer than the bound
    expect(tookOverMs).toBeGreaterThan(LEASE_DURATION_MS - RETRY_PERIOD_MS * 1.2);
    expect(tookOverMs).toBeLessThan(TAKEOVER_BOUND_MS);
    expect(await b.metric('tapline_operator_leader')).toBe(1);

    for (let i = 0; i < POLICIES; i++) await waitForPolicy(api, NS, `p${i}`, 'Ready', readyOn(2), 120_000);
    const policies = (await api.request('GET', policyPath(NS))).body.items as any[];
    expect(policies).toHaveLength(POLICIES);
    for (const p of policies) {
      // no lost status: every condition at the current generation
      expect(p.status.observedGeneration).toBe(p.metadata.generation);
      for (const c of p.status.conditions as any[]) expect(c.observedGeneration, `${p.metadata.name} ${c.type}`).toBe(p.metadata.generation);
    }
    // no duplicates: one ConfigMap and one DaemonSet owned by each policy
    const owned = async (path: string) => {
      const items = (await api.request('GET', path)).body.items as any[];
      const byOwner = new Map<string, number>();
      for (const o of items) for (const r of o.metadata.ownerReferences ?? []) byOwner.set(r.uid, (byOwner.get(r.uid) ?? 0) + 1);
      return policies.map((p) => byOwner.get(p.metadata.uid) ?? 0);
    };
    expect(await owned(`/apis/apps/v1/namespaces/${NS}/daemonsets`)).toEqual(Array(POLICIES).fill(1));
    expect(await owned(`/api/v1/namespaces/${NS}/configmaps`)).toEqual(Array(POLICIES).fill(1));
    // b reconciled after it became leader, and the ones a had not finished
    const bLeads = b.logs.find((l) => l.msg === 'leader election: became leader')!.time;
    expect(reconcileTimes(b.logs).length).toBeGreaterThan(0);
    expect(Math.min(...reconcileTimes(b.logs))).toBeGreaterThanOrEqual(bLeads);
    console.log(`operator SIGKILL: a applied ${appliedBeforeKill} objects before the kill; b led ${tookOverMs} ms after it; ${POLICIES} policies Ready`);
  });
});
