// What `tapline top` counts: running totals of everything read (batches, records, packets, per
// node, end reasons, every alert) and, for the rates, per-second buckets of the last window:
// records, packets and bytes per node, bytes sent per workload and per address, and samples of
// TCP latency. A bucket is the second the stream stored the batch (clamped to when it arrived, so
// a server clock ahead of ours cannot put data in the future). Memory is bounded: a bucket keeps
// at most MAX_KEYS talkers (the rest are summed as "(other)") and MAX_SAMPLES latency samples
// (a uniform reservoir), and the alert log its last MAX_ALERTS messages.
import type { AlertMessage, ExportedFlowRecord, FlowBatch } from '../../agent/export/payload-schemas.js';
import { workloadKey } from '../flows/format.js';

const MAX_KEYS = 5000;
const MAX_SAMPLES = 2000;
const MAX_ALERTS = 10_000;
const OTHER = '(other)';

export interface NodeCounts {
  records: number;
  packets: number;
  bytes: number;
}

/** Everything read since the view started. */
export interface TopTotals {
  batches: number;
  records: number;
  packets: number;
  bytes: number;
  byNode: Map<string, NodeCounts>;
  endReasons: Map<string, number>;
  /** Every alert message, in stream order (the last MAX_ALERTS). */
  alerts: AlertMessage[];
  /** Messages on the stream's subjects that did not match their schema. */
  invalid: number;
}

interface Bucket {
  records: number;
  packets: number;
  bytes: number;
  byNode: Map<string, NodeCounts>;
  byWorkload: Map<string, number>;
  byAddr: Map<string, number>;
  handshake: Reservoir;
  rtt: Reservoir;
}

class Reservoir {
  readonly values: number[] = [];
  seen = 0;
  add(v: number): void {
    this.seen++;
    if (this.values.length < MAX_SAMPLES) this.values.push(v);
    else {
      const i = Math.floor(Math.random() * this.seen);
      if (i < MAX_SAMPLES) this.values[i] = v;
    }
  }
}

/** One attack's life cycle: the first and latest message of its id. */
export interface AlertLife {
  first: AlertMessage;
  last: AlertMessage;
}

export interface Percentiles {
  n: number;
  p50: number;
  p90: number;
  p99: number;
}

/** What the last window holds, for one screen. */
export interface WindowView {
  seconds: number;
  records: number;
  packets: number;
  bytes: number;
  byNode: Map<string, NodeCounts>;
  workloads: Array<[string, number]>;
  addresses: Array<[string, number]>;
  handshake: Percentiles | undefined;
  rtt: Percentiles | undefined;
}

const inc = (m: Map<string, number>, k: string, by: number): void => {
  if (!m.has(k) && m.size >= MAX_KEYS) k = OTHER;
  m.set(k, (m.get(k) ?? 0) + by);
};

function addNode(m: Map<string, NodeCounts>, node: string, records: number, packets: number, bytes: number): void {
  const c = m.get(node) ?? { records: 0, packets: 0, bytes: 0 };
  c.records += records;
  c.packets += packets;
  c.bytes += bytes;
  m.set(node, c);
}

/** Nearest-rank percentiles of the samples. */
export function percentiles(samples: number[]): Percentiles | undefined {
  if (samples.length === 0) return undefined;
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return { n: s.length, p50: at(50), p90: at(90), p99: at(99) };
}

export class TopModel {
  readonly totals: TopTotals = { batches: 0, records: 0, packets: 0, bytes: 0, byNode: new Map(), endReasons: new Map(), alerts: [], invalid: 0 };
  /** Attacks by id (raised, updated, resolved) and the latest heavy-hitters report of each node. */
  readonly attacks = new Map<string, AlertLife>();
  readonly heavyHitters = new Map<string, AlertMessage>();
  private readonly buckets = new Map<number, Bucket>();

  constructor(readonly windowSeconds: number) {}

