// Agent failures read from pod states (operator/reconcile/agent-failures.ts), the status they make
// (Degraded=True AgentFailing, Ready=False, status.agentFailures) and the Event on the transition.
// Pods here are what a kubelet reports in each phase of a failure; the API-server test
// (agent-failures-apiserver.test.ts) runs the same through the operator process.
import { describe, expect, it } from 'vitest';
import { agentFailures, CRASH_LOOP_WINDOW_MS, failureMessage, oneLine, podFailure, UNSCHEDULABLE_GRACE_MS } from '../../operator/reconcile/agent-failures.js';
import { statusEvents } from '../../operator/reconcile/events.js';
import type { ObservedContainerStatus, ObservedDaemonSet, ObservedPod } from '../../operator/reconcile/observed.js';
import { buildStatus, sameStatus } from '../../operator/reconcile/status.js';

const NOW = new Date('2025-01-01T00:10:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const IMAGE = 'ghcr.io/tapline/agent:0.1.0';
const AGENT_MSG = 'tapline agent: capture.interfaces: no such interface "nope"';

function pod(name: string, node: string | undefined, cs?: Partial<ObservedContainerStatus>, extra: Partial<NonNullable<ObservedPod['status']>> = {}, bound = true): ObservedPod {
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, resourceVersion: '1', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'tapline-p', uid: 'ds', controller: true }] },
    spec: {
      ...(bound && node ? { nodeName: node } : {}),
      ...(node
        ? { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } } } }
        : {}),
    },
    status: { phase: cs ? 'Running' : 'Pending', ...(cs ? { containerStatuses: [{ name: 'agent', image: IMAGE, ready: false, restartCount: 0, ...cs }] } : {}), ...extra },
  };
}

const crashLooping = (name: string, node: string, message = `${AGENT_MSG}\n`) =>
  pod(name, node, {
    restartCount: 4,
    state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=agent pod=x' } },
    lastState: { terminated: { exitCode: 1, reason: 'Error', message } },
  });
const healthy = (name: string, node: string) => pod(name, node, { ready: true, state: { running: { startedAt: ago(60_000) } } });

function ds(desired: number, ready: number): ObservedDaemonSet {
  return { metadata: { name: 'tapline-p', namespace: 'ns', uid: 'ds', resourceVersion: '7', generation: 1 }, spec: {}, status: { observedGeneration: 1, desiredNumberScheduled: desired, numberReady: ready, updatedNumberScheduled: desired } };
}
const cond = (s: ReturnType<typeof buildStatus>, type: string) => s.conditions!.find((c) => c.type === type)!;

