// Kubernetes Events from the operator (events.k8s.io/v1, regarding the SnifferPolicy), run as
// `tapline operator` with a token bound to exactly operator/rbac.ts: a new policy gets Deployed and
// Ready, a spec change one more Deployed, the newer of two policies claiming one interface a Warning
// InterfaceConflict, a policy outside --watch-namespaces a Warning NamespaceNotWatched; the Events
// name the operator and its leader identity; and a steady cluster gets no new Events at all.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clusterKubeconfig, SKIP_REASON, until } from './support/cluster.js';
import { installCrd } from './support/crd-install.js';
import { kubeApiFromKubeconfig, type KubeApi } from './support/kube-api.js';
import { operatorKubeconfig } from './support/operator-identity.js';
import { spawnOperator, writeRequests, type OperatorProcess } from './support/operator-process.js';
import { afpacketSpec, applyPolicy, condition, deletePolicies, readyOn, waitForPolicy } from './support/policies.js';

const kubeconfig = clusterKubeconfig();
const RUN = Date.now().toString(36);
const NS = `op-events-${RUN}`;
const OTHER_NS = `op-events-unwatched-${RUN}`;
const IDENTITY = `events-${RUN}`;
const ALL_LINUX = { matchLabels: { 'kubernetes.io/os': 'linux' } };

interface Ev {
  metadata: { name: string; namespace: string };
  type: string;
  reason: string;
  action: string;
  note: string;
  reportingController: string;
  reportingInstance: string;
  eventTime: string;
  regarding: { apiVersion: string; kind: string; name: string; namespace: string; uid: string };
  series?: { count: number; lastObservedTime: string };
}

