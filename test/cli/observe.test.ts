// `tapline observe` on a real nats-server: the records of a generated capture as `tapline analyze
// --nats` publishes them (exact answers from the flow model), and hand-built flow-batch.v2
// batches with Kubernetes identities and TCP latency (validated with the published schema), read
// back through every filter, --last, --since, --follow and the three output formats.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { BlockList } from 'node:net';
import path from 'node:path';

import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../agent/engine/binding.js';
import { AlertMessageSchema, FlowBatchSchema, type AlertMessage, type ExportedFlowRecord, type FlowBatch } from '../../agent/export/payload-schemas.js';
import type { Endpoint } from '../../agent/identity/endpoint.js';
import { writeCaptureFile } from '../gen/capture-writer.js';
import { diffRecords, expectFlows, type FlowRecordJson } from '../gen/flow-model.js';
import { LINKTYPE_ETHERNET } from '../gen/packets.js';
import { buildMixedCapture } from '../gen/scenarios.js';
import { NATS_BUILD_TIMEOUT_MS, NatsTestServer, freePort } from '../nats/server.js';
import { tapline } from '../support/cli.js';

const out = path.join(packageRoot(), 'test', '.out', 'cli-observe');
const capture = buildMixedCapture(31);
const expected = expectFlows(capture);
const file = path.join(out, 'observe.pcap');
let nats: NatsTestServer;
let nc: NatsConnection;

// ---- hand-built batches: two nodes, two policies, pods of workloads, a service, external ends

const web = (pod: string): Endpoint => ({ kind: 'pod', namespace: 'shop', pod, workload: { kind: 'Deployment', name: 'web' }, node: 'n1' });
const db: Endpoint = { kind: 'pod', namespace: 'data', pod: 'db-0', workload: { kind: 'StatefulSet', name: 'db' }, node: 'n2' };
const dns: Endpoint = { kind: 'service', namespace: 'kube-system', service: 'kube-system/kube-dns' };
const internet: Endpoint = { kind: 'external' };
const nodeEnd: Endpoint = { kind: 'node', node: 'n1' };

let recordNo = 0;
function record(src: [string, number, Endpoint | undefined], dst: [string, number, Endpoint | undefined], proto = 6, extra: Partial<ExportedFlowRecord> = {}): ExportedFlowRecord {
  const n = recordNo++;
  const t = new Date(Date.UTC(2025, 0, 1, 12, 0, 0) + n * 1000).toISOString().replace('.000Z', '.000000Z');
  return {
    srcAddr: src[0], dstAddr: dst[0], srcPort: src[1], dstPort: dst[1], proto, ipVersion: src[0].includes(':') ? 6 : 4, vlan: null,
    packets: 10 + n, bytes: 1000 + n, revPackets: 8, revBytes: 5000, tcpFlags: proto === 6 ? 27 : 0, revTcpFlags: proto === 6 ? 27 : 0,
    start: t, end: t, endReason: 'fin', communityId: `1:${String(n).padStart(27, 'A')}=`,
    ...(src[2] ? { src: src[2] } : {}), ...(dst[2] ? { dst: dst[2] } : {}), ...extra,
  };
}

function batch(node: string, policy: [string, string], seq: number, records: ExportedFlowRecord[]): FlowBatch {
  const enriched = records.every((r) => r.src && r.dst);
  return FlowBatchSchema.parse({ schema: 'tapline.flow-batch.v2', node, policy: { namespace: policy[0], name: policy[1] }, bootId: '0123456789abcdef', seq, count: records.length, enrichment: enriched ? 'on' : 'off', records });
}

const P1: [string, string] = ['monitoring', 'ddos-watch'];
const P2: [string, string] = ['shop', 'web-watch'];
const batches: FlowBatch[] = [
  batch('n1', P1, 0, [
    record(['10.0.1.5', 43210, web('web-7d9-abc')], ['10.0.2.7', 5432, db], 6, { tcpHandshakeServerUs: 850, tcpHandshakeClientUs: 120, tcpRttMinUs: 910, tcpRttSmoothedUs: 1300, tcpRetransmits: 1, revTcpRetransmits: 0 }),
    record(['10.0.1.5', 5353, web('web-7d9-abc')], ['10.96.0.10', 53, dns], 17),
  ]),
  batch('n2', P1, 0, [record(['203.0.113.9', 51000, internet], ['10.0.1.6', 443, web('web-7d9-xyz')], 6, { tcpHandshakeServerUs: 2100, tcpRttMinUs: 2050 })]),
  batch('n1.example', P2, 0, [record(['10.0.0.1', 10250, nodeEnd], ['10.0.2.7', 9187, db], 6), record(['2001:db8::5', 0, internet], ['2001:db8::6', 0, internet], 58)]),
  batch('n2', P2, 1, [record(['10.0.9.9', 40000, undefined], ['10.0.9.10', 80, undefined], 6)]),
];
const allIdRecords = batches.flatMap((b) => b.records.map((r) => ({ b, r })));

