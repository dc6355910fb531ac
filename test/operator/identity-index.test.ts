// The operator's identity map, pure (operator/identity/identity-index.ts): hand-built objects,
// explicit clock values, exact published values, and what an agent's IdentityMap makes of them.
import { describe, expect, it } from 'vitest';

import { IdentityMap } from '../../agent/identity/identity-map.js';
import { RANGES_KEY, addressKey, type IdentityValue } from '../../agent/identity/identity-value.js';
import { IdentityIndex } from '../../operator/identity/identity-index.js';
import type { IdentityEndpointSlice, IdentityNode, IdentityOwned, IdentityPod, IdentityService } from '../../operator/identity/objects.js';

const T0 = Date.parse('2026-01-10T10:00:00Z');
const at = (s: number) => T0 + s * 1000;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

interface PodSpec {
  name: string;
  ns?: string;
  uid?: string;
  ip?: string | string[];
  node?: string;
  owner?: { kind: string; name: string };
  created?: number;
  started?: number;
  /** PodReadyToStartContainers=True at. */
  netReady?: number;
  phase?: string;
  finishedAt?: number[];
  hostNetwork?: boolean;
}

function pod(s: PodSpec): IdentityPod {
  const ips = s.ip === undefined ? [] : Array.isArray(s.ip) ? s.ip : [s.ip];
  return {
    metadata: {
      name: s.name,
      namespace: s.ns ?? 'default',
      uid: s.uid ?? `uid-${s.name}`,
      resourceVersion: '1',
      ...(s.created !== undefined ? { creationTimestamp: iso(s.created) } : {}),
      ...(s.owner ? { ownerReferences: [{ ...s.owner, uid: `uid-${s.owner.name}`, controller: true }] } : {}),
    },
    spec: { ...(s.node ? { nodeName: s.node } : {}), ...(s.hostNetwork ? { hostNetwork: true } : {}) },
    status: {
      phase: s.phase ?? 'Running',
      ...(ips.length ? { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) } : {}),
      ...(s.started !== undefined ? { startTime: iso(s.started) } : {}),
      ...(s.netReady !== undefined ? { conditions: [{ type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: iso(s.netReady) }] } : {}),
      ...(s.finishedAt ? { containerStatuses: s.finishedAt.map((f) => ({ state: { terminated: { finishedAt: iso(f) } } })) } : {}),
    },
  };
}

function owned(name: string, owner: { kind: string; name: string }, ns = 'default'): IdentityOwned {
  return { metadata: { name, namespace: ns, uid: `uid-${name}`, resourceVersion: '1', ownerReferences: [{ ...owner, uid: `uid-${owner.name}`, controller: true }] } };
}

function node(name: string, addresses: Array<[string, string]>, podCIDRs: string[] = [], created = at(-3600)): IdentityNode {
  return {
    metadata: { name, uid: `uid-node-${name}`, resourceVersion: '1', creationTimestamp: iso(created) },
    spec: { podCIDR: podCIDRs[0], podCIDRs },
    status: { addresses: addresses.map(([type, address]) => ({ type, address })) },
  } as IdentityNode;
}

function service(name: string, clusterIP: string, created: number, ns = 'default'): IdentityService {
  return { metadata: { name, namespace: ns, uid: `uid-svc-${name}`, resourceVersion: '1', creationTimestamp: iso(created) }, spec: { clusterIP, clusterIPs: [clusterIP] } };
}

