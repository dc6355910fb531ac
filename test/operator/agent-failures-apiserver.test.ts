// Agents that cannot start, as the policy's status reports them: `tapline operator` (a process, with
// a token bound to exactly operator/rbac.ts, so it reads pods with the read-only rule) watches its
// agent pods and makes the policy Degraded=True AgentFailing, Ready=False, with each failing node
// and its reason in the message and in status.agentFailures, records a Warning AgentFailing Event,
// writes nothing more while the failure stays the same, and recovers when the pods are healthy.
//
// kwok plays the kubelets here, so the test plays the failing kubelet: it writes the pod status a
// kubelet writes for a crash loop and an image that cannot be pulled (the status subresource, as
// admin). The pods stay in phase Running, which no kwok stage selects (its pod-ready stage takes
// Pending pods only), so kwok leaves the patched status alone; the test checks that it did. An
// agent that fits on no node is real here: the scheduler reports it Unschedulable.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { UNSCHEDULABLE_GRACE_MS } from '../../operator/reconcile/agent-failures.js';
import { clusterKubeconfig, SKIP_REASON, until } from './support/cluster.js';
import { installCrd } from './support/crd-install.js';
import { kubeApiFromKubeconfig, type KubeApi } from './support/kube-api.js';
import { operatorKubeconfig } from './support/operator-identity.js';
import { spawnOperator, writeRequests, type OperatorProcess } from './support/operator-process.js';
import { afpacketSpec, applyPolicy, condition, deletePolicies, getPolicy, readyOn, waitForPolicy } from './support/policies.js';

const kubeconfig = clusterKubeconfig();
const RUN = Date.now().toString(36);
const NS = `op-agentfail-${RUN}`;
const AGENT_MSG = 'tapline agent: capture.interfaces: no such interface "nope"';

interface Pod {
  metadata: { name: string; resourceVersion: string; deletionTimestamp?: string };
  spec: { nodeName?: string; containers: { name: string; image: string }[] };
  status: any;
}