const alerts: AlertMessage[] = [
  ['raised', 1], ['updated', 2], ['resolved', 3],
].map(([state, seq]) => AlertMessageSchema.parse({
  schema: 'tapline.alert.v1', node: 'n1', policy: { namespace: 'monitoring', name: 'ddos-watch' }, bootId: '0123456789abcdef', seq,
  id: 'syn_flood:10.0.99.1:1735732800000', type: 'syn_flood', state, key: { dst: '10.0.99.1' }, metric: 'syns_per_second', observed: 1500, threshold: 1000,
  windowMs: 1000, firstSeen: '2025-01-01T12:00:00.000Z', lastSeen: '2025-01-01T12:00:05.000Z',
}));
alerts.push(AlertMessageSchema.parse({
  schema: 'tapline.alert.v1', node: 'n2', policy: { namespace: 'monitoring', name: 'ddos-watch' }, bootId: '0123456789abcdef', seq: 0,
  id: 'port_scan:10.0.5.5:1735732800000', type: 'port_scan', state: 'raised', key: { src: '10.0.5.5' }, metric: 'distinct_ports', observed: 80, threshold: 50,
  windowMs: 10_000, firstSeen: '2025-01-01T12:00:00.000Z', lastSeen: '2025-01-01T12:00:01.000Z',
}));

const subjectOf = (prefix: string, b: { node: string; policy: { namespace: string; name: string } }, kind: 'flows' | 'alerts'): string =>
  `${prefix}.${b.policy.namespace}.${b.policy.name}.${kind}.${b.node.replace(/[.*>\s]/g, '_')}`;

async function publish(stream: string, prefix: string, items: Array<FlowBatch | AlertMessage>): Promise<void> {
  const js = jetstream(nc);
  for (const m of items) await js.publish(subjectOf(prefix, m, 'records' in m ? 'flows' : 'alerts'), JSON.stringify(m));
  void stream;
}

async function createStream(name: string, prefix: string): Promise<void> {
  await (await jetstreamManager(nc)).streams.add({ name, subjects: [`${prefix}.>`] });
}

beforeAll(async () => {
  mkdirSync(out, { recursive: true });
  writeCaptureFile(file, capture.frames, { precision: capture.precision, linktype: LINKTYPE_ETHERNET });
  nats = await NatsTestServer.start();
  nc = await connect({ servers: nats.url });
  const r = await tapline(['analyze', file, '--nats', nats.url, '--stream', 'CAP', '--create-stream', '--workers', '2']);
  expect(r.code, r.stderr).toBe(0);
  await createStream('K8S', 'k8s');
  await publish('K8S', 'k8s', [...batches, ...alerts]);
}, NATS_BUILD_TIMEOUT_MS);
afterAll(async () => {
  await nc?.close();
  await nats?.cleanup();
});

interface FlowLine {
  flow: ExportedFlowRecord;
  node: string;
  policy: { namespace: string; name: string };
  time: string;
  streamSeq: number;
}