function slice(name: string, svc: string, addresses: string[], ns = 'default'): IdentityEndpointSlice {
  return {
    metadata: { name, namespace: ns, uid: `uid-slice-${name}`, resourceVersion: '1', labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints: addresses.map((a) => ({ addresses: [a], targetRef: { kind: 'Pod', name: 'x' } })),
  };
}

const key = (p: IdentityPod) => `${p.metadata.namespace}/${p.metadata.name}`;
const addPod = (ix: IdentityIndex, p: IdentityPod, now: number) => ix.pod(key(p), p, now);

/** An agent's map fed with what the index publishes (the values and the ranges). */
function agentMap(ix: IdentityIndex, ...addresses: string[]): IdentityMap {
  const m = new IdentityMap();
  m.setRanges(ix.ranges);
  for (const a of addresses) {
    const v = ix.value(a);
    if (v) m.set(v);
  }
  return m;
}
const resolve = (m: IdentityMap, a: string, t: number) => JSON.parse(m.resolve(a, t)) as unknown;

describe('IdentityIndex: workloads', () => {
  it('names a Deployment through its ReplicaSet, with the pod, namespace, node and a window from the sandbox network', () => {
    const ix = new IdentityIndex();
    ix.owned('ReplicaSet', 'shop/web-7d9f', owned('web-7d9f', { kind: 'Deployment', name: 'web' }, 'shop'), at(0));
    const p = pod({ name: 'web-7d9f-abcde', ns: 'shop', ip: '10.244.1.5', node: 'n1', owner: { kind: 'ReplicaSet', name: 'web-7d9f' }, created: at(1), started: at(2), netReady: at(3) });
    addPod(ix, p, at(10));
    expect(ix.value('10.244.1.5')).toEqual<IdentityValue>({
      v: 1,
      ip: '10.244.1.5',
      entries: [{ since: at(3), uid: 'uid-web-7d9f-abcde', id: { kind: 'pod', namespace: 'shop', pod: 'web-7d9f-abcde', workload: { kind: 'Deployment', name: 'web' }, node: 'n1' } }],
    });
    // empty ranges are not written until there are some (or a new leader's recomputeAll)
    expect(ix.takeDirty()).toEqual({ put: new Map([[addressKey('10.244.1.5'), ix.value('10.244.1.5')]]), del: [] });
  });

  it('window start falls back to startTime, then creation', () => {
    const ix = new IdentityIndex();
    addPod(ix, pod({ name: 'a', ip: '10.244.1.1', created: at(1), started: at(2) }), at(10));
    addPod(ix, pod({ name: 'b', ip: '10.244.1.2', created: at(4) }), at(10));
    addPod(ix, pod({ name: 'c', ip: '10.244.1.3' }), at(10));
    expect(ix.value('10.244.1.1')!.entries[0]!.since).toBe(at(2));
    expect(ix.value('10.244.1.2')!.entries[0]!.since).toBe(at(4));
    expect(ix.value('10.244.1.3')!.entries[0]!.since).toBe(at(10));
  });

  it('names a CronJob through its Job, StatefulSets and DaemonSets directly, a bare pod as Pod/name', () => {
    const ix = new IdentityIndex();
    ix.owned('Job', 'default/backup-29000000', owned('backup-29000000', { kind: 'CronJob', name: 'backup' }), at(0));
    addPod(ix, pod({ name: 'backup-29000000-xk2p4', ip: '10.244.1.10', owner: { kind: 'Job', name: 'backup-29000000' }, netReady: at(1) }), at(5));
    addPod(ix, pod({ name: 'db-0', ip: '10.244.1.11', owner: { kind: 'StatefulSet', name: 'db' }, netReady: at(1) }), at(5));
    addPod(ix, pod({ name: 'agent-x7', ns: 'kube-system', ip: '10.244.1.12', owner: { kind: 'DaemonSet', name: 'agent' }, netReady: at(1) }), at(5));
    addPod(ix, pod({ name: 'debug', ip: '10.244.1.13', netReady: at(1) }), at(5));
    const workload = (a: string) => (ix.value(a)!.entries[0]!.id as { workload?: unknown }).workload;
    expect(workload('10.244.1.10')).toEqual({ kind: 'CronJob', name: 'backup' });
    expect(workload('10.244.1.11')).toEqual({ kind: 'StatefulSet', name: 'db' });
    expect(workload('10.244.1.12')).toEqual({ kind: 'DaemonSet', name: 'agent' });
    expect(workload('10.244.1.13')).toEqual({ kind: 'Pod', name: 'debug' });
    // a Job without a CronJob is its own workload
    addPod(ix, pod({ name: 'once-abcde', ip: '10.244.1.14', owner: { kind: 'Job', name: 'once' }, netReady: at(1) }), at(5));
    ix.owned('Job', 'default/once', { metadata: { name: 'once', namespace: 'default', uid: 'uid-once', resourceVersion: '1' } }, at(6));
    expect(workload('10.244.1.14')).toEqual({ kind: 'Job', name: 'once' });
  });

  it('names a ReplicaSet not seen yet as the pod does, then updates the same window in place when it arrives', () => {
    const ix = new IdentityIndex();
    const p = pod({ name: 'web-7d9f-abcde', ip: '10.244.1.5', node: 'n1', owner: { kind: 'ReplicaSet', name: 'web-7d9f' }, netReady: at(3) });
    addPod(ix, p, at(10));
    expect(ix.value('10.244.1.5')!.entries).toEqual([{ since: at(3), uid: 'uid-web-7d9f-abcde', id: { kind: 'pod', namespace: 'default', pod: 'web-7d9f-abcde', workload: { kind: 'ReplicaSet', name: 'web-7d9f' }, node: 'n1' } }]);
    ix.takeDirty();
    ix.owned('ReplicaSet', 'default/web-7d9f', owned('web-7d9f', { kind: 'Deployment', name: 'web' }), at(20));
    expect(ix.value('10.244.1.5')!.entries).toEqual([{ since: at(3), uid: 'uid-web-7d9f-abcde', id: { kind: 'pod', namespace: 'default', pod: 'web-7d9f-abcde', workload: { kind: 'Deployment', name: 'web' }, node: 'n1' } }]);
    expect([...ix.takeDirty().put.keys()]).toEqual([addressKey('10.244.1.5')]);
    // an unrelated ReplicaSet changes nothing
    ix.owned('ReplicaSet', 'default/other', owned('other', { kind: 'Deployment', name: 'other' }), at(21));
    expect(ix.takeDirty().put.size).toBe(0);
  });
});

describe('IdentityIndex: nodes, host network, services', () => {
  it('gives a host-network pod no entry: its address is the node’s (kind node, InternalIP and ExternalIP)', () => {
    const ix = new IdentityIndex();
    ix.node('n1', node('n1', [['InternalIP', '172.18.0.2'], ['ExternalIP', '203.0.113.7'], ['Hostname', 'n1']], ['10.244.1.0/24'], at(-100)), at(0));
    addPod(ix, pod({ name: 'kube-proxy-abc', ns: 'kube-system', ip: '172.18.0.2', node: 'n1', owner: { kind: 'DaemonSet', name: 'kube-proxy' }, hostNetwork: true, netReady: at(1) }), at(2));
    expect(ix.value('172.18.0.2')).toEqual({ v: 1, ip: '172.18.0.2', entries: [{ since: at(-100), uid: 'uid-node-n1', id: { kind: 'node', node: 'n1' } }] });
    expect(ix.value('203.0.113.7')!.entries).toEqual([{ since: at(-100), uid: 'uid-node-n1', id: { kind: 'node', node: 'n1' } }]);
    expect(ix.size).toBe(2);
    // removing the host-network pod changes nothing
    ix.takeDirty();
    ix.pod('kube-system/kube-proxy-abc', undefined, at(3));
    expect(ix.takeDirty()).toEqual({ put: new Map(), del: [] });
  });

  it('names a ClusterIP as kind service, and a pod behind Services by the first Service by name', () => {
    const ix = new IdentityIndex();
    ix.service('shop/web', service('web', '10.96.0.20', at(-50), 'shop'), at(0));
    ix.service('shop/headless', service('headless', 'None', at(-50), 'shop'), at(0));
    expect(ix.value('10.96.0.20')).toEqual({ v: 1, ip: '10.96.0.20', entries: [{ since: at(-50), uid: 'uid-svc-web', id: { kind: 'service', namespace: 'shop', service: 'shop/web' } }] });
    expect(ix.value('None')).toBeUndefined();
    addPod(ix, pod({ name: 'web-1', ns: 'shop', ip: '10.244.1.5', node: 'n1', owner: { kind: 'StatefulSet', name: 'web' }, netReady: at(1) }), at(2));
    ix.endpointSlice('shop/web-zzz', slice('web-zzz', 'web', ['10.244.1.5', '10.244.1.6'], 'shop'), at(3));
    ix.endpointSlice('shop/api-yyy', slice('api-yyy', 'api', ['10.244.1.5'], 'shop'), at(3));
    const base = { kind: 'pod', namespace: 'shop', pod: 'web-1', workload: { kind: 'StatefulSet', name: 'web' }, node: 'n1' };
    expect(ix.value('10.244.1.5')!.entries).toEqual([{ since: at(1), uid: 'uid-web-1', id: { ...base, service: 'shop/api' } }]);
    // an endpoint address no pod or node holds gets no entry
    expect(ix.value('10.244.1.6')).toBeUndefined();
    ix.endpointSlice('shop/api-yyy', undefined, at(4));
    expect(ix.value('10.244.1.5')!.entries).toEqual([{ since: at(1), uid: 'uid-web-1', id: { ...base, service: 'shop/web' } }]);
    ix.endpointSlice('shop/web-zzz', undefined, at(5));
    expect(ix.value('10.244.1.5')!.entries).toEqual([{ since: at(1), uid: 'uid-web-1', id: base }]);
  });

  it('names a node behind a Service (host-network endpoints) as a node with that service', () => {
    const ix = new IdentityIndex();
    ix.node('n1', node('n1', [['InternalIP', '172.18.0.2']], [], at(-100)), at(0));
    ix.endpointSlice('default/kubernetes', slice('kubernetes', 'kubernetes', ['172.18.0.2']), at(1));
    expect(ix.value('172.18.0.2')!.entries).toEqual([{ since: at(-100), uid: 'uid-node-n1', id: { kind: 'node', node: 'n1', service: 'default/kubernetes' } }]);
  });

  it('publishes the ranges key: node podCIDRs, ServiceCIDRs and extra pod ranges, sorted', () => {
    const ix = new IdentityIndex({ extraPodRanges: ['100.64.0.0/16'] });
    expect(ix.takeDirty().put.get(RANGES_KEY)).toEqual({ v: 1, pods: ['100.64.0.0/16'], services: [] });
    ix.node('n2', node('n2', [['InternalIP', '172.18.0.3']], ['10.244.2.0/24', 'fd00:10:244:2::/64']), at(0));
    ix.node('n1', node('n1', [['InternalIP', '172.18.0.2']], ['10.244.1.0/24']), at(0));
    ix.serviceCidr('kubernetes', { metadata: { name: 'kubernetes', uid: 'u', resourceVersion: '1' }, spec: { cidrs: ['10.96.0.0/16', 'fd00:10:96::/112'] } });
    const { put } = ix.takeDirty();
    expect(put.get(RANGES_KEY)).toEqual({ v: 1, pods: ['10.244.1.0/24', '10.244.2.0/24', '100.64.0.0/16', 'fd00:10:244:2::/64'], services: ['10.96.0.0/16', 'fd00:10:96::/112'] });
    // unchanged ranges are not written again
    ix.node('n1', node('n1', [['InternalIP', '172.18.0.2']], ['10.244.1.0/24']), at(1));
    expect(ix.takeDirty().put.has(RANGES_KEY)).toBe(false);
    ix.node('n2', undefined, at(2));
    // the gone node's address keeps its (now ended) window until pruned
    expect(ix.value('172.18.0.3')!.entries).toEqual([{ since: at(-3600), until: at(2), uid: 'uid-node-n2', id: { kind: 'node', node: 'n2' } }]);
    expect(ix.takeDirty()).toEqual({
      put: new Map<string, unknown>([
        [addressKey('172.18.0.3'), ix.value('172.18.0.3')],
        [RANGES_KEY, { v: 1, pods: ['10.244.1.0/24', '100.64.0.0/16'], services: ['10.96.0.0/16', 'fd00:10:96::/112'] }],
      ]),
      del: [],
    });
    // agents: unknown inside the ranges, external outside
    const m = agentMap(ix);
    expect(m.resolve('10.244.1.9', at(3))).toBe('{"kind":"unknown"}');
    expect(m.resolve('10.244.2.9', at(3))).toBe('{"kind":"external"}'); // n2's range went with n2
    expect(m.resolve('100.64.3.3', at(3))).toBe('{"kind":"unknown"}');
    expect(m.resolve('10.96.7.7', at(3))).toBe('{"kind":"unknown"}');
    expect(m.resolve('fd00:10:96::5', at(3))).toBe('{"kind":"unknown"}');
    expect(m.resolve('8.8.8.8', at(3))).toBe('{"kind":"external"}');
  });
});

describe('IdentityIndex: windows over time', () => {
  const X = '10.244.1.50';
  const podA = pod({ name: 'a', uid: 'uid-a', ip: X, node: 'n1', netReady: at(10) });
  const podB = pod({ name: 'b', uid: 'uid-b', ip: X, node: 'n1', netReady: at(200) });
  const idA = { kind: 'pod' as const, namespace: 'default', pod: 'a', workload: { kind: 'Pod', name: 'a' }, node: 'n1' };
  const idB = { kind: 'pod' as const, namespace: 'default', pod: 'b', workload: { kind: 'Pod', name: 'b' }, node: 'n1' };

  it('IP reuse after deletion: A’s window ends at its deletion, B’s starts at B’s since; agents resolve each time to its pod', () => {
    const ix = new IdentityIndex();
    ix.node('n1', node('n1', [['InternalIP', '172.18.0.2']], ['10.244.1.0/24']), at(0));
    addPod(ix, podA, at(11));
    ix.pod('default/a', undefined, at(100));
    expect(ix.value(X)!.entries).toEqual([{ since: at(10), until: at(100), uid: 'uid-a', id: idA }]);
    addPod(ix, podB, at(201));
    expect(ix.value(X)).toEqual({ v: 1, ip: X, entries: [{ since: at(10), until: at(100), uid: 'uid-a', id: idA }, { since: at(200), uid: 'uid-b', id: idB }] });
    const m = agentMap(ix, X);
    expect(resolve(m, X, at(9))).toEqual({ kind: 'unknown' });
    expect(resolve(m, X, at(10))).toEqual(idA);
    expect(resolve(m, X, at(99.999))).toEqual(idA);
    expect(resolve(m, X, at(100))).toEqual({ kind: 'unknown' });
    expect(resolve(m, X, at(199))).toEqual({ kind: 'unknown' });
    expect(resolve(m, X, at(200))).toEqual(idB);
    expect(resolve(m, X, at(5000))).toEqual(idB);
  });

  it('IP reuse seen before A’s deletion: A’s window ends where B’s begins, and A’s later deletion changes nothing', () => {
    const ix = new IdentityIndex();
    addPod(ix, podA, at(11));
    addPod(ix, podB, at(201));
    const expected = [{ since: at(10), until: at(200), uid: 'uid-a', id: idA }, { since: at(200), uid: 'uid-b', id: idB }];
    expect(ix.value(X)!.entries).toEqual(expected);
    ix.takeDirty();
    ix.pod('default/a', undefined, at(205));
    expect(ix.value(X)!.entries).toEqual(expected);
    expect(ix.takeDirty().put.size).toBe(0);
    const m = agentMap(ix, X);
    expect(resolve(m, X, at(199.5))).toEqual(idA);
    expect(resolve(m, X, at(200))).toEqual(idB);
  });

  it('a finished (Succeeded) pod releases its address at its containers’ last finishedAt, while the object remains', () => {
    const ix = new IdentityIndex();
    addPod(ix, podA, at(11));
    addPod(ix, pod({ name: 'a', uid: 'uid-a', ip: X, node: 'n1', netReady: at(10), phase: 'Succeeded', finishedAt: [at(40), at(42)] }), at(60));
    expect(ix.value(X)!.entries).toEqual([{ since: at(10), until: at(42), uid: 'uid-a', id: idA }]);
    // the object stays; a later recompute (prune) leaves the window as it is
    ix.takeDirty();
    ix.prune(at(70));
    expect(ix.value(X)!.entries).toEqual([{ since: at(10), until: at(42), uid: 'uid-a', id: idA }]);
    expect(ix.takeDirty().put.size).toBe(0);
    const m = agentMap(ix, X);
    expect(resolve(m, X, at(41))).toEqual(idA);
    expect(resolve(m, X, at(42))).toEqual({ kind: 'external' });
  });

  it('prunes windows ended longer than the retention ago and deletes the key when none is left', () => {
    const ix = new IdentityIndex({ retentionMs: 60_000 });
    addPod(ix, podA, at(11));
    ix.pod('default/a', undefined, at(100));
    ix.takeDirty();
    ix.prune(at(160)); // ended exactly retention ago: kept
    expect(ix.value(X)!.entries).toHaveLength(1);
    expect(ix.takeDirty()).toEqual({ put: new Map(), del: [] });
    ix.prune(at(160.001));
    expect(ix.value(X)).toBeUndefined();
    expect(ix.size).toBe(0);
    expect(ix.takeDirty()).toEqual({ put: new Map(), del: [addressKey(X)] });
  });

  it('pruning keeps the open window and drops only the old ended one', () => {
    const ix = new IdentityIndex({ retentionMs: 150_000 });
    addPod(ix, podA, at(11));
    ix.pod('default/a', undefined, at(100));
    addPod(ix, podB, at(201));
    ix.takeDirty();
    ix.prune(at(1000));
    expect(ix.value(X)!.entries).toEqual([{ since: at(200), uid: 'uid-b', id: idB }]);
    expect(ix.takeDirty()).toEqual({ put: new Map([[addressKey(X), ix.value(X)]]), del: [] });
  });

  it('load() of a former leader’s value + recomputeAll(): ended windows stay, an open window whose object is gone closes', () => {
    const former: IdentityValue = {
      v: 1,
      ip: X,
      entries: [
        { since: at(10), until: at(100), uid: 'uid-a', id: idA },
        { since: at(200), uid: 'uid-b', id: idB },
      ],
    };
    const Y = '10.244.1.51';
    const idC = { kind: 'pod' as const, namespace: 'default', pod: 'c', workload: { kind: 'Pod', name: 'c' }, node: 'n1' };
    const formerY: IdentityValue = { v: 1, ip: Y, entries: [{ since: at(300), uid: 'uid-c', id: idC }] };
    const ix = new IdentityIndex();
    ix.load(former);
    ix.load(formerY);
    // the new leader's caches: B is gone, C still runs (now with a known owner)
    ix.owned('ReplicaSet', 'default/c-rs', owned('c-rs', { kind: 'Deployment', name: 'c' }), at(500));
    addPod(ix, pod({ name: 'c', uid: 'uid-c', ip: Y, node: 'n1', owner: { kind: 'ReplicaSet', name: 'c-rs' }, netReady: at(300) }), at(500));
    ix.recomputeAll(at(500));
    expect(ix.value(X)!.entries).toEqual([
      { since: at(10), until: at(100), uid: 'uid-a', id: idA },
      { since: at(200), until: at(500), uid: 'uid-b', id: idB },
    ]);
    expect(ix.value(Y)!.entries).toEqual([{ since: at(300), uid: 'uid-c', id: { ...idC, workload: { kind: 'Deployment', name: 'c' } } }]);
    const { put, del } = ix.takeDirty();
    expect([...put.keys()].sort()).toEqual([addressKey(X), addressKey(Y), RANGES_KEY].sort());
    expect(del).toEqual([]);
  });

  it('keys IPv6 addresses with _ for : and marks a failed write dirty again', () => {
    const ix = new IdentityIndex();
    const v6 = 'fd00:10:244:1::7';
    addPod(ix, pod({ name: 'dual', ip: ['10.244.1.7', v6], netReady: at(1) }), at(2));
    const first = ix.takeDirty();
    expect([...first.put.keys()].sort()).toEqual(['ip.10.244.1.7', 'ip.fd00_10_244_1__7']);
    expect(first.put.get('ip.fd00_10_244_1__7')).toEqual(ix.value(v6));
    ix.retry({ put: ['ip.fd00_10_244_1__7', RANGES_KEY], del: [] });
    expect([...ix.takeDirty().put.keys()].sort()).toEqual(['ip.fd00_10_244_1__7', RANGES_KEY]);
  });
});
