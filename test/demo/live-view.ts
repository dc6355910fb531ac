// What a user of the demo watches: flow batches and alerts read back from the JetStream stream
// (an ordered consumer from the start of the stream, so it shows what was stored, not what was
// sent), parsed with the published schemas, summed into per-node rates, top talkers and the
// alerts' life cycle, and printed every few seconds.
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';

import { AlertMessageSchema, FlowBatchSchema } from '../../agent/export/payload-schemas.js';
import type { z } from 'zod';

type AlertMessage = z.output<typeof AlertMessageSchema>;

export interface ViewTotals {
  batches: number;
  records: number;
  packets: number;
  bytes: number;
  byNode: Map<string, { records: number; packets: number }>;
  endReasons: Map<string, number>;
  talkers: Map<string, number>;
  alerts: AlertMessage[];
  /** Messages that did not match their schema (must stay 0). */
  invalid: number;
}

export interface LiveView {
  totals: ViewTotals;
  /** Resolves once the consumer has caught up to a quiet stream (no message for idleMs). */
  settle(idleMs: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

function emptyTotals(): ViewTotals {
  return { batches: 0, records: 0, packets: 0, bytes: 0, byNode: new Map(), endReasons: new Map(), talkers: new Map(), alerts: [], invalid: 0 };
}

const inc = (m: Map<string, number>, k: string, by: number): void => void m.set(k, (m.get(k) ?? 0) + by);

export async function startLiveView(url: string, stream: string, subjectPrefix: string): Promise<LiveView> {
  const nc: NatsConnection = await connect({ servers: url, name: 'tapline-demo-view' });
  const consumer = await jetstream(nc).consumers.get(stream, { filter_subjects: [`${subjectPrefix}.>`] });
  const messages = await consumer.consume();
  const totals = emptyTotals();
  let lastMessageAt = Date.now();
  const loop = (async () => {
    for await (const m of messages) {
      lastMessageAt = Date.now();
      let body: unknown;
      try {
        body = m.json();
      } catch {
        totals.invalid++;
        continue;
      }
      if (m.subject.includes('.flows.')) {
        const batch = FlowBatchSchema.safeParse(body);
        if (!batch.success) {
          totals.invalid++;
          continue;
        }
        totals.batches++;
        const node = totals.byNode.get(batch.data.node) ?? { records: 0, packets: 0 };
        for (const r of batch.data.records) {
          const packets = r.packets + r.revPackets;
          totals.records++;
          totals.packets += packets;
          totals.bytes += r.bytes + r.revBytes;
          node.records++;
          node.packets += packets;
          inc(totals.endReasons, r.endReason, 1);
          inc(totals.talkers, r.srcAddr, r.bytes);
          inc(totals.talkers, r.dstAddr, r.revBytes);
        }
        totals.byNode.set(batch.data.node, node);
      } else {
        const alert = AlertMessageSchema.safeParse(body);
        if (alert.success) totals.alerts.push(alert.data);
        else totals.invalid++;
      }
    }
  })();
  return {
    totals,
    async settle(idleMs, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() - lastMessageAt < idleMs && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    },
    async close() {
      await messages.close();
      await loop.catch(() => undefined);
      await nc.close();
    },
  };
}

const fmt = (n: number): string => n.toLocaleString('en-US');

function alertLine(a: AlertMessage): string {
  const key = a.key.dst ? `dst ${a.key.dst}` : a.key.src ? `src ${a.key.src}` : '';
  if (a.type === 'heavy_hitters') {
    const top = (a.top ?? []).slice(0, 3).map((t) => `${t.addr} (${t.direction}) ${fmt(Number(t.bytes))} B`).join(', ');
    return `  ${a.node}: heavy hitters ${top}`;
  }
  const measured = a.state === 'resolved' ? `last exceeded at ${fmt(Math.round(a.observed))}, quiet since` : `${fmt(Math.round(a.observed))} >`;
  const since = a.state === 'resolved' ? ` ${a.lastSeen}` : ` ${fmt(a.threshold)}`;
  return `  ${a.node}: ${a.type} ${a.state.toUpperCase()} ${key}: ${a.metric} ${measured}${since} (window ${a.windowMs / 1000}s)`;
}

/** One screen of the view; `prev` gives the rates since the last screen. */
export function renderView(t: ViewTotals, prev: { records: number; packets: number; at: number }, now: number): string {
  const secs = Math.max((now - prev.at) / 1000, 0.001);
  const lines = [
    `flows stored: ${fmt(t.records)} in ${fmt(t.batches)} batches  |  ${fmt(Math.round((t.records - prev.records) / secs))} flows/s, ` +
      `${fmt(Math.round((t.packets - prev.packets) / secs))} packets/s (by flow end)  |  invalid messages: ${t.invalid}`,
    `  per node: ${[...t.byNode].map(([n, v]) => `${n} ${fmt(v.records)} flows / ${fmt(v.packets)} pkts`).join(', ') || '-'}`,
    `  end reasons: ${[...t.endReasons].map(([r, n]) => `${r} ${fmt(n)}`).join(', ') || '-'}`,
    `  top talkers (bytes sent): ${[...t.talkers].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([a, b]) => `${a} ${fmt(b)}`).join(', ') || '-'}`,
  ];
  const attacks = t.alerts.filter((a) => a.type !== 'heavy_hitters');
  const lastReport = t.alerts.filter((a) => a.type === 'heavy_hitters').at(-1);
  lines.push(`alerts: ${attacks.length} events${attacks.length ? '' : ' (none yet)'}`);
  for (const a of attacks.slice(-6)) lines.push(alertLine(a));
  if (lastReport) lines.push(alertLine(lastReport));
  return lines.join('\n');
}