async function observeJsonl(args: string[]): Promise<FlowLine[]> {
  const r = await tapline(['observe', '--nats', nats.url, '-o', 'jsonl', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as FlowLine);
}

const inBlock = (cidr: string) => {
  const [a, bits] = cidr.split('/');
  const list = new BlockList();
  const type = a!.includes(':') ? 'ipv6' : 'ipv4';
  list.addSubnet(a!, Number(bits), type);
  return (x: string) => list.check(x, x.includes(':') ? 'ipv6' : 'ipv4');
};
const PORTED = new Set([6, 17, 132]);

describe('tapline observe: a generated capture published by tapline analyze --nats', () => {
  it('reads back exactly the records of the capture, each with its node, policy and storage time', async () => {
    const lines = await observeJsonl(['--stream', 'CAP']);
    expect(diffRecords(lines.map((l) => l.flow as FlowRecordJson), expected)).toEqual([]);
    for (const l of lines) {
      expect(l.node).toBe('local');
      expect(l.policy).toEqual({ namespace: 'local', name: 'analyze' });
      expect(Number.isNaN(Date.parse(l.time))).toBe(false);
      expect(l.streamSeq).toBeGreaterThan(0);
    }
  });

  it.each<[string, string[], (r: FlowRecordJson) => boolean]>([
    ['--proto udp', ['--proto', 'udp'], (r) => r.proto === 17],
    ['--proto 58', ['--proto', '58'], (r) => r.proto === 58],
    ['--port 53', ['--port', '53'], (r) => PORTED.has(r.proto) && (r.srcPort === 53 || r.dstPort === 53)],
    ['--port 53 --port 443 (OR)', ['--port', '53', '--port', '443'], (r) => PORTED.has(r.proto) && [53, 443].some((p) => r.srcPort === p || r.dstPort === p)],
    ['--proto tcp --port 80 (AND)', ['--proto', 'tcp', '--port', '80'], (r) => r.proto === 6 && (r.srcPort === 80 || r.dstPort === 80)],
    ['--ip 10.5.0.0/16', ['--ip', '10.5.0.0/16'], (r) => inBlock('10.5.0.0/16')(r.srcAddr) || inBlock('10.5.0.0/16')(r.dstAddr)],
    ['--ip 2001:db8:8::1', ['--ip', '2001:db8:8::1'], (r) => r.srcAddr === '2001:db8:8::1' || r.dstAddr === '2001:db8:8::1'],
    ['--node local --policy local/analyze', ['--node', 'local', '--policy', 'local/analyze'], () => true],
    ['--node elsewhere', ['--node', 'elsewhere'], () => false],
    ['--policy capture', ['--policy', 'capture'], () => false],
  ])('%s returns exactly the matching records', async (_name, args, pick) => {
    const want = expected.filter(pick);
    const lines = await observeJsonl(['--stream', 'CAP', ...args]);
    expect(diffRecords(lines.map((l) => l.flow as FlowRecordJson), want)).toEqual([]);
    if (_name !== '--node elsewhere' && _name !== '--policy capture') expect(want.length).toBeGreaterThan(0);
  });

  it('-o json is one array of the same objects; the table has one line per record and a header', async () => {
    const json = await tapline(['observe', '--nats', nats.url, '--stream', 'CAP', '-o', 'json', '--proto', 'udp']);
    expect(json.code, json.stderr).toBe(0);
    const arr = JSON.parse(json.stdout) as FlowLine[];
    expect(diffRecords(arr.map((l) => l.flow as FlowRecordJson), expected.filter((r) => r.proto === 17))).toEqual([]);
    const empty = await tapline(['observe', '--nats', nats.url, '--stream', 'CAP', '-o', 'json', '--node', 'none']);
    expect(JSON.parse(empty.stdout)).toEqual([]);
    const table = await tapline(['observe', '--nats', nats.url, '--stream', 'CAP']);
    expect(table.code, table.stderr).toBe(0);
    const rows = table.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^TIME \(UTC\)\s+NODE\s+SOURCE\s+DESTINATION\s+PROTO/);
    expect(rows).toHaveLength(expected.length + 1);
  });

  it('--last N gives the last N records of the same read, in stream order', async () => {
    const all = await observeJsonl(['--stream', 'CAP']);
    const last = await observeJsonl(['--stream', 'CAP', '--last', '7']);
    expect(last).toEqual(all.slice(-7));
    const lastUdp = await observeJsonl(['--stream', 'CAP', '--last', '2', '--proto', 'udp']);
    expect(lastUdp).toEqual(all.filter((l) => l.flow.proto === 17).slice(-2));
  });

  it('stops with exit 0 when there is nothing to read', async () => {
    const r = await tapline(['observe', '--nats', nats.url, '--stream', 'CAP', '--proto', '99']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('no matching flows in stream CAP');
  });
});

describe('tapline observe: Kubernetes identities, TCP latency and alerts (hand-built v2 batches)', () => {
  const pick = (f: (b: FlowBatch, r: ExportedFlowRecord) => boolean) => allIdRecords.filter(({ b, r }) => f(b, r)).map(({ r }) => r.communityId);
  const ids = async (args: string[]) => (await observeJsonl(['--stream', 'K8S', '--subject-prefix', 'k8s', ...args])).map((l) => l.flow.communityId);

  it.each<[string, string[], (b: FlowBatch, r: ExportedFlowRecord) => boolean]>([
    ['--namespace shop', ['--namespace', 'shop'], (_b, r) => r.src?.namespace === 'shop' || r.dst?.namespace === 'shop'],
    ['--namespace kube-system (a service)', ['-n', 'kube-system'], (_b, r) => r.dst?.service?.startsWith('kube-system/') === true],
    ['--pod shop/web-7d9-abc', ['--pod', 'shop/web-7d9-abc'], (_b, r) => r.src?.pod === 'web-7d9-abc' || r.dst?.pod === 'web-7d9-abc'],
    ['--pod db-0 --pod web-7d9-xyz (OR)', ['--pod', 'db-0', '--pod', 'web-7d9-xyz'], (_b, r) => [r.src?.pod, r.dst?.pod].some((p) => p === 'db-0' || p === 'web-7d9-xyz')],
    ['--workload Deployment/web', ['--workload', 'Deployment/web'], (_b, r) => [r.src, r.dst].some((e) => e?.workload?.name === 'web')],
    ['--workload statefulset/db', ['--workload', 'statefulset/db'], (_b, r) => [r.src, r.dst].some((e) => e?.workload?.name === 'db')],
    ['--workload web --proto udp (AND)', ['--workload', 'web', '--proto', 'udp'], (_b, r) => r.proto === 17],
    ['--workload DaemonSet/web', ['--workload', 'DaemonSet/web'], () => false],
    ['--node n1.example (made a subject token, checked exactly)', ['--node', 'n1.example'], (b) => b.node === 'n1.example'],
    ['--node n2 --node n1 (OR)', ['--node', 'n2', '--node', 'n1'], (b) => b.node === 'n1' || b.node === 'n2'],
    ['--policy web-watch', ['--policy', 'web-watch'], (b) => b.policy.name === 'web-watch'],
    ['--policy monitoring/ddos-watch --node n2', ['--policy', 'monitoring/ddos-watch', '--node', 'n2'], (b) => b.policy.name === 'ddos-watch' && b.node === 'n2'],
    ['--ip 2001:db8::/32', ['--ip', '2001:db8::/32'], (_b, r) => r.ipVersion === 6],
  ])('%s', async (_name, args, f) => {
    expect(await ids(args)).toEqual(pick(f));
  });

  it('the table shows both ends as pod (workload), service, node, external or the address, and TCP latency when measured', async () => {
    const r = await tapline(['observe', '--nats', nats.url, '--stream', 'K8S', '--subject-prefix', 'k8s']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows).toHaveLength(allIdRecords.length + 1);
    expect(rows[0]).toMatch(/TCP LATENCY$/);
    expect(rows[1]).toMatch(/ n1 +10\.0\.1\.5:43210 shop\/web-7d9-abc \(Deployment\/web\) +10\.0\.2\.7:5432 data\/db-0 \(StatefulSet\/db\) +tcp +SAFP\/SAFP .* hs=850us rtt=910us retx=1$/);
    expect(rows[2]).toMatch(/10\.96\.0\.10:53 service kube-system\/kube-dns +udp /);
    expect(rows[3]).toMatch(/203\.0\.113\.9:51000 external +10\.0\.1\.6:443 shop\/web-7d9-xyz \(Deployment\/web\) .* hs=2\.10ms rtt=2\.05ms$/);
    expect(rows[4]).toMatch(/n1\.example +10\.0\.0\.1:10250 node n1 +10\.0\.2\.7:9187 data\/db-0/);
    expect(rows[5]).toMatch(/2001:db8::5 external +2001:db8::6 external +icmpv6/);
    expect(rows[6]).toMatch(/10\.0\.9\.9:40000 +10\.0\.9\.10:80 +tcp .* fin$/);
  });

  it('--alerts shows the alerts, filtered by node and address', async () => {
    const table = await tapline(['observe', '--nats', nats.url, '--stream', 'K8S', '--subject-prefix', 'k8s', '--alerts']);
    expect(table.code, table.stderr).toBe(0);
    const rows = table.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^TIME \(UTC\)\s+NODE\s+TYPE\s+STATE\s+KEY\s+DETAIL$/);
    expect(rows).toHaveLength(alerts.length + 1);
    expect(rows[1]).toMatch(/ n1 +syn_flood +raised +dst 10\.0\.99\.1 +syns_per_second 1,500 > 1,000 window 1s/);
    const jsonl = await tapline(['observe', '--nats', nats.url, '--stream', 'K8S', '--subject-prefix', 'k8s', '--alerts', '-o', 'jsonl', '--ip', '10.0.5.0/24']);
    const lines = jsonl.stdout.trim().split('\n').map((l) => JSON.parse(l) as { alert: AlertMessage; node: string });
    expect(lines.map((l) => [l.node, l.alert.type, l.alert.state])).toEqual([['n2', 'port_scan', 'raised']]);
    const byNode = await tapline(['observe', '--nats', nats.url, '--stream', 'K8S', '--subject-prefix', 'k8s', '--alerts', '-o', 'jsonl', '--node', 'n1', '--last', '2']);
    expect(byNode.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { alert: AlertMessage }).alert.state)).toEqual(['updated', 'resolved']);
  });
});

