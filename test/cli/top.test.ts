// `tapline top` on a real nats-server with hand-built flow-batch.v2 batches (identities, TCP
// latency with known percentiles) and alerts: the plain-text frames of --batch (stdout not a
// terminal), and the interactive view in a real pseudo-terminal (tmux): drawn at 120x40, redrawn
// narrower after a resize, and q quits with exit 0 and the terminal given back.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../agent/engine/binding.js';
import { AlertMessageSchema, FlowBatchSchema, type AlertMessage, type ExportedFlowRecord, type FlowBatch } from '../../agent/export/payload-schemas.js';
import type { Endpoint } from '../../agent/identity/endpoint.js';
import { NATS_BUILD_TIMEOUT_MS, NatsTestServer } from '../nats/server.js';
import { tapline } from '../support/cli.js';

let nats: NatsTestServer;
let nc: NatsConnection;

const web: Endpoint = { kind: 'pod', namespace: 'shop', pod: 'web-1', workload: { kind: 'Deployment', name: 'web' } };
const db: Endpoint = { kind: 'pod', namespace: 'data', pod: 'db-0', workload: { kind: 'StatefulSet', name: 'db' } };
const internet: Endpoint = { kind: 'external' };

let n = 0;
function record(src: [string, Endpoint], dst: [string, Endpoint], extra: Partial<ExportedFlowRecord>): ExportedFlowRecord {
  const i = n++;
  const t = new Date(Date.UTC(2025, 0, 1, 12, 0, 0) + i).toISOString().replace('Z', '000Z');
  return {
    srcAddr: src[0], dstAddr: dst[0], srcPort: 40000 + i, dstPort: 5432, proto: 6, ipVersion: 4, vlan: null,
    packets: 10, bytes: 1000, revPackets: 10, revBytes: 9000, tcpFlags: 27, revTcpFlags: 27, start: t, end: t, endReason: 'fin',
    communityId: `1:${String(i).padStart(27, 'A')}=`, src: src[1], dst: dst[1], ...extra,
  };
}

// 100 web -> db flows on n1, RTT min 1..100 ms, handshake 0.1..10 ms: p50/p90/p99 are exact.
const web2db: FlowBatch = FlowBatchSchema.parse({
  schema: 'tapline.flow-batch.v2', node: 'n1', policy: { namespace: 'monitoring', name: 'watch' }, bootId: '0123456789abcdef', seq: 0, count: 100, enrichment: 'on',
  records: Array.from({ length: 100 }, (_, i) => record(['10.0.1.5', web], ['10.0.2.7', db], { tcpRttMinUs: (i + 1) * 1000, tcpHandshakeServerUs: (i + 1) * 100 })),
});
// 10 flows from the internet to web on n2, no latency measured.
const inbound: FlowBatch = FlowBatchSchema.parse({
  schema: 'tapline.flow-batch.v2', node: 'n2', policy: { namespace: 'monitoring', name: 'watch' }, bootId: '0123456789abcdef', seq: 0, count: 10, enrichment: 'on',
  records: Array.from({ length: 10 }, () => record(['203.0.113.9', internet], ['10.0.1.6', web], { endReason: 'idle' } as Partial<ExportedFlowRecord>)),
});
const alert = (state: string, seq: number, id: string, type: string, key: object, lastSeen: string): AlertMessage => AlertMessageSchema.parse({
  schema: 'tapline.alert.v1', node: 'n1', policy: { namespace: 'monitoring', name: 'watch' }, bootId: '0123456789abcdef', seq,
  id, type, state, key, metric: type === 'syn_flood' ? 'syns_per_second' : 'distinct_ports', observed: 1500, threshold: 1000,
  windowMs: 1000, firstSeen: '2025-01-01T12:00:00.000Z', lastSeen,
});
const alerts = [
  alert('raised', 0, 'syn_flood:10.0.99.1:1', 'syn_flood', { dst: '10.0.99.1' }, '2025-01-01T12:00:01.000Z'),
  alert('resolved', 1, 'syn_flood:10.0.99.1:1', 'syn_flood', { dst: '10.0.99.1' }, '2025-01-01T12:00:09.000Z'),
  alert('raised', 2, 'port_scan:10.0.5.5:1', 'port_scan', { src: '10.0.5.5' }, '2025-01-01T12:00:02.000Z'),
];

