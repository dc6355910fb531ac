// Node selection as the DaemonSet controller decides it, device conflicts between policies (the
// older policy keeps a device), and keeping a DaemonSet off the nodes a policy lost.
import { describe, expect, it } from 'vitest';
import { API_VERSION, KIND, parsePolicy } from '../../operator/api/policy.js';
import { excludeNodes } from '../../operator/render/exclude-nodes.js';
import { renderPolicy } from '../../operator/render/index.js';
import { conflictsOf } from '../../operator/reconcile/conflicts.js';
import { selectsNode } from '../../operator/reconcile/node-selection.js';
import type { ObservedNode } from '../../operator/reconcile/observed.js';
import { settings } from './support/render-fixtures.js';

function node(name: string, labels: Record<string, string>, taints: NonNullable<NonNullable<ObservedNode['spec']>['taints']> = []): ObservedNode {
  return { metadata: { name, uid: name, resourceVersion: '1', labels: { 'kubernetes.io/os': 'linux', ...labels } }, spec: { taints } };
}

function policy(name: string, created: string, capture: unknown, nodeSelector?: unknown, metricsPort?: number) {
  return parsePolicy({
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, generation: 1, creationTimestamp: created },
    spec: { ...(nodeSelector ? { nodeSelector } : {}), capture, export: { natsUrl: 'nats://n:4222' }, ...(metricsPort ? { metricsPort } : {}) },
  });
}

const NODES = [node('n0', { zone: 'a', capture: 'true' }), node('n1', { zone: 'b', capture: 'true' }), node('n2', { zone: 'b' })];

describe('selectsNode', () => {
  it('applies matchLabels, matchExpressions, the Linux label and untolerated taints', () => {
    const spec = { nodeSelector: { matchLabels: { capture: 'true' }, matchExpressions: [{ key: 'zone', operator: 'In' as const, values: ['b'] }] } };
    expect(NODES.filter((n) => selectsNode(spec, n)).map((n) => n.metadata.name)).toEqual(['n1']);
    expect(selectsNode({}, node('win', { 'kubernetes.io/os': 'windows' }))).toBe(false);
    expect(selectsNode({ nodeSelector: { matchExpressions: [{ key: 'capture', operator: 'DoesNotExist' }] } }, NODES[2]!)).toBe(true);
    expect(selectsNode({ nodeSelector: { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] } }, NODES[0]!)).toBe(false);
    const tainted = node('t', {}, [{ key: 'dedicated', value: 'capture', effect: 'NoSchedule' }]);
    expect(selectsNode({}, tainted)).toBe(false);
    expect(selectsNode({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'capture' }] }, tainted)).toBe(true);
    expect(selectsNode({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'other' }] }, tainted)).toBe(false);
    expect(selectsNode({ tolerations: [{ operator: 'Exists' }] }, tainted)).toBe(true);
    expect(selectsNode({}, node('p', {}, [{ key: 'x', effect: 'PreferNoSchedule' }]))).toBe(true);
    expect(selectsNode({}, node('u', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]))).toBe(true);
    // DaemonSets tolerate not-ready only as NoExecute: a node still tainted not-ready:NoSchedule gets no agent yet.
    expect(selectsNode({}, node('nr', {}, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]))).toBe(true);
    expect(selectsNode({}, node('nr', {}, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }]))).toBe(false);
  });
});