describe('tapline observe: --since, --last over many messages, --follow', () => {
  it('--since TIME starts at the first message stored at or after it; --since 1h takes them all', async () => {
    await createStream('SINCE', 'since');
    await publish('SINCE', 'since', [batches[0]!]);
    await new Promise((r) => setTimeout(r, 50));
    const cut = new Date();
    await new Promise((r) => setTimeout(r, 50));
    await publish('SINCE', 'since', [batches[1]!, batches[3]!]);
    const after = await observeJsonl(['--stream', 'SINCE', '--subject-prefix', 'since', '--since', cut.toISOString()]);
    expect(after.map((l) => l.flow.communityId)).toEqual([...batches[1]!.records, ...batches[3]!.records].map((r) => r.communityId));
    const hour = await observeJsonl(['--stream', 'SINCE', '--subject-prefix', 'since', '--since', '1h']);
    expect(hour).toHaveLength(4);
  });

  it('--last N over a stream of many messages returns the tail, also when only a few match', async () => {
    await createStream('MANY', 'many');
    const many: FlowBatch[] = [];
    for (let i = 0; i < 400; i++) {
      const proto = i % 97 === 0 ? 17 : 6;
      many.push(batch(`node-${i % 3}`, P1, i, [record([`10.1.${i >> 8}.${i & 255}`, 1000 + i, undefined], ['10.2.0.1', 80, undefined], proto), record(['10.3.0.1', 2000 + i, undefined], ['10.2.0.1', 80, undefined])]));
    }
    await publish('MANY', 'many', many);
    const all = many.flatMap((b) => b.records.map((r) => r.communityId));
    const ids = async (args: string[]) => (await observeJsonl(['--stream', 'MANY', '--subject-prefix', 'many', ...args])).map((l) => l.flow.communityId);
    expect(await ids(['--last', '3'])).toEqual(all.slice(-3));
    expect(await ids(['--last', '301'])).toEqual(all.slice(-301));
    expect(await ids(['--last', '5000'])).toEqual(all);
    const udp = many.flatMap((b) => b.records.filter((r) => r.proto === 17).map((r) => r.communityId));
    expect(udp).toHaveLength(5);
    expect(await ids(['--last', '4', '--proto', 'udp'])).toEqual(udp.slice(-4));
    expect(await ids(['--last', '2', '--node', 'node-1'])).toEqual(many.filter((b) => b.node === 'node-1').flatMap((b) => b.records.map((r) => r.communityId)).slice(-2));
  });

  it('--follow prints what was stored before and what is published after it started, until SIGINT (exit 0)', async () => {
    await createStream('FOLLOW', 'follow');
    await publish('FOLLOW', 'follow', [batches[0]!]);
    const child = spawn(process.execPath, [path.join(packageRoot(), 'bin', 'tapline.js'), 'observe', '--nats', nats.url, '--stream', 'FOLLOW', '--subject-prefix', 'follow', '--follow', '-o', 'jsonl', '--namespace', 'shop'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const lines = () => stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as FlowLine).flow.communityId);
    const waitLines = async (n: number) => {
      const deadline = Date.now() + 15_000;
      while (lines().length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    };
    await waitLines(2);
    expect(lines()).toEqual(batches[0]!.records.map((r) => r.communityId));
    await publish('FOLLOW', 'follow', [batches[3]!, batches[1]!]); // batch 3 has no shop end
    await waitLines(3);
    expect(lines()).toEqual([...batches[0]!.records, ...batches[1]!.records].map((r) => r.communityId));
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(0);
  });
});

describe('tapline observe: errors', () => {
  it('a missing stream or an unreachable server is one line and exit 1', async () => {
    const missing = await tapline(['observe', '--nats', nats.url, '--stream', 'ABSENT']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('tapline observe: stream ABSENT does not exist\n');
    const port = await freePort();
    const t0 = Date.now();
    const away = await tapline(['observe', '--nats', `nats://127.0.0.1:${port}`]);
    expect(away.code).toBe(1);
    expect(away.stderr).toMatch(new RegExp(`^tapline observe: cannot connect to NATS \\(nats://127\\.0\\.0\\.1:${port}\\): .*\\n$`));
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it.each<[string[], RegExp]>([
    [['--stream', 'X'], /--nats URL is required/],
    [['--nats', 'http://x:4222'], /--nats: must be a URL like nats:\/\/host:4222/],
    [['--nats', 'nats://u:secret@x:4222'], /--nats: credentials in the URL are not accepted/],
    [['--nats', 'nats://x:4222', '--colour', 'red'], /Unknown option '--colour'/],
    [['--nats', 'nats://x:4222', '--port', 'http'], /--port: "http" is not a port number/],
    [['--nats', 'nats://x:4222', '--proto', 'tcpp'], /--proto: "tcpp" is not/],
    [['--nats', 'nats://x:4222', '--ip', '10.0.0.0/33'], /--ip: "10.0.0.0\/33" is not an IP address or CIDR block/],
    [['--nats', 'nats://x:4222', '--workload', 'a/b/c'], /--workload: "a\/b\/c" is not/],
    [['--nats', 'nats://x:4222', '--alerts', '--pod', 'x'], /--pod: not with --alerts/],
    [['--nats', 'nats://x:4222', '--since', '10m', '--last', '3'], /--since and --last: one or the other/],
    [['--nats', 'nats://x:4222', '--since', 'yesterday'], /--since: "yesterday" is neither a duration/],
    [['--nats', 'nats://x:4222', '-o', 'yaml'], /--output: must be one of table, jsonl, json/],
    [['--nats', 'nats://x:4222', '-o', 'json', '--follow'], /--output json: not with --follow/],
    [['--nats', 'nats://x:4222', '--tls-cert', '/x'], /--tls-cert and --tls-key: both or neither/],
  ])('%j: exit 2, naming the flag', async (args, message) => {
    const r = await tapline(['observe', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(message);
  });

  it('credentials from files, as the agent takes them', async () => {
    const secured = await NatsTestServer.start({ auth: { user: 'reader', password: 's3cret' } });
    try {
      const dir = path.join(out, 'creds');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'user'), 'reader\n');
      writeFileSync(path.join(dir, 'password'), 's3cret\n');
      const snc = await connect({ servers: secured.url, user: 'reader', pass: 's3cret' });
      await (await jetstreamManager(snc)).streams.add({ name: 'SEC', subjects: ['tapline.>'] });
      await jetstream(snc).publish(subjectOf('tapline', batches[1]!, 'flows'), JSON.stringify(batches[1]));
      await snc.close();
      const ok = await tapline(['observe', '--nats', secured.url, '--stream', 'SEC', '-o', 'jsonl', '--username-file', path.join(dir, 'user'), '--password-file', path.join(dir, 'password')]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout.trim().split('\n')).toHaveLength(1);
      const refused = await tapline(['observe', '--nats', secured.url, '--stream', 'SEC']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^tapline observe: cannot connect to NATS .*Authorization/i);
      const noFile = await tapline(['observe', '--nats', secured.url, '--username-file', path.join(dir, 'nope'), '--password-file', path.join(dir, 'password')]);
      expect(noFile.code).toBe(1);
      expect(noFile.stderr).toMatch(/^tapline observe: --username-file: cannot read .*nope \(no such file\)\n$/);
    } finally {
      await secured.cleanup();
    }
  });
});