  private bucket(storedMs: number, arrivedMs: number): Bucket {
    const sec = Math.floor(Math.min(storedMs, arrivedMs) / 1000);
    let b = this.buckets.get(sec);
    if (!b) {
      b = { records: 0, packets: 0, bytes: 0, byNode: new Map(), byWorkload: new Map(), byAddr: new Map(), handshake: new Reservoir(), rtt: new Reservoir() };
      this.buckets.set(sec, b);
      this.prune(arrivedMs);
    }
    return b;
  }

  private prune(nowMs: number): void {
    const oldest = Math.floor(nowMs / 1000) - this.windowSeconds - 1;
    for (const sec of this.buckets.keys()) if (sec < oldest) this.buckets.delete(sec);
  }

  /** A batch (already filtered by node and policy) and the records of it that pass. */
  addBatch(batch: FlowBatch, records: readonly ExportedFlowRecord[], stored: Date, arrivedMs = Date.now()): void {
    const t = this.totals;
    t.batches++;
    if (records.length === 0) return;
    const b = this.bucket(stored.getTime(), arrivedMs);
    for (const r of records) {
      const packets = r.packets + r.revPackets;
      const bytes = r.bytes + r.revBytes;
      t.records++;
      t.packets += packets;
      t.bytes += bytes;
      addNode(t.byNode, batch.node, 1, packets, bytes);
      t.endReasons.set(r.endReason, (t.endReasons.get(r.endReason) ?? 0) + 1);
      b.records++;
      b.packets += packets;
      b.bytes += bytes;
      addNode(b.byNode, batch.node, 1, packets, bytes);
      inc(b.byWorkload, workloadKey(r.src, r.srcAddr), r.bytes);
      inc(b.byWorkload, workloadKey(r.dst, r.dstAddr), r.revBytes);
      inc(b.byAddr, r.srcAddr, r.bytes);
      inc(b.byAddr, r.dstAddr, r.revBytes);
      if (r.tcpHandshakeServerUs !== undefined) b.handshake.add(r.tcpHandshakeServerUs);
      if (r.tcpRttMinUs !== undefined) b.rtt.add(r.tcpRttMinUs);
    }
  }

  addAlert(a: AlertMessage): void {
    const log = this.totals.alerts;
    log.push(a);
    if (log.length > MAX_ALERTS) log.splice(0, log.length - MAX_ALERTS);
    if (a.type === 'heavy_hitters') {
      this.heavyHitters.set(a.node, a);
      return;
    }
    const life = this.attacks.get(a.id);
    this.attacks.set(a.id, { first: life?.first ?? a, last: a });
    if (this.attacks.size > 1000) {
      // forget the oldest resolved attacks first
      for (const [id, l] of this.attacks) {
        if (this.attacks.size <= 1000) break;
        if (l.last.state === 'resolved') this.attacks.delete(id);
      }
    }
  }

  addInvalid(): void {
    this.totals.invalid++;
  }

  /** The last windowSeconds whole seconds before `nowMs`. */
  window(nowMs: number, top: number): WindowView {
    this.prune(nowMs);
    const end = Math.floor(nowMs / 1000);
    const w: WindowView = { seconds: this.windowSeconds, records: 0, packets: 0, bytes: 0, byNode: new Map(), workloads: [], addresses: [], handshake: undefined, rtt: undefined };
    const workloads = new Map<string, number>();
    const addresses = new Map<string, number>();
    const hs: number[] = [];
    const rtt: number[] = [];
    for (const [sec, b] of this.buckets) {
      if (sec < end - this.windowSeconds || sec >= end) continue;
      w.records += b.records;
      w.packets += b.packets;
      w.bytes += b.bytes;
      for (const [n, c] of b.byNode) addNode(w.byNode, n, c.records, c.packets, c.bytes);
      for (const [k, v] of b.byWorkload) workloads.set(k, (workloads.get(k) ?? 0) + v);
      for (const [k, v] of b.byAddr) addresses.set(k, (addresses.get(k) ?? 0) + v);
      hs.push(...b.handshake.values);
      rtt.push(...b.rtt.values);
    }
    const topOf = (m: Map<string, number>) => [...m].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, top);
    w.workloads = topOf(workloads);
    w.addresses = topOf(addresses);
    w.handshake = percentiles(hs);
    w.rtt = percentiles(rtt);
    return w;
  }
}