describe.skipIf(!kubeconfig)(`failing agents in the policy status${kubeconfig ? '' : ` (${SKIP_REASON})`}`, () => {
  let api: KubeApi;
  let op: OperatorProcess;

  const pods = async (policy: string): Promise<Pod[]> => {
    const r = await api.request('GET', `/api/v1/namespaces/${NS}/pods?labelSelector=${encodeURIComponent(`app.kubernetes.io/instance=${policy}`)}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return (r.body.items as Pod[]).filter((p) => !p.metadata.deletionTimestamp);
  };
  const podOn = async (policy: string, node: string): Promise<Pod> => {
    const p = (await pods(policy)).find((x) => x.spec.nodeName === node);
    expect(p, `a pod of ${policy} on ${node}`).toBeDefined();
    return p!;
  };
  /** Writes the pod's status as a kubelet would (JSON merge patch: the lists are replaced whole). */
  const setStatus = async (pod: Pod, status: unknown) => {
    const r = await api.request('PATCH', `/api/v1/namespaces/${NS}/pods/${pod.metadata.name}/status`, { status }, { contentType: 'application/merge-patch+json' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as Pod;
  };
  const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const podConditions = (ready: boolean) =>
    ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
      type,
      status: ready || type === 'Initialized' || type === 'PodScheduled' ? 'True' : 'False',
      lastTransitionTime: now(),
      ...(ready || type === 'Initialized' || type === 'PodScheduled' ? {} : { reason: 'ContainersNotReady', message: 'containers with unready status: [agent]' }),
    }));
  const container = (pod: Pod, s: Record<string, unknown>) => ({ name: 'agent', image: pod.spec.containers[0]!.image, imageID: '', ...s });
  /** The agent container waiting (not ready, not started), as the kubelet reports a failing one. */
  const waiting = (pod: Pod, restartCount: number, state: Record<string, unknown>, lastState?: Record<string, unknown>) =>
    setStatus(pod, {
      phase: 'Running',
      conditions: podConditions(false),
      containerStatuses: [container(pod, { ready: false, started: false, restartCount, state: { waiting: state }, ...(lastState ? { lastState } : {}) })],
    });
  const crashLoop = (pod: Pod, restartCount: number, backOff: string) =>
    waiting(
      pod, restartCount,
      { reason: 'CrashLoopBackOff', message: `back-off ${backOff} restarting failed container=agent pod=${pod.metadata.name}` },
      { terminated: { exitCode: 1, reason: 'Error', message: `${AGENT_MSG}\n`, startedAt: now(), finishedAt: now() } },
    );
  const imagePull = (pod: Pod) =>
    waiting(pod, 1, { reason: 'ImagePullBackOff', message: `Back-off pulling image "${pod.spec.containers[0]!.image}"` });
  const healthy = (pod: Pod) =>
    setStatus(pod, {
      phase: 'Running',
      conditions: podConditions(true),
      containerStatuses: [container(pod, { ready: true, started: true, restartCount: 0, state: { running: { startedAt: now() } }, lastState: {} })],
    });

  const eventsOf = async (name: string) => {
    const r = await api.request('GET', `/apis/events.k8s.io/v1/namespaces/${NS}/events`);
    return (r.body.items as any[]).filter((e) => e.regarding?.kind === 'SnifferPolicy' && e.regarding.name === name);
  };

  beforeAll(async () => {
    api = kubeApiFromKubeconfig(kubeconfig!);
    await installCrd(api);
    const kc = await operatorKubeconfig(api, inject('cluster'), { serviceAccount: `op-agentfail-${RUN}`, leaseNamespace: NS });
    op = await spawnOperator({ kubeconfig: kc, identity: `agentfail-${RUN}`, args: ['--lease-namespace', NS, '--watch-namespaces', NS] });
    await until('the operator to be ready', async () => ((await op.ready()) ? true : undefined), 60_000);
  });

  afterAll(async () => {
    if (api) await deletePolicies(api, NS).catch(() => {});
    if (op) expect(await op.stop()).toBe(0);
    if (api) await api.request('DELETE', `/api/v1/namespaces/${NS}`);
  });

  it('a crash-looping agent and one whose image cannot be pulled: Degraded AgentFailing with each node and reason, not Ready, a Warning Event', async () => {
    await applyPolicy(api, NS, 'flaky', afpacketSpec({ metricsPort: 9470 }));
    await waitForPolicy(api, NS, 'flaky', 'Ready on the 2 capture nodes', readyOn(2));
    const image = (await podOn('flaky', 'kwok-node-0')).spec.containers[0]!.image;

    await crashLoop(await podOn('flaky', 'kwok-node-0'), 3, '40s');
    await imagePull(await podOn('flaky', 'kwok-node-1'));
    const want = `kwok-node-0: CrashLoopBackOff: ${AGENT_MSG} (exit 1); kwok-node-1: ImagePullBackOff: cannot pull image "${image}"`;
    const p = await waitForPolicy(api, NS, 'flaky', 'Degraded on both nodes', (x) => condition(x, 'Degraded')?.message === want, 60_000);
    expect(condition(p, 'Degraded')).toMatchObject({ status: 'True', reason: 'AgentFailing', observedGeneration: 1 });
    expect(condition(p, 'Ready')).toMatchObject({ status: 'False', reason: 'AgentFailing' });
    expect(condition(p, 'Ready').message).toMatch(/, 2 failing \(see Degraded\)$/);
    const [pod0, pod1] = [await podOn('flaky', 'kwok-node-0'), await podOn('flaky', 'kwok-node-1')];
    expect(p.status.agentFailures).toEqual([
      { nodeName: 'kwok-node-0', pod: pod0.metadata.name, reason: 'CrashLoopBackOff', message: AGENT_MSG, exitCode: 1 },
      { nodeName: 'kwok-node-1', pod: pod1.metadata.name, reason: 'ImagePullBackOff', message: `cannot pull image "${image}"` },
    ]);
    // kwok left the kubelet's status as written (no stage selects a Running pod).
    expect(pod0.status.containerStatuses[0].state.waiting.reason).toBe('CrashLoopBackOff');
    expect(pod1.status.containerStatuses[0].state.waiting.reason).toBe('ImagePullBackOff');

    const events = await until('a Warning AgentFailing Event', async () => {
      const es = (await eventsOf('flaky')).filter((e) => e.reason === 'AgentFailing');
      return es.some((e) => e.note === want) ? es : undefined;
    });
    expect(events.find((e) => e.note === want)).toMatchObject({ type: 'Warning', action: 'ObserveAgents', reportingController: 'tapline.dev/operator' });
  });

  it('the same failure crashing again (restart count, back-off) writes nothing', async () => {
    const before = await getPolicy(api, NS, 'flaky');
    expect(condition(before, 'Degraded').reason).toBe('AgentFailing');
    // Let the writes of the transition (status, Event) land before counting.
    await new Promise((r) => setTimeout(r, 2_000));
    const writes = await writeRequests(op);
    const reconciles = await op.metric('tapline_operator_reconcile_total');
    const crashed = await crashLoop(await podOn('flaky', 'kwok-node-0'), 4, '1m20s');
    expect(crashed.status.containerStatuses[0].restartCount).toBe(4);
    // The pod event was seen and reconciled...
    await until('a reconcile after the pod update', async () => ((await op.metric('tapline_operator_reconcile_total')) > reconciles ? true : undefined));
    await new Promise((r) => setTimeout(r, 2_000));
    // ...and found nothing to write.
    expect(await writeRequests(op)).toBe(writes);
    const after = await getPolicy(api, NS, 'flaky');
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect((await podOn('flaky', 'kwok-node-0')).status.containerStatuses[0].state.waiting.reason).toBe('CrashLoopBackOff');
  });

  it('recovers when the agents run again: Degraded False, Ready True, no failures listed', async () => {
    await healthy(await podOn('flaky', 'kwok-node-0'));
    const one = await waitForPolicy(api, NS, 'flaky', 'only kwok-node-1 failing', (x) => x.status?.agentFailures?.length === 1);
    expect(one.status.agentFailures[0].nodeName).toBe('kwok-node-1');
    expect(condition(one, 'Ready').status).toBe('False');
    await healthy(await podOn('flaky', 'kwok-node-1'));
    const p = await waitForPolicy(api, NS, 'flaky', 'Ready again', (x) => readyOn(2)(x) && condition(x, 'Degraded')?.status === 'False');
    expect(condition(p, 'Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected' });
    expect(p.status.agentFailures).toBeUndefined();
  });

  it('an agent that fits on no node is reported Unschedulable, on the node it is meant for, after the grace period', async () => {
    // More CPU than a kwok node has (32): the scheduler leaves the pods Pending, Unschedulable.
    // (Another interface than flaky's, which holds eth0 on these nodes.)
    await applyPolicy(api, NS, 'too-big', { ...afpacketSpec({ metricsPort: 9471 }), capture: { backend: 'afpacket', interfaces: ['eth1'], resources: { cpu: '100' } } });
    const p = await waitForPolicy(api, NS, 'too-big', 'Degraded Unschedulable', (x) => x.status?.agentFailures?.length === 2, 90_000);
    expect(p.status.agentFailures.map((f: any) => [f.nodeName, f.reason])).toEqual([
      ['kwok-node-0', 'Unschedulable'],
      ['kwok-node-1', 'Unschedulable'],
    ]);
    for (const f of p.status.agentFailures) expect(f.message).toMatch(/Insufficient cpu/);
    expect(condition(p, 'Degraded')).toMatchObject({ status: 'True', reason: 'AgentFailing' });
    expect(condition(p, 'Degraded').message).toMatch(/^kwok-node-0, kwok-node-1: Unschedulable: .*Insufficient cpu/);
    expect(condition(p, 'Ready').status).toBe('False');
    // Not before the grace period: Degraded turned True at least that long after the scheduler's verdict.
    const scheduled = (await pods('too-big')).map((x) => Date.parse(x.status.conditions.find((c: any) => c.type === 'PodScheduled').lastTransitionTime));
    const degradedAt = Date.parse(condition(p, 'Degraded').lastTransitionTime);
    expect(degradedAt - Math.max(...scheduled)).toBeGreaterThanOrEqual(UNSCHEDULABLE_GRACE_MS - 1_000);
  });
});
