// The agent's watch of the identity map bucket (agent/identity/identity-watch.ts) on a real
// nats-server with JetStream: unavailable before the bucket exists, available after its first
// full read, following puts and deletes, skipping (and counting) values it cannot read, and
// forgetting, after a restart of the watch, the keys that are gone.
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { FlowEnricher } from '../../agent/identity/enricher.js';
import { RANGES_KEY, addressKey, type IdentityValue } from '../../agent/identity/identity-value.js';
import { IdentityWatch } from '../../agent/identity/identity-watch.js';
import { NATS_BUILD_TIMEOUT_MS, NatsTestServer } from '../nats/server.js';

const log = pino({ level: process.env.IDW_LOG ?? 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, f: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const pod = (name: string, since = 0): IdentityValue['entries'][number] => ({ since, uid: `uid-${name}`, id: { kind: 'pod', namespace: 'ns', pod: name, workload: { kind: 'Pod', name }, node: 'n1' } });
const value = (ip: string, ...entries: IdentityValue['entries']): string => JSON.stringify({ v: 1, ip, entries } satisfies IdentityValue);
const RANGES = JSON.stringify({ v: 1, pods: ['10.244.0.0/16', 'fd00:10:244::/56'], services: ['10.96.0.0/16'] });
const V6 = 'fd00:10:244:1::7';
const LINE = Buffer.from('{"srcAddr":"10.244.1.5","dstAddr":"10.244.1.6","srcPort":1,"dstPort":2,"proto":6,"start":"2026-01-01T00:00:00.000000Z","end":"2026-01-01T00:00:01.000000Z"}\n');

let nats: NatsTestServer;
let nc: NatsConnection;
const watches: IdentityWatch[] = [];
let n = 0;

beforeAll(async () => {
  nats = await NatsTestServer.start();
  nc = await connect({ servers: nats.url });
}, NATS_BUILD_TIMEOUT_MS);
afterAll(async () => {
  await nc?.close();
  await nats?.cleanup();
});
afterEach(async () => {
  await Promise.all(watches.splice(0).map((w) => w.stop()));
});

function start(bucket: string): IdentityWatch {
  const w = IdentityWatch.start(nc, { bucket, retryMs: 100, checkMs: 200 }, log);
  watches.push(w);
  return w;
}
const kind = (w: IdentityWatch, a: string) => (JSON.parse(w.map.resolve(a, 1000)) as { kind: string; pod?: string }).pod ?? JSON.parse(w.map.resolve(a, 1000)).kind;

describe('IdentityWatch', () => {
  it('is unavailable until the bucket exists (records go out unenriched), available after its first read', async () => {
    const bucket = `idw-${++n}`;
    const w = start(bucket);
    const enricher = new FlowEnricher(w.map, () => w.available);
    await sleep(500); // several attempts
    expect(w.available).toBe(false);
    expect(enricher.enrich(LINE)).toEqual({ data: LINE, state: 'unavailable' });
    expect(enricher.unenriched).toBe(1);

    const kv = await new Kvm(nc).create(bucket, { history: 1 });
    await kv.put(RANGES_KEY, RANGES);
    await kv.put(addressKey('10.244.1.5'), value('10.244.1.5', pod('a')));
    await kv.put(addressKey(V6), value(V6, pod('v6')));
    await until('the map to be available', () => w.available);
    expect(w.map.size).toBe(2);
    expect(kind(w, '10.244.1.5')).toBe('a');
    expect(kind(w, V6)).toBe('v6');
    expect(kind(w, '10.244.9.9')).toBe('unknown'); // ranges read
    expect(kind(w, '8.8.8.8')).toBe('external');
    const r = enricher.enrich(LINE);
    expect(r.state).toBe('on');
    expect(JSON.parse(r.data.toString())).toMatchObject({ src: { kind: 'pod', pod: 'a' }, dst: { kind: 'unknown' } });
    expect(w.refused).toBe(0);
  });

  it('is available at once on an empty bucket, then follows puts and deletes', async () => {
    const bucket = `idw-${++n}`;
    const kv = await new Kvm(nc).create(bucket, { history: 1 });
    const w = start(bucket);
    await until('the map to be available', () => w.available);
    expect(w.map.size).toBe(0);
    await kv.put(RANGES_KEY, RANGES);
    await kv.put(addressKey('10.244.1.5'), value('10.244.1.5', pod('a')));
    await kv.put(addressKey(V6), value(V6, pod('v6')));
    await until('the puts', () => w.map.size === 2 && kind(w, V6) === 'v6' && kind(w, '10.244.9.9') === 'unknown');
    // an update replaces the address's windows: a ended at 500, b from 600
    await kv.put(addressKey('10.244.1.5'), value('10.244.1.5', { ...pod('a'), until: 500 }, pod('b', 600)));
    await until('the update', () => kind(w, '10.244.1.5') === 'b');
    expect(JSON.parse(w.map.resolve('10.244.1.5', 100))).toMatchObject({ pod: 'a' });
    await kv.delete(addressKey(V6));
    await until('the delete', () => kind(w, V6) === 'unknown');
    await kv.purge(addressKey('10.244.1.5'));
    await until('the purge', () => kind(w, '10.244.1.5') === 'unknown');
    expect(w.map.size).toBe(0);
    expect(w.available).toBe(true);
  });

  it('counts a value it cannot read in refused, skips it, and keeps following', async () => {
    const bucket = `idw-${++n}`;
    const kv = await new Kvm(nc).create(bucket, { history: 1 });
    await kv.put(addressKey('10.244.1.5'), value('10.244.1.5', pod('a')));
    await kv.put(addressKey('10.244.1.6'), JSON.stringify({ v: 2, ip: '10.244.1.6', entries: [] })); // a newer format
    await kv.put(addressKey('10.244.1.7'), 'not json'); // damage
    await kv.put('unrelated', JSON.stringify({ x: 1 })); // not ours: ignored, not refused
    const w = start(bucket);
    await until('the map to be available', () => w.available);
    expect(w.refused).toBe(2);
    expect(w.map.size).toBe(1);
    await kv.put(RANGES_KEY, JSON.stringify({ v: 1, pods: ['not a cidr'], services: [] }));
    await kv.put(addressKey('10.244.1.8'), value('10.244.1.8', pod('d')));
    await until('the put after the refused values', () => kind(w, '10.244.1.8') === 'd');
    expect(w.refused).toBe(3);
    expect(kind(w, '10.244.1.5')).toBe('a');
  });

  it('a restarted watch reads every key again and forgets the addresses no longer there', async () => {
    const bucket = `idw-${++n}`;
    let kv: KV = await new Kvm(nc).create(bucket, { history: 1 });
    await kv.put(addressKey('10.244.1.5'), value('10.244.1.5', pod('a')));
    await kv.put(addressKey('10.244.1.6'), value('10.244.1.6', pod('b')));
    const w = start(bucket);
    await until('the map to be available', () => w.available && w.map.size === 2);
    // the bucket goes away (the watch ends) and comes back without 10.244.1.6
    await kv.destroy();
    kv = await new Kvm(nc).create(bucket, { history: 1 });
    await kv.put(addressKey('10.244.1.5'), value('10.244.1.5', pod('a2')));
    await until('the restarted watch', () => kind(w, '10.244.1.5') === 'a2', 15_000);
    await until('10.244.1.6 forgotten', () => w.map.size === 1, 15_000);
    expect(kind(w, '10.244.1.6')).toBe('external'); // no ranges in the new bucket
    expect(w.available).toBe(true); // the last map was kept while the watch was down
  });
});
