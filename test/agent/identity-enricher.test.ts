// The agent's identity map (agent/identity/identity-map.ts) and the enricher that adds `src`/`dst`
// to the engine's JSON lines (agent/identity/enricher.ts), on real `tapline analyze` output.
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../agent/engine/binding.js';
import { FlowBatchEncoder } from '../../agent/export/flow-batch.js';
import { ExportedFlowRecordSchema, FlowBatchSchema } from '../../agent/export/payload-schemas.js';
import { FlowEnricher, RecordLayoutError } from '../../agent/identity/enricher.js';
import { IdentityMap } from '../../agent/identity/identity-map.js';
import { addressKey, isAddressKey, keyAddress, type IdentityEntry } from '../../agent/identity/identity-value.js';
import { writeCaptureFile } from '../gen/capture-writer.js';
import { LINKTYPE_ETHERNET } from '../gen/packets.js';
import { buildMixedCapture } from '../gen/scenarios.js';
import { tapline } from '../support/cli.js';

const out = path.join(packageRoot(), 'test', '.out', 'identity');
const file = path.join(out, 'mixed-31.pcap');
let jsonl: Buffer;
let lines: string[];

beforeAll(async () => {
  mkdirSync(out, { recursive: true });
  const capture = buildMixedCapture(31);
  writeCaptureFile(file, capture.frames, { precision: capture.precision, linktype: LINKTYPE_ETHERNET });
  const r = await tapline(['analyze', '-f', 'jsonl', file]);
  expect(r.code, r.stderr).toBe(0);
  jsonl = Buffer.from(r.stdout);
  lines = r.stdout.split('\n').filter((l) => l !== '');
});

const podId = (ns: string, pod: string, workload: [string, string], node = 'n1') => ({ kind: 'pod' as const, namespace: ns, pod, workload: { kind: workload[0], name: workload[1] }, node });

describe('IdentityMap', () => {
  it('resolves the window valid at a time; unknown inside the cluster ranges, external outside', () => {
    const m = new IdentityMap();
    m.setRanges({ v: 1, pods: ['10.244.0.0/16', 'fd00:10:244::/56'], services: ['10.96.0.0/16'] });
    const a = podId('shop', 'a', ['Deployment', 'web']);
    const b = podId('shop', 'b', ['Deployment', 'web']);
    m.set({ v: 1, ip: '10.244.1.5', entries: [{ since: 2000, uid: 'b', id: b }, { since: 1000, until: 1500, uid: 'a', id: a }] });
    expect(m.resolve('10.244.1.5', 999)).toBe('{"kind":"unknown"}');
    expect(JSON.parse(m.resolve('10.244.1.5', 1000))).toEqual(a);
    expect(JSON.parse(m.resolve('10.244.1.5', 1499))).toEqual(a);
    expect(m.resolve('10.244.1.5', 1500)).toBe('{"kind":"unknown"}');
    expect(JSON.parse(m.resolve('10.244.1.5', 2000))).toEqual(b);
    expect(m.resolve('10.96.0.10', 0)).toBe('{"kind":"unknown"}');
    expect(m.resolve('fd00:10:244:0:1::9', 0)).toBe('{"kind":"unknown"}');
    expect(m.resolve('fd00:10:245::9', 0)).toBe('{"kind":"external"}');
    expect(m.resolve('1.1.1.1', 0)).toBe('{"kind":"external"}');
    // an address with windows, none valid, outside the ranges
    m.set({ v: 1, ip: '192.0.2.1', entries: [{ since: 10, until: 20, uid: 'n', id: { kind: 'node', node: 'n9' } }] });
    expect(m.resolve('192.0.2.1', 25)).toBe('{"kind":"external"}');
    // ranges change: what was remembered as external is asked again
    m.setRanges({ v: 1, pods: ['0.0.0.0/0'], services: [] });
    expect(m.resolve('1.1.1.1', 0)).toBe('{"kind":"unknown"}');
    expect(m.size).toBe(2);
    m.delete('10.244.1.5');
    expect(m.resolve('10.244.1.5', 2000)).toBe('{"kind":"unknown"}');
    expect([...m.addressKeys()]).toEqual(['ip.192.0.2.1']);
  });

  it('tells IPv4 ranges apart at their edges (/0, /8, /16, /32)', () => {
    const m = new IdentityMap();
    m.setRanges({ v: 1, pods: ['10.244.0.0/16', '255.0.0.0/8'], services: ['192.0.2.7/32'] });
    const k = (a: string) => (JSON.parse(m.resolve(a, 0)) as { kind: string }).kind;
    expect(['10.244.0.0', '10.244.255.255', '255.255.255.255', '192.0.2.7'].map(k)).toEqual(['unknown', 'unknown', 'unknown', 'unknown']);
    expect(['10.243.255.255', '10.245.0.0', '254.255.255.255', '192.0.2.6', '192.0.2.8', '0.0.0.0'].map(k)).toEqual(Array(6).fill('external'));
    m.setRanges({ v: 1, pods: ['0.0.0.0/0'], services: [] });
    expect(['1.2.3.4', '255.255.255.255', '0.0.0.0'].map(k)).toEqual(['unknown', 'unknown', 'unknown']);
    expect(k('fd00::1')).toBe('external'); // no IPv6 range
  });

  it('keys IPv6 addresses with _ for : and reads them back', () => {
    for (const a of ['fd00:10:244:1::7', '::1', '2001:db8::', '10.0.0.1']) {
      const k = addressKey(a);
      expect(isAddressKey(k)).toBe(true);
      expect(k).toMatch(/^[A-Za-z0-9_\-/=.]+$/);
      expect(keyAddress(k)).toBe(a);
    }
    expect(addressKey('fd00:10:244:1::7')).toBe('ip.fd00_10_244_1__7');
    const m = new IdentityMap();
    m.set({ v: 1, ip: 'fd00:10:244:1::7', entries: [{ since: 0, uid: 'u', id: podId('ns', 'v6', ['Pod', 'v6']) }] });
    expect([...m.addressKeys()]).toEqual(['ip.fd00_10_244_1__7']);
    expect(JSON.parse(m.resolve('fd00:10:244:1::7', 1))).toMatchObject({ pod: 'v6' });
  });
});