const subject = (m: { node: string; policy: { namespace: string; name: string } }, kind: string) => `tapline.${m.policy.namespace}.${m.policy.name}.${kind}.${m.node}`;

beforeAll(async () => {
  nats = await NatsTestServer.start();
  nc = await connect({ servers: nats.url });
  await (await jetstreamManager(nc)).streams.add({ name: 'TAPLINE', subjects: ['tapline.>'] });
  const js = jetstream(nc);
  await js.publish(subject(web2db, 'flows'), JSON.stringify(web2db));
  await js.publish(subject(inbound, 'flows'), JSON.stringify(inbound));
  for (const a of alerts) await js.publish(subject(a, 'alerts'), JSON.stringify(a));
}, NATS_BUILD_TIMEOUT_MS);
afterAll(async () => {
  await nc?.close();
  await nats?.cleanup();
});

describe('tapline top --batch (stdout not a terminal)', () => {
  it('prints plain frames: rates per node, top talkers by workload and address, exact latency percentiles, the alerts\' life cycle', async () => {
    const r = await tapline(['top', '--nats', nats.url, '--window', '1m', '--since', '10m', '--iterations', '2', '--width', '120']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/\x1b/);
    const frames = r.stdout.trimEnd().split(/\n\n(?=tapline top )/);
    expect(frames).toHaveLength(2);
    const f = frames[1]!;
    expect(f).toMatch(/^tapline top {2}TAPLINE @ nats:\/\/127\.0\.0\.1:\d+ {2}\d\d:\d\d:\d\d UTC {2}window 60s/);
    expect(f).toContain('read: 110 flows in 2 batches, 3 alerts');
    expect(f).toMatch(/^ {2}NODE +FLOWS\/S +PKTS\/S +BYTES\/S +FLOWS READ$/m);
    expect(f).toMatch(/^ {2}n1 +1\.7 +33\.3 +\d+(\.\d)? KiB +100$/m); // 100 flows (2,000 packets) over 60 s
    expect(f).toMatch(/^ {2}n2 +0\.2 +3\.3 +\d+(\.\d)? KiB +10$/m);
    expect(f).toMatch(/top workloads \(bytes sent\) +top addresses \(bytes sent\)/);
    // web sent 100 x 1000 (to db) + 10 x 9000 (answers to the internet): first; db sent 100 x 9000.
    expect(f).toMatch(/^ {2}data\/StatefulSet\/db .* {3}10\.0\.2\.7 /m);
    expect(f).toContain('shop/Deployment/web');
    expect(f).toContain('external');
    expect(f).toContain('handshake p50 5.00ms  p90 9.00ms  p99 9.90ms  (100 flows)');
    expect(f).toContain('rtt min   p50 50.0ms  p90 90.0ms  p99 99.0ms  (100 flows)');
    expect(f).toMatch(/end reasons +fin 100, idle 10/);
    expect(f).toContain('alerts: 1 active, 1 resolved');
    expect(f).toMatch(/^ {2}ACTIVE +port_scan +src 10\.0\.5\.5 +n1 +raised distinct_ports 1,500 > 1,000/m);
    expect(f).toMatch(/^ {2}RESOLVED +syn_flood +dst 10\.0\.99\.1 +n1 +raised Jan 01 12:00:00\.000, quiet since Jan 01 12:00:09\.000/m);
  });

  it('filters apply: --namespace data counts only the flows with a data end; --node n2 only n2\'s', async () => {
    const ns = await tapline(['top', '--nats', nats.url, '--since', '10m', '--iterations', '1', '--namespace', 'data']);
    expect(ns.code, ns.stderr).toBe(0);
    expect(ns.stdout).toContain('read: 100 flows in 2 batches');
    const node = await tapline(['top', '--nats', nats.url, '--since', '10m', '--iterations', '1', '--node', 'n2']);
    expect(node.stdout).toContain('read: 10 flows in 1 batches, 0 alerts');
  });

  it('a narrow frame drops node columns and stacks the talkers; every line fits', async () => {
    const r = await tapline(['top', '--nats', nats.url, '--since', '10m', '--iterations', '1', '--width', '50']);
    expect(r.code, r.stderr).toBe(0);
    for (const l of r.stdout.trimEnd().split('\n')) expect(l.length, l).toBeLessThanOrEqual(50);
    expect(r.stdout).toMatch(/^ {2}NODE +FLOWS\/S +PKTS\/S +BYTES\/S$/m);
    expect(r.stdout).not.toContain('FLOWS READ');
    expect(r.stdout).toMatch(/^top workloads \(bytes sent\)$/m);
    expect(r.stdout).toMatch(/^top addresses \(bytes sent\)$/m);
  });

  it('errors: a missing stream exit 1, one line; a bad flag exit 2', async () => {
    const missing = await tapline(['top', '--nats', nats.url, '--stream', 'NOPE', '--iterations', '1']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('tapline top: stream NOPE does not exist\n');
    const bad = await tapline(['top', '--nats', nats.url, '--window', 'forever']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toMatch(/^tapline top: --window: must be a duration/);
    const unknown = await tapline(['top', '--nats', nats.url, '--sort', 'bytes']);
    expect(unknown.code).toBe(2);
  });
});

const tmuxOk = spawnSync('tmux', ['-V']).status === 0;

describe.skipIf(!tmuxOk)('tapline top in a terminal (tmux)', () => {
  it('draws the view, redraws at the new size after a resize, and quits on q giving the terminal back', async () => {
    const sock = `tapline-top-test-${process.pid}`;
    const tmux = (...args: string[]) => spawnSync('tmux', ['-L', sock, ...args], { encoding: 'utf8' });
    const screen = () => tmux('capture-pane', '-p', '-t', 'top').stdout;
    const waitScreen = async (re: RegExp, what: string): Promise<string> => {
      const deadline = Date.now() + 20_000;
      let s = '';
      while (Date.now() < deadline) {
        s = screen();
        if (re.test(s)) return s;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`${what}: not on the screen in 20 s:\n${s}`);
    };
    const bin = path.join(packageRoot(), 'bin', 'tapline.js');
    const cmd = `printf 'shell before\\n'; ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} top --nats ${nats.url} --since 10m --window 1m; echo "EXIT=$?"; sleep 60`;
    expect(tmux('new-session', '-d', '-s', 'top', '-x', '120', '-y', '40', cmd).status).toBe(0);
    try {
      const wide = await waitScreen(/read: 110 flows/, 'the first frame');
      const lines = wide.split('\n');
      expect(lines[0]).toMatch(/^tapline top {2}TAPLINE @ .* window 60s +q quits$/);
      expect(lines[0]!.length).toBe(120);
      expect(wide).toMatch(/top workloads \(bytes sent\) +top addresses \(bytes sent\)/);
      expect(wide).toContain('FLOWS READ');
      expect(wide).toContain('rtt min   p50 50.0ms  p90 90.0ms  p99 99.0ms');
      expect(wide).not.toContain('shell before'); // the alternate screen

      expect(tmux('resize-window', '-t', 'top', '-x', '50', '-y', '30').status).toBe(0);
      const narrow = await waitScreen(/^top addresses \(bytes sent\)/m, 'the narrow frame');
      expect(narrow).not.toContain('FLOWS READ');
      for (const l of narrow.split('\n')) expect(l.trimEnd().length).toBeLessThanOrEqual(50);

      // new data shows up in the next frames
      const js = jetstream(nc);
      await js.publish(subject(inbound, 'flows'), JSON.stringify(inbound));
      await waitScreen(/read: 120 flows/, 'the flows published after start');

      tmux('send-keys', '-t', 'top', 'q');
      const after = await waitScreen(/EXIT=\d+/, 'the exit status');
      expect(after).toContain('EXIT=0');
      expect(after).toContain('shell before'); // back on the normal screen
      expect(after).not.toContain('read: 120 flows');
      // the cursor is visible again and the terminal not raw: the shell's echo works
      tmux('send-keys', '-t', 'top', 'C-c');
    } finally {
      tmux('kill-server');
    }
  });
});