describe.skipIf(!kubeconfig)(`operator events on a real API server${kubeconfig ? '' : ` (${SKIP_REASON})`}`, () => {
  let api: KubeApi;
  let op: OperatorProcess;
  /** Events in `ns` regarding the policy `name` (oldest first). */
  const eventsOf = async (ns: string, name: string): Promise<Ev[]> => {
    const r = await api.request('GET', `/apis/events.k8s.io/v1/namespaces/${ns}/events`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return (r.body.items as Ev[])
      .filter((e) => e.regarding?.kind === 'SnifferPolicy' && e.regarding.name === name)
      .sort((a, b) => a.eventTime.localeCompare(b.eventTime));
  };
  const reasons = async (ns: string, name: string) => (await eventsOf(ns, name)).map((e) => e.reason);
  const waitForEvent = (ns: string, name: string, what: string, pred: (es: Ev[]) => boolean) =>
    until(
      `${ns}/${name}: ${what}`,
      async () => {
        const es = await eventsOf(ns, name);
        return pred(es) ? es : undefined;
      },
      60_000,
    ).catch(async (e: Error) => {
      throw new Error(`${e.message}; events: ${JSON.stringify((await eventsOf(ns, name)).map((x) => [x.type, x.reason, x.note]))}`, { cause: e });
    });
  const count = (es: Ev[], reason: string) => es.filter((e) => e.reason === reason).length;

  beforeAll(async () => {
    api = kubeApiFromKubeconfig(kubeconfig!);
    await installCrd(api);
    const kc = await operatorKubeconfig(api, inject('cluster'), { serviceAccount: `op-events-${RUN}`, leaseNamespace: NS });
    await api.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: OTHER_NS } });
    op = await spawnOperator({ kubeconfig: kc, identity: IDENTITY, args: ['--watch-namespaces', NS, '--lease-namespace', NS] });
    await until('the operator to be ready', async () => ((await op.ready()) ? true : undefined), 60_000);
  });

  afterAll(async () => {
    if (api) {
      await deletePolicies(api, NS).catch(() => {});
      await deletePolicies(api, OTHER_NS).catch(() => {});
    }
    if (op) expect(await op.stop()).toBe(0);
    if (api) for (const ns of [NS, OTHER_NS]) await api.request('DELETE', `/api/v1/namespaces/${ns}`);
  });

  it('a new policy gets Normal Deployed (naming the DaemonSet and config hash) and Normal Ready', async () => {
    const created = await applyPolicy(api, NS, 'edge', afpacketSpec({ interfaces: ['eth0'], metricsPort: 9490 }));
    const p = await waitForPolicy(api, NS, 'edge', 'Ready on the capture nodes', readyOn(2));
    const hash = (await api.request('GET', `/apis/apps/v1/namespaces/${NS}/daemonsets/tapline-edge`)).body.spec.template.metadata.annotations['tapline.dev/config-hash'];
    const es = await waitForEvent(NS, 'edge', 'Deployed and Ready', (x) => count(x, 'Deployed') === 1 && count(x, 'Ready') === 1);
    expect(es.map((e) => e.reason)).toEqual(['Deployed', 'Ready']);
    const [deployed, ready] = es as [Ev, Ev];
    expect(deployed).toMatchObject({ type: 'Normal', action: 'ApplyAgents' });
    expect(deployed.note).toContain('DaemonSet tapline-edge');
    expect(deployed.note).toContain(hash);
    expect(ready).toMatchObject({ type: 'Normal', action: 'ObserveRollout' });
    expect(ready.note).toContain(condition(p, 'Ready').message);
    for (const e of es) {
      expect(e.regarding).toMatchObject({ apiVersion: 'tapline.dev/v1alpha1', kind: 'SnifferPolicy', name: 'edge', namespace: NS, uid: created.metadata.uid });
      expect(e.reportingController).toBe('tapline.dev/operator');
      expect(e.reportingInstance).toBe(IDENTITY);
      expect(e.metadata.namespace).toBe(NS);
      expect(e.series).toBeUndefined();
    }
    // The same Events through the core API, as `kubectl describe snifferpolicy edge` lists them.
    const core = await api.request('GET', `/api/v1/namespaces/${NS}/events?fieldSelector=${encodeURIComponent(`involvedObject.uid=${created.metadata.uid}`)}`);
    expect((core.body.items as any[]).map((e) => e.reason).sort()).toEqual(['Deployed', 'Ready']);
  });

  it('a spec change gets exactly one more Deployed, with the new config hash', async () => {
    const before = await eventsOf(NS, 'edge');
    await applyPolicy(api, NS, 'edge', afpacketSpec({ interfaces: ['eth0'], metricsPort: 9490, snaplen: 512 }));
    await waitForPolicy(api, NS, 'edge', 'Ready at generation 2', (x) => x.metadata.generation === 2 && readyOn(2)(x));
    const hash = (await api.request('GET', `/apis/apps/v1/namespaces/${NS}/daemonsets/tapline-edge`)).body.spec.template.metadata.annotations['tapline.dev/config-hash'];
    const es = await waitForEvent(NS, 'edge', 'a second Deployed', (x) => count(x, 'Deployed') === 2);
    // Let any straggling reconcile of the rollout finish: still exactly one more.
    await new Promise((r) => setTimeout(r, 3_000));
    const after = await eventsOf(NS, 'edge');
    expect(count(after, 'Deployed')).toBe(count(before, 'Deployed') + 1);
    const newest = es.filter((e) => e.reason === 'Deployed').find((e) => !before.some((b) => b.metadata.name === e.metadata.name))!;
    expect(newest.note).toContain(hash);
    expect(newest.note).toContain('DaemonSet tapline-edge');
  });

  it('the newer of two policies claiming one interface gets a Warning InterfaceConflict; the older none', async () => {
    // creationTimestamp has one-second resolution: make the order unambiguous.
    await new Promise((r) => setTimeout(r, 1100));
    await applyPolicy(api, NS, 'newer', afpacketSpec({ interfaces: ['eth0'], nodeSelector: ALL_LINUX, metricsPort: 9491 }));
    await waitForPolicy(api, NS, 'newer', 'InterfaceConflict and Ready on the free node', (p) => condition(p, 'InterfaceConflict')?.status === 'True' && readyOn(1)(p));
    const es = await waitForEvent(NS, 'newer', 'Warning InterfaceConflict', (x) => count(x, 'InterfaceConflict') === 1 && count(x, 'Ready') === 1);
    const conflict = es.find((e) => e.reason === 'InterfaceConflict')!;
    expect(conflict).toMatchObject({ type: 'Warning', action: 'ResolveConflicts', reportingInstance: IDENTITY });
    expect(conflict.note).toContain(`${NS}/edge`);
    expect(count(es, 'Deployed')).toBe(1);
    expect(await reasons(NS, 'edge')).not.toContain('InterfaceConflict');
  });

  it('a policy outside --watch-namespaces gets a Warning NamespaceNotWatched, once', async () => {
    await applyPolicy(api, OTHER_NS, 'elsewhere', afpacketSpec());
    await waitForPolicy(api, OTHER_NS, 'elsewhere', 'NamespaceNotWatched', (p) => condition(p, 'Ready')?.reason === 'NamespaceNotWatched');
    const es = await waitForEvent(OTHER_NS, 'elsewhere', 'NamespaceNotWatched', (x) => x.length > 0);
    expect(es).toHaveLength(1);
    expect(es[0]).toMatchObject({ type: 'Warning', reason: 'NamespaceNotWatched', action: 'CheckNamespace', reportingInstance: IDENTITY });
    expect(es[0]!.note).toContain(NS);
  });

  it('a steady cluster gets no new Events (and no writes) over a quiet period', async () => {
    await waitForPolicy(api, NS, 'edge', 'Ready', readyOn(2));
    await waitForPolicy(api, NS, 'newer', 'Ready', readyOn(1));
    // Let in-flight events (DaemonSet status, our own status writes) settle.
    await new Promise((r) => setTimeout(r, 5_000));
    const snapshot = async () =>
      Object.fromEntries(
        await Promise.all(
          [
            [NS, 'edge'],
            [NS, 'newer'],
            [OTHER_NS, 'elsewhere'],
          ].map(async ([ns, name]) => [`${ns}/${name}`, (await eventsOf(ns!, name!)).map((e) => `${e.metadata.name}:${e.series?.count ?? 1}`)] as const),
        ),
      );
    const before = await snapshot();
    const writes = await writeRequests(op);
    const recorded = await op.metric('tapline_operator_events_total');
    await new Promise((r) => setTimeout(r, 15_000));
    expect(await snapshot()).toEqual(before);
    expect(await writeRequests(op)).toBe(writes);
    expect(await op.metric('tapline_operator_events_total')).toBe(recorded);
    expect(await op.metric('tapline_operator_api_requests_total', { resource: 'events', verb: 'create' })).toBeGreaterThanOrEqual(6);
    expect(await op.metric('tapline_operator_events_dropped_total')).toBe(0);
  });
});
