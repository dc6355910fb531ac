// The identity map as the operator keeps it: the Pods, Services, EndpointSlices, Nodes,
// ReplicaSets, Jobs and ServiceCIDRs it watches, and for every cluster address its history of
// identities as validity windows (agent/identity/identity-value.ts). Informer events change the
// objects; the addresses they touch are recomputed, and those whose value changed become dirty
// for the publisher. Pure: no I/O, the clock is passed in.
//
// Windows. A pod's window starts when its sandbox got its network (PodReadyToStartContainers,
// else startTime, else creation): the time the address became the pod's, not the time the
// operator heard of it. It ends when the pod ends (its containers' last finishedAt) or is deleted.
// When a new object takes an address over, the old window ends where the new one starts, and
// readers pick the latest window that started before a flow: old flows keep the old name.
import { IDENTITY_VALUE_VERSION, RANGES_KEY, addressKey, keyAddress, type ClusterRanges, type Endpoint, type IdentityEntry, type IdentityValue } from '../../agent/index.js';
import { keyOf } from '../reconcile/observed.js';
import type { IdentityEndpointSlice, IdentityNode, IdentityOwned, IdentityPod, IdentityService, IdentityServiceCidr } from './objects.js';
import { controllerOf, ownerKey, workloadOf } from './workload.js';

export interface IdentityIndexOptions {
  /** How long an ended window is kept for flows that started before it ended (default 15 min). */
  retentionMs?: number;
  /** Pod ranges the nodes do not say (a CNI that allocates its own): addresses in them are `unknown`, not `external`. */
  extraPodRanges?: string[];
}

/** What an address is now: the object and since when. */
interface Holder {
  uid: string;
  since: number;
  id: Endpoint;
}

const MAX_ENTRIES = 16;
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

const time = (s: string | null | undefined): number | undefined => {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
};

function addSet<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}
function delSet<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  const s = m.get(k);
  if (s?.delete(v) && s.size === 0) m.delete(k);
}

export function podAddresses(p: IdentityPod): string[] {
  const ips = p.status?.podIPs?.map((i) => i.ip) ?? (p.status?.podIP ? [p.status.podIP] : []);
  return p.spec.hostNetwork ? [] : [...new Set(ips)];
}

/** When the pod's address became its own. */
function podSince(p: IdentityPod, now: number): number {
  const net = p.status?.conditions?.find((c) => c.type === 'PodReadyToStartContainers' && c.status === 'True');
  return time(net?.lastTransitionTime) ?? time(p.status?.startTime) ?? time(p.metadata.creationTimestamp) ?? now;
}

