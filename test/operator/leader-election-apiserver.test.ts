// Leader election on a real Lease, in-process with short timings: candidates that start at the
// same moment race to create the Lease (the loser gets 409 and stands by), there is never more
// than one leader at any sampled moment, a stopped leader releases the Lease and a standby takes
// over, and a leader that finds another holder in the Lease stops leading at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { z } from 'zod';
import { KubeClient, type RequestRecord } from '../../operator/controller/kube-client.js';
import { loadKubeconfig } from '../../operator/controller/kubeconfig.js';
import { LeaderElector, LeaseSchema } from '../../operator/controller/leader-election.js';
import { clusterKubeconfig, SKIP_REASON, until } from './support/cluster.js';

const kubeconfig = clusterKubeconfig();
const NS = `op-lease-${Date.now().toString(36)}`;
const TIMING = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 };

describe.skipIf(!kubeconfig)(`leader election on a real Lease${kubeconfig ? '' : ` (${SKIP_REASON})`}`, () => {
  let client: KubeClient;
  const requests: RequestRecord[] = [];

  beforeAll(async () => {
    client = new KubeClient(loadKubeconfig(kubeconfig!), { observer: (r) => requests.push(r) });
    await client.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, z.unknown());
  });

  afterAll(async () => {
    await client?.delete(`/api/v1/namespaces/${NS}`, z.unknown());
  });

  function candidate(identity: string, leaseName: string) {
    const state = { leading: false, starts: 0, stops: 0 };
    const elector = new LeaderElector({
      client,
      namespace: NS,
      name: leaseName,
      identity,
      ...TIMING,
      log: pino({ level: 'silent' }),
      onStartedLeading: () => {
        state.leading = true;
        state.starts++;
      },
      onStoppedLeading: () => {
        state.leading = false;
        state.stops++;
      },
    });
    return { elector, state, identity };
  }

  it('elects exactly one of three simultaneous candidates and hands over on stop', async () => {
    const cs = ['a', 'b', 'c'].map((id) => candidate(id, 'race'));
    for (const c of cs) c.elector.start();
    let maxLeaders = 0;
    const sample = setInterval(() => {
      maxLeaders = Math.max(maxLeaders, cs.filter((c) => c.state.leading).length);
    }, 20);
    try {
      const first = await until('a leader', async () => cs.find((c) => c.state.leading), 10_000);
      // The others lost the race to create (409 AlreadyExists) or saw it held.
      await new Promise((r) => setTimeout(r, 2_000));
      expect(cs.filter((c) => c.state.leading)).toEqual([first]);
      const lease = await client.get(`/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/race`, LeaseSchema);
      expect(lease.spec.holderIdentity).toBe(first.identity);

      const t0 = Date.now();
      await first.elector.stop();
      expect(first.state.leading).toBe(false);
      const second = await until('a new leader', async () => cs.find((c) => c !== first && c.state.leading), 10_000);
      // Released, so the takeover needs retry periods, not the 3 s lease duration.
      expect(Date.now() - t0).toBeLessThan(2_500);
      expect((await client.get(`/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/race`, LeaseSchema)).spec.holderIdentity).toBe(second.identity);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(maxLeaders).toBe(1);
    } finally {
      clearInterval(sample);
      await Promise.all(cs.map((c) => c.elector.stop()));
    }
    const creates = requests.filter((r) => r.resource === 'leases' && r.verb === 'create').map((r) => r.code);
    expect(creates).toContain('201');
    expect(creates.filter((c) => c === '201')).toHaveLength(1);
  });

  it('stops leading when the Lease is taken away and it cannot renew', async () => {
    const c = candidate('victim', 'stolen');
    c.elector.start();
    try {
      await until('victim to lead', async () => (c.state.leading ? true : undefined), 10_000);
      // Someone else writes the Lease: the leader's cached copy is stale (409), and on re-reading it
      // finds another holder whose lease has not expired.
      const path = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/stolen`;
      const lease = await client.get(path, LeaseSchema);
      const renewTime = new Date(Date.now() + 60_000).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
      await client.update(path, { ...lease, spec: { ...lease.spec, holderIdentity: 'thief', leaseDurationSeconds: 60, renewTime } }, LeaseSchema);
      const t0 = Date.now();
      await until('victim to stop leading', async () => (!c.state.leading ? true : undefined), 10_000);
      // At its next renewal (retry period), not only at the renew deadline.
      expect(Date.now() - t0).toBeLessThan(TIMING.renewDeadlineMs);
      expect(c.state.stops).toBe(1);
      expect(requests.some((r) => r.resource === 'leases' && r.verb === 'update' && r.code === '409')).toBe(true);
    } finally {
      await c.elector.stop();
    }
    // It did not release a Lease it no longer holds.
    expect((await client.get(`/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/stolen`, LeaseSchema)).spec.holderIdentity).toBe('thief');
  });
});