describe('FlowEnricher on tapline analyze output', () => {
  // 10.5.0.53 answers DNS from 22:13:20.137 to 22:13:20.497 (the capture's flows): one pod until
  // .300, its replacement from .300 (IP reuse), so records name one or the other by their start.
  const split = Date.parse('2023-11-14T22:13:20.300Z');
  const client = podId('apps', 'client-0', ['StatefulSet', 'client']);
  const dnsOld = podId('kube-system', 'coredns-1', ['Deployment', 'coredns']);
  const dnsNew = podId('kube-system', 'coredns-2', ['Deployment', 'coredns'], 'n2');
  const svc = { kind: 'service' as const, namespace: 'shop', service: 'shop/web' };
  const v6pod = podId('shop', 'web-v6', ['Deployment', 'web']);
  const node = { kind: 'node' as const, node: 'n3' };
  const table: Record<string, IdentityEntry[]> = {
    '10.5.0.1': [{ since: 0, uid: 'c', id: client }],
    '10.5.0.53': [{ since: 0, until: split, uid: 'd1', id: dnsOld }, { since: split, uid: 'd2', id: dnsNew }],
    '10.3.0.2': [{ since: 0, uid: 's', id: svc }],
    '2001:db8:8::2': [{ since: 0, uid: 'v6', id: v6pod }],
    '10.12.0.1': [{ since: 0, uid: 'n3', id: node }],
    // ended before the capture: no identity, and outside the ranges
    '2001:db8:9::1': [{ since: 0, until: 1000, uid: 'gone', id: podId('x', 'gone', ['Pod', 'gone']) }],
  };
  const ranges = { v: 1 as const, pods: ['10.1.0.0/16', '10.3.0.0/16', '2001:db8:8::/64'], services: ['10.12.0.0/16'] };
  const inRanges = (a: string) => a.startsWith('10.1.0.') || a.startsWith('10.3.0.') || a.startsWith('2001:db8:8::') || a.startsWith('10.12.0.');

  function expected(address: string, start: number): unknown {
    if (address === '10.5.0.53') return start < split ? dnsOld : dnsNew;
    const e = table[address];
    if (e && e[0]!.until === undefined) return e[0]!.id;
    return { kind: inRanges(address) ? 'unknown' : 'external' };
  }

  function mapOfTable(): IdentityMap {
    const m = new IdentityMap();
    m.setRanges(ranges);
    for (const [ip, entries] of Object.entries(table)) m.set({ v: 1, ip, entries });
    return m;
  }

  it('adds exactly the expected src and dst to every record and changes nothing else', () => {
    expect(lines.length).toBeGreaterThan(50);
    const e = new FlowEnricher(mapOfTable(), () => true);
    const r = e.enrich(jsonl);
    expect(r.state).toBe('on');
    expect(e.enriched).toBe(lines.length);
    expect(e.unenriched).toBe(0);
    const outLines = r.data.toString().split('\n');
    expect(outLines.pop()).toBe('');
    expect(outLines).toHaveLength(lines.length);
    const seen = new Set<string>();
    outLines.forEach((l, i) => {
      const rec = ExportedFlowRecordSchema.parse(JSON.parse(l));
      const { src, dst, ...rest } = rec;
      expect(rest).toEqual(JSON.parse(lines[i]!));
      const start = Date.parse(rec.start);
      expect({ src, dst }, l).toEqual({ src: expected(rec.srcAddr, start), dst: expected(rec.dstAddr, start) });
      seen.add(src!.kind).add(dst!.kind);
      if (rec.dstAddr === '10.5.0.53') seen.add((dst as { pod: string }).pod);
    });
    // the capture exercises every kind and both sides of the IP reuse
    expect([...seen].sort()).toEqual(['coredns-1', 'coredns-2', 'external', 'node', 'pod', 'service', 'unknown']);
    // as the exporter packs it: a valid enriched batch
    const enc = new FlowBatchEncoder({ node: 'n1', policy: { namespace: 'ns', name: 'p' }, bootId: '0123456789abcdef', subject: 's', maxRecords: 1000, maxBytes: 1 << 20 });
    const [msg] = enc.encode(r.data, r.state);
    const batch = FlowBatchSchema.parse(JSON.parse(msg!.payload.toString()));
    expect(batch.enrichment).toBe('on');
    expect(batch.records).toHaveLength(lines.length);
  });

  it('uses each flow’s start with its sub-millisecond digits (an entry starting at the record’s millisecond covers it)', () => {
    const line = lines.find((l) => JSON.parse(l).dstAddr === '10.5.0.53')!;
    const start = Date.parse(JSON.parse(line).start);
    const m = new IdentityMap();
    m.set({ v: 1, ip: '10.5.0.53', entries: [{ since: start, uid: 'd2', id: dnsNew }] });
    const at = JSON.parse(new FlowEnricher(m, () => true).enrich(Buffer.from(`${line}\n`)).data.toString());
    expect(at.dst).toEqual(dnsNew);
    m.set({ v: 1, ip: '10.5.0.53', entries: [{ since: start + 1, uid: 'd2', id: dnsNew }] });
    const before = JSON.parse(new FlowEnricher(m, () => true).enrich(Buffer.from(`${line}\n`)).data.toString());
    expect(before.dst).toEqual({ kind: 'external' });
  });

  it('leaves the data unchanged while the map is unavailable, and counts the records', () => {
    let available = false;
    const e = new FlowEnricher(mapOfTable(), () => available);
    const r = e.enrich(jsonl);
    expect(r.state).toBe('unavailable');
    expect(r.data).toBe(jsonl);
    expect(e.unenriched).toBe(lines.length);
    // a last line without its newline counts too
    const two = Buffer.from(`${lines[0]}\n${lines[1]}`);
    expect(e.enrich(two).data).toBe(two);
    expect(e.unenriched).toBe(lines.length + 2);
    expect(e.enrich(Buffer.alloc(0)).state).toBe('unavailable');
    expect(e.unenriched).toBe(lines.length + 2);
    available = true;
    const r2 = e.enrich(two);
    expect(r2.state).toBe('on');
    expect(r2.data.toString().split('\n')).toHaveLength(3);
    expect(e.enriched).toBe(2);
  });

  it('refuses a line the engine would not write (RecordLayoutError)', () => {
    const e = new FlowEnricher(mapOfTable(), () => true);
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    const { srcAddr, dstAddr, ...rest } = rec;
    const bad = [
      JSON.stringify({ dstAddr, srcAddr, ...rest }), // dstAddr first
      JSON.stringify({ srcAddr, ...rest }), // no dstAddr
      JSON.stringify({ srcAddr, dstAddr, ...rest, start: undefined }), // no start
      `${lines[0]!.slice(0, -1)}`, // cut
      'not json at all',
    ];
    for (const l of bad) expect(() => e.enrich(Buffer.from(`${lines[1]}\n${l}\n`)), l).toThrow(RecordLayoutError);
    // a record without start followed by one with it: start is not taken from the next line
    expect(() => e.enrich(Buffer.from(`${bad[2]}\n${lines[1]}\n`))).toThrow(RecordLayoutError);
    expect(e.enriched).toBe(0);
  });
});