/** When a finished pod (Succeeded/Failed) gave its address up; undefined while it runs. */
function podEnded(p: IdentityPod, now: number): number | undefined {
  if (p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed') return undefined;
  const finished = (p.status.containerStatuses ?? []).map((c) => time(c.state?.terminated?.finishedAt)).filter((t): t is number => t !== undefined);
  return finished.length ? Math.max(...finished) : now;
}

const serviceAddresses = (s: IdentityService): string[] =>
  [...new Set(s.spec?.clusterIPs ?? (s.spec?.clusterIP ? [s.spec.clusterIP] : []))].filter((a) => a !== 'None' && a !== '');

const nodeAddresses = (n: IdentityNode): string[] =>
  [...new Set((n.status?.addresses ?? []).filter((a) => a.type === 'InternalIP' || a.type === 'ExternalIP').map((a) => a.address))];

export class IdentityIndex {
  readonly #retentionMs: number;
  readonly #extraPodRanges: string[];
  readonly #pods = new Map<string, IdentityPod>();
  readonly #podsByAddress = new Map<string, Set<string>>();
  readonly #podsByOwner = new Map<string, Set<string>>();
  readonly #services = new Map<string, IdentityService>();
  readonly #servicesByAddress = new Map<string, Set<string>>();
  /** slice key -> (address -> ns/service). */
  readonly #slices = new Map<string, { service: string; addresses: string[] }>();
  readonly #sliceServicesByAddress = new Map<string, Map<string, string>>();
  readonly #nodes = new Map<string, IdentityNode>();
  readonly #nodesByAddress = new Map<string, Set<string>>();
  readonly #owned = new Map<string, IdentityOwned>();
  readonly #serviceCidrs = new Map<string, string[]>();
  readonly #history = new Map<string, IdentityEntry[]>();
  readonly #dirty = new Set<string>();
  #ranges: ClusterRanges = { v: IDENTITY_VALUE_VERSION, pods: [], services: [] };
  #rangesDirty = false;

  constructor(o: IdentityIndexOptions = {}) {
    this.#retentionMs = o.retentionMs ?? 15 * 60_000;
    this.#extraPodRanges = o.extraPodRanges ?? [];
    this.#refreshRanges();
  }

  /** Addresses with a history. */
  get size(): number {
    return this.#history.size;
  }

  /** An address's value as published (undefined: no history). */
  value(address: string): IdentityValue | undefined {
    const entries = this.#history.get(address);
    return entries?.length ? { v: IDENTITY_VALUE_VERSION, ip: address, entries: entries.map((e) => ({ ...e })) } : undefined;
  }

  get ranges(): ClusterRanges {
    return this.#ranges;
  }

  /** A value found in the bucket (a former leader's): its ended windows are kept, its open one is checked by recomputeAll(). */
  load(v: IdentityValue): void {
    this.#history.set(v.ip, v.entries.map((e) => ({ ...e })));
  }

  // --- objects -----------------------------------------------------------------------------

  /** The pod under `key` is now `cur` (undefined: gone). */
  pod(key: string, cur: IdentityPod | undefined, now: number): void {
    const old = this.#pods.get(key);
    const touched = new Set<string>();
    for (const p of [old, cur]) if (p) for (const a of podAddresses(p)) touched.add(a);
    if (old) {
      const k = keyOf(old);
      this.#pods.delete(k);
      for (const a of podAddresses(old)) delSet(this.#podsByAddress, a, k);
      const c = controllerOf(old);
      if (c) delSet(this.#podsByOwner, ownerKey(old.metadata.namespace ?? '', c.kind, c.name), k);
    }
    if (cur) {
      const k = keyOf(cur);
      this.#pods.set(k, cur);
      for (const a of podAddresses(cur)) addSet(this.#podsByAddress, a, k);
      const c = controllerOf(cur);
      if (c) addSet(this.#podsByOwner, ownerKey(cur.metadata.namespace ?? '', c.kind, c.name), k);
    }
    for (const a of touched) this.#recompute(a, now);
  }

  service(key: string, cur: IdentityService | undefined, now: number): void {
    const old = this.#services.get(key);
    const touched = new Set<string>();
    if (old) {
      const k = keyOf(old);
      this.#services.delete(k);
      for (const a of serviceAddresses(old)) (touched.add(a), delSet(this.#servicesByAddress, a, k));
    }
    if (cur) {
      const k = keyOf(cur);
      this.#services.set(k, cur);
      for (const a of serviceAddresses(cur)) (touched.add(a), addSet(this.#servicesByAddress, a, k));
    }
    for (const a of touched) this.#recompute(a, now);
  }

  endpointSlice(key: string, cur: IdentityEndpointSlice | undefined, now: number): void {
    const touched = new Set<string>();
    {
      const k = key;
      for (const a of this.#slices.get(k)?.addresses ?? []) {
        touched.add(a);
        const m = this.#sliceServicesByAddress.get(a);
        m?.delete(k);
        if (m?.size === 0) this.#sliceServicesByAddress.delete(a);
      }
      this.#slices.delete(k);
    }
    const name = cur?.metadata.labels?.[SERVICE_NAME_LABEL];
    if (cur && name) {
      const k = key;
      const service = `${cur.metadata.namespace}/${name}`;
      const addresses = [...new Set((cur.endpoints ?? []).flatMap((e) => e.addresses))];
      this.#slices.set(k, { service, addresses });
      for (const a of addresses) {
        touched.add(a);
        let m = this.#sliceServicesByAddress.get(a);
        if (!m) this.#sliceServicesByAddress.set(a, (m = new Map()));
        m.set(k, service);
      }
    }
    for (const a of touched) this.#recompute(a, now);
  }

  node(key: string, cur: IdentityNode | undefined, now: number): void {
    const old = this.#nodes.get(key);
    const touched = new Set<string>();
    if (old) {
      this.#nodes.delete(old.metadata.name);
      for (const a of nodeAddresses(old)) (touched.add(a), delSet(this.#nodesByAddress, a, old.metadata.name));
    }
    if (cur) {
      this.#nodes.set(cur.metadata.name, cur);
      for (const a of nodeAddresses(cur)) (touched.add(a), addSet(this.#nodesByAddress, a, cur.metadata.name));
    }
    this.#refreshRanges();
    for (const a of touched) this.#recompute(a, now);
  }

  /** A ReplicaSet or Job (`kind`): its owner names the workload of its pods. */
  owned(kind: 'ReplicaSet' | 'Job', objectKey: string, cur: IdentityOwned | undefined, now: number): void {
    const [ns, name] = objectKey.split('/') as [string, string];
    const key = ownerKey(ns, kind, name);
    if (cur) this.#owned.set(key, cur);
    else this.#owned.delete(key);
    // A deleted ReplicaSet or Job leaves its pods' workload as it was (they are going too).
    if (!cur) return;
    for (const pk of this.#podsByOwner.get(key) ?? []) {
      const p = this.#pods.get(pk);
      if (p) for (const a of podAddresses(p)) this.#recompute(a, now);
    }
  }

  serviceCidr(key: string, cur: IdentityServiceCidr | undefined): void {
    if (cur) this.#serviceCidrs.set(key, cur.spec?.cidrs ?? []);
    else this.#serviceCidrs.delete(key);
    this.#refreshRanges();
  }

  /** Every address known now or from history (a new leader, after load()). */
  recomputeAll(now: number): void {
    const all = new Set([...this.#history.keys(), ...this.#podsByAddress.keys(), ...this.#servicesByAddress.keys(), ...this.#nodesByAddress.keys()]);
    for (const a of all) this.#recompute(a, now);
    this.#rangesDirty = true;
  }

  /** Drops ended windows older than the retention; addresses left with none are deleted from the bucket. */
  prune(now: number): void {
    // only addresses holding an ended window can change by time alone
    const ended = [...this.#history].filter(([, entries]) => entries.some((e) => e.until !== undefined)).map(([a]) => a);
    for (const a of ended) this.#recompute(a, now);
  }

  /** The changes to write: values to put (by key) and keys to delete. */
  takeDirty(): { put: Map<string, IdentityValue | ClusterRanges>; del: string[] } {
    const put = new Map<string, IdentityValue | ClusterRanges>();
    const del: string[] = [];
    for (const a of this.#dirty) {
      const v = this.value(a);
      if (v) put.set(addressKey(a), v);
      else del.push(addressKey(a));
    }
    this.#dirty.clear();
    if (this.#rangesDirty) put.set(RANGES_KEY, this.#ranges);
    this.#rangesDirty = false;
    return { put, del };
  }

  /** Marks addresses dirty again (a write that failed). */
  retry(keys: { put: Iterable<string>; del: Iterable<string> }): void {
    for (const k of [...keys.put, ...keys.del]) {
      if (k === RANGES_KEY) this.#rangesDirty = true;
      else this.#dirty.add(keyAddress(k));
    }
  }

  // --- derivation ----------------------------------------------------------------------------

  #holder(address: string, now: number): Holder | undefined {
    let best: Holder | undefined;
    for (const k of this.#podsByAddress.get(address) ?? []) {
      const p = this.#pods.get(k)!;
      if (podEnded(p, now) !== undefined) continue;
      const since = podSince(p, now);
      if (best && best.since > since) continue;
      const id: Endpoint = { kind: 'pod', namespace: p.metadata.namespace ?? '', pod: p.metadata.name, workload: workloadOf(p, (key) => this.#owned.get(key)) };
      if (p.spec.nodeName) id.node = p.spec.nodeName;
      const svc = this.#endpointService(address);
      if (svc) id.service = svc;
      best = { uid: p.metadata.uid, since, id };
    }
    if (best) return best;
    for (const k of this.#servicesByAddress.get(address) ?? []) {
      const s = this.#services.get(k)!;
      const since = time(s.metadata.creationTimestamp) ?? now;
      if (best && best.since > since) continue;
      best = { uid: s.metadata.uid, since, id: { kind: 'service', namespace: s.metadata.namespace ?? '', service: `${s.metadata.namespace}/${s.metadata.name}` } };
    }
    if (best) return best;
    for (const name of this.#nodesByAddress.get(address) ?? []) {
      const n = this.#nodes.get(name)!;
      const since = time(n.metadata.creationTimestamp) ?? now;
      if (best && best.since > since) continue;
      const id: Endpoint = { kind: 'node', node: name };
      const svc = this.#endpointService(address);
      if (svc) id.service = svc;
      best = { uid: n.metadata.uid, since, id };
    }
    return best;
  }

  /** The first (by name) Service that has the address as an endpoint. */
  #endpointService(address: string): string | undefined {
    const m = this.#sliceServicesByAddress.get(address);
    return m ? [...m.values()].sort()[0] : undefined;
  }

  /** When the pod that holds this address stopped holding it, if it ended rather than went. */
  #endedAt(address: string, uid: string, now: number): number | undefined {
    for (const k of this.#podsByAddress.get(address) ?? []) {
      const p = this.#pods.get(k)!;
      if (p.metadata.uid === uid) return podEnded(p, now);
    }
    return undefined;
  }

  #recompute(address: string, now: number): void {
    const before = this.#history.get(address) ?? [];
    const entries = before.map((e) => ({ ...e }));
    const open = entries.length && entries[entries.length - 1]!.until === undefined ? entries[entries.length - 1] : undefined;
    const cur = this.#holder(address, now);
    if (open && (!cur || cur.uid !== open.uid)) {
      // the open window ends: where the next holder's begins, when its pod ended, or now
      open.until = Math.max(open.since, cur ? Math.min(cur.since, now) : (this.#endedAt(address, open.uid, now) ?? now));
    }
    if (cur) {
      if (open && open.uid === cur.uid) open.id = cur.id;
      else entries.push({ since: Math.max(cur.since, entries[entries.length - 1]?.since ?? 0), uid: cur.uid, id: cur.id });
    }
    const kept = entries.filter((e) => e.until === undefined || e.until >= now - this.#retentionMs).slice(-MAX_ENTRIES);
    if (kept.length) this.#history.set(address, kept);
    else this.#history.delete(address);
    if (JSON.stringify(kept) !== JSON.stringify(before)) this.#dirty.add(address);
  }

  #refreshRanges(): void {
    const pods = [...new Set([...this.#extraPodRanges, ...[...this.#nodes.values()].flatMap((n) => n.spec?.podCIDRs ?? (n.spec?.podCIDR ? [n.spec.podCIDR] : []))])].sort();
    const services = [...new Set([...this.#serviceCidrs.values()].flat())].sort();
    const next: ClusterRanges = { v: IDENTITY_VALUE_VERSION, pods, services };
    if (JSON.stringify(next) !== JSON.stringify(this.#ranges)) {
      this.#ranges = next;
      this.#rangesDirty = true;
    }
  }
}