describe('podFailure', () => {
  it('a crash loop is CrashLoopBackOff with the last termination message and exit code, in every phase of its cycle', () => {
    const waiting = podFailure(crashLooping('a', 'node-a'), NOW).failure;
    expect(waiting).toEqual({ nodeName: 'node-a', pod: 'a', reason: 'CrashLoopBackOff', message: AGENT_MSG, exitCode: 1 });
    // Restarted, running but not ready yet: the same failure (no flapping status).
    const running = podFailure(
      pod('a', 'node-a', { restartCount: 5, state: { running: { startedAt: ago(2_000) } }, lastState: { terminated: { exitCode: 1, reason: 'Error', message: AGENT_MSG } } }),
      NOW,
    );
    expect(running.failure).toEqual(waiting);
    expect(running.recheckInMs).toBe(CRASH_LOOP_WINDOW_MS - 2_000);
    // Just exited.
    expect(podFailure(pod('a', 'node-a', { restartCount: 5, state: { terminated: { exitCode: 1, reason: 'Error', message: AGENT_MSG } } }), NOW).failure).toEqual(waiting);
    // Running long enough after the last crash, or ready: not failing.
    expect(podFailure(pod('a', 'node-a', { restartCount: 5, state: { running: { startedAt: ago(CRASH_LOOP_WINDOW_MS + 1) } }, lastState: { terminated: { exitCode: 1 } } }), NOW).failure).toBeUndefined();
    expect(podFailure(pod('a', 'node-a', { ready: true, restartCount: 5, state: { running: { startedAt: ago(1_000) } }, lastState: { terminated: { exitCode: 1 } } }), NOW).failure).toBeUndefined();
  });

  it('without a message of its own, the kubelet reason (OOMKilled) or nothing; a signal is its exit code', () => {
    const oom = podFailure(pod('a', 'n', { restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }), NOW).failure;
    expect(oom).toEqual({ nodeName: 'n', pod: 'a', reason: 'CrashLoopBackOff', message: 'OOMKilled', exitCode: 137 });
    const segv = podFailure(pod('a', 'n', { restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 139, reason: 'Error' } } }), NOW).failure;
    expect(segv).toEqual({ nodeName: 'n', pod: 'a', reason: 'CrashLoopBackOff', exitCode: 139 });
  });

  it('ErrImagePull and ImagePullBackOff are both ImagePullBackOff, naming the image (the kubelet alternates them)', () => {
    const a = podFailure(pod('a', 'n', { state: { waiting: { reason: 'ErrImagePull', message: 'rpc error: code = NotFound desc = failed to pull and unpack image' } } }), NOW).failure;
    const b = podFailure(pod('a', 'n', { state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${IMAGE}"` } } }), NOW).failure;
    expect(a).toEqual({ nodeName: 'n', pod: 'a', reason: 'ImagePullBackOff', message: `cannot pull image "${IMAGE}"` });
    expect(b).toEqual(a);
  });

  it('config and create errors carry the kubelet message; starting containers are not failures', () => {
    expect(podFailure(pod('a', 'n', { state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "nats-creds" not found' } } }), NOW).failure).toEqual({
      nodeName: 'n',
      pod: 'a',
      reason: 'CreateContainerConfigError',
      message: 'secret "nats-creds" not found',
    });
    for (const reason of ['ErrImageNeverPull', 'CreateContainerError', 'InvalidImageName', 'RunContainerError']) {
      expect(podFailure(pod('a', 'n', { state: { waiting: { reason } } }), NOW).failure?.reason).toBe(reason);
    }
    for (const reason of ['ContainerCreating', 'PodInitializing']) expect(podFailure(pod('a', 'n', { state: { waiting: { reason } } }), NOW).failure).toBeUndefined();
    expect(podFailure(healthy('a', 'n'), NOW).failure).toBeUndefined();
  });

  it('Unschedulable counts after a grace period (and says when to look again), on the node the DaemonSet meant', () => {
    const msg = '0/3 nodes are available: 1 Insufficient example.com/vf. preemption: 0/3 nodes are available: 1 No preemption victims found.';
    const stuck = (since: number) =>
      pod('a', 'node-c', undefined, { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: msg, lastTransitionTime: ago(since) }] }, false);
    expect(podFailure(stuck(5_000), NOW)).toEqual({ recheckInMs: UNSCHEDULABLE_GRACE_MS - 5_000 });
    expect(podFailure(stuck(UNSCHEDULABLE_GRACE_MS), NOW).failure).toEqual({
      nodeName: 'node-c',
      pod: 'a',
      reason: 'Unschedulable',
      message: '0/3 nodes are available: 1 Insufficient example.com/vf.',
    });
    // Pending without a verdict from the scheduler yet: nothing.
    expect(podFailure(pod('a', 'node-c', undefined, {}, false), NOW)).toEqual({});
  });
});

describe('oneLine', () => {
  it('takes the last line of a log tail (FallbackToLogsOnError), the msg of a pino line, and cuts it', () => {
    expect(oneLine('starting\nconnecting\ntapline agent: NATS is unreachable\n\n')).toBe('tapline agent: NATS is unreachable');
    expect(oneLine('{"level":60,"time":1,"msg":"the flow engine failed: boom"}')).toBe('the flow engine failed: boom');
    expect(oneLine('{not json')).toBe('{not json');
    expect(oneLine('x'.repeat(1000))!.length).toBe(256);
    expect(oneLine('  \n')).toBeUndefined();
  });
});

describe('agentFailures', () => {
  it('one entry per failing node, sorted; deleted and finished pods left out; the message names each node and reason', () => {
    const deleting = { ...crashLooping('z', 'node-z'), metadata: { ...crashLooping('z', 'node-z').metadata, deletionTimestamp: ago(1) } };
    const v = agentFailures(
      [
        healthy('p3', 'node-c'),
        pod('p2', 'node-b', { state: { waiting: { reason: 'ImagePullBackOff' } } }),
        crashLooping('p1', 'node-a'),
        deleting,
        { ...crashLooping('old', 'node-d'), status: { ...crashLooping('old', 'node-d').status, phase: 'Failed' } },
      ],
      NOW,
    );
    expect(v.listed.map((f) => [f.nodeName, f.reason])).toEqual([
      ['node-a', 'CrashLoopBackOff'],
      ['node-b', 'ImagePullBackOff'],
    ]);
    expect(v.total).toBe(2);
    expect(v.message).toBe(`node-a: CrashLoopBackOff: ${AGENT_MSG} (exit 1); node-b: ImagePullBackOff: cannot pull image "${IMAGE}"`);
  });

  it('groups nodes with the same failure and stays short for many nodes', () => {
    const many = Array.from({ length: 70 }, (_, i) => crashLooping(`p${i}`, `node-${String(i).padStart(2, '0')}`));
    const v = agentFailures(many, NOW);
    expect(v.total).toBe(70);
    expect(v.listed).toHaveLength(64);
    expect(v.message).toBe(`node-00, node-01, node-02, node-03, node-04 and 65 more: CrashLoopBackOff: ${AGENT_MSG} (exit 1)`);
    const mixed = failureMessage(Array.from({ length: 10 }, (_, i) => ({ nodeName: `n${i}`, pod: `p${i}`, reason: `R${i}` })));
    expect(mixed.split('; ')).toHaveLength(9);
    expect(mixed).toMatch(/; 2 more failing agent\(s\) \(see status.agentFailures\)$/);
  });
});

describe('status and events with failing agents', () => {
  const input = (pods: ObservedPod[], ready: number) => ({
    generation: 1,
    paused: false,
    daemonSet: ds(2, ready),
    conflicts: undefined,
    ...(agentFailures(pods, NOW).total ? { agentFailures: agentFailures(pods, NOW) } : {}),
  });

  it('Degraded=True AgentFailing and Ready=False, even while the DaemonSet still counts the agent ready; then recovers', () => {
    const ok = buildStatus(input([healthy('a', 'node-a'), healthy('b', 'node-b')], 2), undefined, NOW);
    expect(cond(ok, 'Ready').status).toBe('True');
    const failing = buildStatus(input([crashLooping('a', 'node-a'), healthy('b', 'node-b')], 2), ok, NOW);
    expect(cond(failing, 'Degraded')).toMatchObject({ status: 'True', reason: 'AgentFailing', message: `node-a: CrashLoopBackOff: ${AGENT_MSG} (exit 1)` });
    expect(cond(failing, 'Ready')).toMatchObject({ status: 'False', reason: 'AgentFailing', message: '1 of 2 agents ready, 1 failing (see Degraded)' });
    expect(failing.agentFailures).toEqual([{ nodeName: 'node-a', pod: 'a', reason: 'CrashLoopBackOff', message: AGENT_MSG, exitCode: 1 }]);
    expect(statusEvents(ok, failing)).toEqual([{ type: 'Warning', reason: 'AgentFailing', action: 'ObserveAgents', note: cond(failing, 'Degraded').message }]);

    // Another crash of the same agent (restart count up, the back-off message changed): nothing to write.
    const again = crashLooping('a', 'node-a');
    again.status!.containerStatuses![0]!.restartCount = 9;
    const same = buildStatus(input([again, healthy('b', 'node-b')], 1), failing, NOW);
    expect(sameStatus(failing, buildStatus(input([again, healthy('b', 'node-b')], 2), failing, NOW))).toBe(true);
    expect(statusEvents(failing, buildStatus(input([again, healthy('b', 'node-b')], 2), failing, NOW))).toEqual([]);
    expect(cond(same, 'Degraded').lastTransitionTime).toBe(cond(failing, 'Degraded').lastTransitionTime);

    // A second node fails: a new Event with both.
    const both = buildStatus(input([crashLooping('a', 'node-a'), pod('b', 'node-b', { state: { waiting: { reason: 'ImagePullBackOff' } } })], 0), failing, NOW);
    expect(statusEvents(failing, both).map((e) => e.note)).toEqual([`node-a: CrashLoopBackOff: ${AGENT_MSG} (exit 1); node-b: ImagePullBackOff: cannot pull image "${IMAGE}"`]);

    const recovered = buildStatus(input([healthy('a', 'node-a'), healthy('b', 'node-b')], 2), both, NOW);
    expect(cond(recovered, 'Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected' });
    expect(cond(recovered, 'Ready').status).toBe('True');
    expect(recovered.agentFailures).toBeUndefined();
    expect(statusEvents(both, recovered).map((e) => e.reason)).toEqual(['Ready']);
  });

  it('an apply the API server refuses is still the Degraded reason; failing agents still listed', () => {
    const s = buildStatus({ ...input([crashLooping('a', 'node-a')], 1), applyError: 'forbidden' }, undefined, NOW);
    expect(cond(s, 'Degraded').reason).toBe('ApplyFailed');
    expect(s.agentFailures).toHaveLength(1);
  });
});