describe('conflictsOf', () => {
  // Each on its own metrics port: these cases are about interfaces (host ports are below).
  const eth0All = policy('old', '2025-01-01T00:00:00Z', { backend: 'afpacket', interfaces: ['eth0'] }, undefined, 9501);
  const eth0Capture = policy('new', '2025-02-01T00:00:00Z', { backend: 'afpacket', interfaces: ['eth0', 'eth1'] }, { matchLabels: { capture: 'true' } }, 9502);
  const eth1 = policy('eth1', '2024-01-01T00:00:00Z', { backend: 'afpacket', interfaces: ['eth1'] }, { matchLabels: { zone: 'a' } }, 9503);

  it('lets the older policy keep the device; the newer loses it on the shared nodes only', () => {
    const newer = conflictsOf(eth0Capture, [eth0All, eth1], NODES);
    expect(newer.excludedNodes).toEqual(['n0', 'n1']);
    expect(newer.lost).toEqual([
      { nodeName: 'n0', device: 'eth0', policy: 'ns/old' },
      { nodeName: 'n0', device: 'eth1', policy: 'ns/eth1' },
      { nodeName: 'n1', device: 'eth0', policy: 'ns/old' },
    ]);
    const older = conflictsOf(eth0All, [eth0Capture, eth1], NODES);
    expect(older.excludedNodes).toEqual([]);
    expect(older.lost).toEqual([]);
    expect(older.winsOver).toEqual(['ns/new']);
  });

  it('counts an AF_PACKET agent\'s metrics port (host network) as a device: two policies on one port conflict', () => {
    const a = policy('a', '2025-01-01T00:00:00Z', { backend: 'afpacket', interfaces: ['eth0'] });
    const b = policy('b', '2025-02-01T00:00:00Z', { backend: 'afpacket', interfaces: ['eth1'] }, { matchLabels: { zone: 'b' } });
    expect(conflictsOf(b, [a], NODES).lost).toEqual([
      { nodeName: 'n1', device: 'hostPort/9464', policy: 'ns/a' },
      { nodeName: 'n2', device: 'hostPort/9464', policy: 'ns/a' },
    ]);
    const c = policy('c', '2025-02-01T00:00:00Z', { backend: 'afpacket', interfaces: ['eth1'] }, undefined, 9465);
    expect(conflictsOf(c, [a], NODES).lost).toEqual([]);
    // DPDK agents are not in the host network: no port claim.
    const d = policy('d', '2025-02-01T00:00:00Z', { backend: 'dpdk', pciAddresses: ['0000:3b:02.0'], privileged: true, hugepages: { amount: '1Gi' } });
    expect(conflictsOf(d, [a], NODES).lost).toEqual([]);
  });

  it('breaks a creation-time tie by namespace/name, and ignores SR-IOV resources (one VF per pod)', () => {
    const a = policy('a', '2025-01-01T00:00:00Z', { backend: 'afpacket', interfaces: ['eth0'] });
    const b = policy('b', '2025-01-01T00:00:00Z', { backend: 'afpacket', interfaces: ['eth0'] });
    expect(conflictsOf(a, [b], NODES).excludedNodes).toEqual([]);
    expect(conflictsOf(b, [a], NODES).excludedNodes).toEqual(['n0', 'n1', 'n2']);
    const vf = (n: string, t: string) => policy(n, t, { backend: 'dpdk', sriovResourceName: 'intel.com/vf', hugepages: { amount: '1Gi' } });
    expect(conflictsOf(vf('y', '2025-02-01T00:00:00Z'), [vf('x', '2025-01-01T00:00:00Z')], NODES).lost).toEqual([]);
    const pci = (n: string, t: string) => policy(n, t, { backend: 'dpdk', pciAddresses: ['0000:3b:02.0'], privileged: true, hugepages: { amount: '1Gi' } });
    expect(conflictsOf(pci('y', '2025-02-01T00:00:00Z'), [pci('x', '2025-01-01T00:00:00Z')], NODES).lost.map((l) => l.device)).toEqual(['0000:3b:02.0', '0000:3b:02.0', '0000:3b:02.0']);
  });
});

describe('excludeNodes', () => {
  it('adds one metadata.name NotIn requirement per node to the existing node selector term', () => {
    const p = policy('x', '2025-01-01T00:00:00Z', { backend: 'afpacket', interfaces: ['eth0'] }, { matchExpressions: [{ key: 'zone', operator: 'Exists' }] });
    const ds = renderPolicy(p, settings()).daemonSet;
    expect(excludeNodes(ds, [])).toBe(ds);
    const out = excludeNodes(ds, ['n1', 'n0']);
    expect(out.spec.template.spec.affinity!.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      {
        matchExpressions: [{ key: 'zone', operator: 'Exists' }],
        matchFields: [
          { key: 'metadata.name', operator: 'NotIn', values: ['n0'] },
          { key: 'metadata.name', operator: 'NotIn', values: ['n1'] },
        ],
      },
    ]);
    expect(ds.spec.template.spec.affinity!.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]!.matchFields).toBeUndefined();
  });
});
