// Status rebuilt from observation, compared without lastTransitionTime; the "already as desired?"
// test that lets a steady cluster go without writes.
import { describe, expect, it } from 'vitest';
import { buildStatus, sameStatus } from '../../operator/reconcile/status.js';
import { APPLIED_HASH_ANNOTATION, isSubset, isUpToDate, withAppliedHash } from '../../operator/reconcile/compare.js';
import type { ObservedDaemonSet } from '../../operator/reconcile/observed.js';

function ds(generation: number, status: NonNullable<ObservedDaemonSet['status']>): ObservedDaemonSet {
  return { metadata: { name: 'tapline-p', namespace: 'ns', uid: 'u', resourceVersion: '7', generation }, spec: {}, status };
}

const T1 = new Date('2025-01-01T00:00:00Z');
const T2 = new Date('2025-01-01T00:05:00Z');
const cond = (s: ReturnType<typeof buildStatus>, type: string) => s.conditions!.find((c) => c.type === type)!;

describe('buildStatus', () => {
  it('is Ready with the counts when the DaemonSet has rolled out and every agent is ready', () => {
    const s = buildStatus({ generation: 3, paused: false, daemonSet: ds(2, { observedGeneration: 2, desiredNumberScheduled: 4, numberReady: 4, updatedNumberScheduled: 4 }), conflicts: undefined }, undefined, T1);
    expect(s).toMatchObject({ observedGeneration: 3, desiredNodes: 4, readyNodes: 4, updatedNodes: 4, daemonSetName: 'tapline-p' });
    expect(cond(s, 'Ready')).toMatchObject({ status: 'True', reason: 'AgentsReady', observedGeneration: 3, lastTransitionTime: '2025-01-01T00:00:00Z' });
    expect(cond(s, 'Progressing')).toMatchObject({ status: 'False', reason: 'RolloutComplete' });
    expect(cond(s, 'Degraded').status).toBe('False');
  });

  it('is Progressing, not Ready, while the DaemonSet controller has not seen the new template or pods are old', () => {
    const stale = buildStatus({ generation: 1, paused: false, daemonSet: ds(2, { observedGeneration: 1, desiredNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 2 }), conflicts: undefined }, undefined, T1);
    expect(cond(stale, 'Ready').status).toBe('False');
    expect(cond(stale, 'Progressing')).toMatchObject({ status: 'True', reason: 'RollingOut' });
    const half = buildStatus({ generation: 1, paused: false, daemonSet: ds(2, { observedGeneration: 2, desiredNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 1 }), conflicts: undefined }, undefined, T1);
    expect(cond(half, 'Ready').reason).toBe('AgentsNotReady');
    const none = buildStatus({ generation: 1, paused: false, daemonSet: ds(1, { observedGeneration: 1, desiredNumberScheduled: 0 }), conflicts: undefined }, undefined, T1);
    expect(cond(none, 'Ready').reason).toBe('NoNodesSelected');
  });

  it('reports a blocked policy as Degraded with the reason on every condition', () => {
    const s = buildStatus({ generation: 5, paused: false, daemonSet: undefined, conflicts: undefined, blocked: { reason: 'InvalidSpec', message: 'spec.x: bad' } }, undefined, T1);
    expect(s.conditions!.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'False', 'InvalidSpec'],
      ['Progressing', 'False', 'InvalidSpec'],
      ['Degraded', 'True', 'InvalidSpec'],
    ]);
    expect(s.desiredNodes).toBeUndefined();
  });

  it('keeps lastTransitionTime while a condition keeps its status, and compares equal without it', () => {
    const input = { generation: 1, paused: false, daemonSet: ds(1, { observedGeneration: 1, desiredNumberScheduled: 1, numberReady: 1, updatedNumberScheduled: 1 }), conflicts: undefined };
    const first = buildStatus(input, undefined, T1);
    const again = buildStatus(input, first, T2);
    expect(again).toEqual(first);
    expect(sameStatus(first, again)).toBe(true);
    const notReady = buildStatus({ ...input, daemonSet: ds(1, { observedGeneration: 1, desiredNumberScheduled: 1, numberReady: 0, updatedNumberScheduled: 1 }) }, first, T2);
    expect(cond(notReady, 'Ready').lastTransitionTime).toBe('2025-01-01T00:05:00Z');
    expect(cond(notReady, 'Degraded').lastTransitionTime).toBe('2025-01-01T00:00:00Z');
    expect(sameStatus(first, notReady)).toBe(false);
    expect(sameStatus(first, { ...first, conflicts: [{ nodeName: 'n', device: 'eth0', policy: 'a/b' }] })).toBe(false);
    // As read back from the API server: the same values with keys in another order.
    const reordered = JSON.parse(JSON.stringify(first, Object.keys({ ...first, ...first.conditions![0] }).sort()));
    expect(Object.keys(reordered.conditions[0])).not.toEqual(Object.keys(first.conditions![0]!));
    expect(sameStatus(reordered, again)).toBe(true);
  });
});

describe('isUpToDate', () => {
  it('ignores server defaults and other managers\' fields, but not a changed or missing field of ours', () => {
    expect(isSubset({ a: 1, b: [{ c: 'x' }] }, { a: 1, z: 2, b: [{ c: 'x', d: 'default' }] })).toBe(true);
    expect(isSubset({ b: [{ c: 'x' }] }, { b: [{ c: 'x' }, { c: 'y' }] })).toBe(false);
    expect(isSubset({ a: { b: 1 } }, { a: { b: 2 } })).toBe(false);
    expect(isSubset({ a: 1 }, {})).toBe(false);
  });

  it('needs the applied-hash annotation of the desired object too (catches fields we stopped setting)', () => {
    const desired = withAppliedHash({ metadata: { name: 'x', annotations: { keep: 'me' } }, data: { k: 'v' } });
    expect((desired.metadata.annotations as Record<string, string>)[APPLIED_HASH_ANNOTATION]).toMatch(/^[0-9a-f]{16}$/);
    const observed = { metadata: { ...desired.metadata, resourceVersion: '9' }, data: { k: 'v' } };
    expect(isUpToDate(desired, observed)).toBe(true);
    expect(isUpToDate(desired, undefined)).toBe(false);
    // Items of a list (what informers cache) carry no apiVersion/kind.
    const cm: { apiVersion: string; kind: string; metadata: { name: string; annotations?: Record<string, string> }; data: Record<string, string> } = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x' },
      data: { k: 'v' },
    };
    const withKind = withAppliedHash(cm);
    expect(isUpToDate(withKind, { metadata: { ...withKind.metadata, uid: 'u' }, data: { k: 'v' } })).toBe(true);
    const old = withAppliedHash({ metadata: { name: 'x', annotations: { keep: 'me' } }, data: { k: 'v', gone: 'soon' } });
    expect(isUpToDate(desired, { ...old, metadata: { ...old.metadata } })).toBe(false);
  });
});
