// Kubernetes identities on flow records, end to end on a real control plane and a real
// nats-server: `tapline operator --identity-map-nats` (credentials bound to exactly
// operator/rbac.ts, identity-map role included) watches Deployments' pods, a Service and its
// EndpointSlice, Nodes and bare pods whose addresses and times this test sets, and writes the
// identity map; `tapline agent` replays a capture of flows between those addresses and publishes
// them; every record's src and dst say exactly who was there when the flow started. An address
// reused by a new pod names the new pod for new flows and the old pod for old ones.
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { FlowBatchSchema, type ExportedFlowRecord } from '../../agent/export/payload-schemas.js';
import type { Endpoint } from '../../agent/identity/endpoint.js';
import { IdentityValueSchema, addressKey } from '../../agent/identity/identity-value.js';
import { AgentProcess } from '../agent/support/agent-process.js';
import { agentConfig, writeConfig } from '../agent/support/agent-config.js';
import { writeCaptureFile, type CaptureFrame } from '../gen/capture-writer.js';
import { LINKTYPE_ETHERNET, buildDatagram, encapsulate, type PacketSpec } from '../gen/packets.js';
import { NatsTestServer, freePort } from '../nats/server.js';
import { readStream } from '../nats/stream-reader.js';
import { clusterKubeconfig, SKIP_REASON, until } from './support/cluster.js';
import { installCrd } from './support/crd-install.js';
import { kubeApiFromKubeconfig, type KubeApi } from './support/kube-api.js';
import { operatorKubeconfig } from './support/operator-identity.js';
import { spawnOperator, type OperatorProcess } from './support/operator-process.js';
import { afpacketSpec, applyPolicy, condition, deletePolicies, waitForPolicy } from './support/policies.js';

const kubeconfig = clusterKubeconfig();
const RUN = Date.now().toString(36);
const NS = `idmap-${RUN}`;
const SA = `idmap-${RUN}`;
const BUCKET = `tapline-identity-${RUN}`;
const NODE = `idmap-node-${RUN}`;
const NODE_IP = '10.222.0.1';
const POD_RANGE = '10.222.1.0/24';
const REUSED = '10.222.1.5';
const FREE = '10.222.1.77';
const EXTERNAL = '203.0.113.7';
const SYN = 0x02;
const ACK = 0x10;

/** Three packets of a TCP handshake at `tMs` (ms since the epoch). */
function handshake(src: string, sport: number, dst: string, dport: number, tMs: number): CaptureFrame[] {
  const pkt = (from: string, to: string, sp: number, dp: number, flags: number, dt: number): CaptureFrame => {
    const spec: PacketSpec = { ip: { src: from, dst: to }, l4: { kind: 'tcp', srcPort: sp, dstPort: dp, flags, seq: 1000, ack: 1, payload: 0 } };
    return { ts: BigInt(tMs + dt) * 1_000_000n, linktype: LINKTYPE_ETHERNET, data: encapsulate(buildDatagram(spec), spec, LINKTYPE_ETHERNET).bytes };
  };
  return [pkt(src, dst, sport, dport, SYN, 0), pkt(dst, src, dport, sport, SYN | ACK, 1), pkt(src, dst, sport, dport, ACK, 2)];
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe.skipIf(!kubeconfig)(`Kubernetes identities on flow records${kubeconfig ? '' : ` (${SKIP_REASON})`}`, () => {
  let api: KubeApi;
  let op: OperatorProcess;
  let nats: NatsTestServer;
  let nc: NatsConnection;
  let kv: KV;
  const dir = mkdtempSync(path.join(tmpdir(), 'tapline-idmap-'));
  const t1 = Math.floor(Date.now() / 1000) * 1000 - 120_000; // when the first pod got REUSED
  const t2 = t1 + 60_000; // when the second one did
  const pods: Record<string, { ip: string; node: string; name: string }> = {};
  let serviceIp = '';

  const must = async (method: string, p: string, body?: unknown, contentType?: string) => {
    const r = await api.request(method, p, body, contentType ? { contentType } : {});
    if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    return r.body;
  };
  const value = async (address: string) => {
    const e = await kv.get(addressKey(address));
    return e && e.operation === 'PUT' ? IdentityValueSchema.parse(e.json()) : undefined;
  };
  /** What a kubelet would report for a pod on the test's node (which has none): running, ready, with this address since this time. */
  const running = (name: string, ip: string, sinceMs: number) =>
    must('PATCH', `/api/v1/namespaces/${NS}/pods/${name}/status`, {
      status: {
        phase: 'Running',
        podIP: ip,
        podIPs: [{ ip }],
        startTime: iso(sinceMs - 1000),
        conditions: [
          { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: iso(sinceMs) },
          { type: 'Ready', status: 'True', lastTransitionTime: iso(sinceMs) },
        ],
      },
    }, 'application/merge-patch+json');
  /** A bare pod on the test's node. */
  const barePod = async (name: string, ip: string, sinceMs: number) => {
    await must('POST', `/api/v1/namespaces/${NS}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { nodeName: NODE, containers: [{ name: 'c', image: 'none' }] },
    });
    await running(name, ip, sinceMs);
  };
  const deployment = (name: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      // no node matches: the scheduler leaves the pod to the test, which binds it to the test's node
      template: { metadata: { labels: { app: name } }, spec: { nodeSelector: { 'tapline.dev/test': `unschedulable-${RUN}` }, containers: [{ name, image: `${name}:1` }] } },
    },
  });

  beforeAll(async () => {
    api = kubeApiFromKubeconfig(kubeconfig!);
    await installCrd(api);
    nats = await NatsTestServer.start();
    nc = await connect({ servers: nats.url });
    const kc = await operatorKubeconfig(api, inject('cluster'), { serviceAccount: SA, leaseNamespace: NS, identityMap: true });
    await must('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE, labels: { 'tapline.dev/test': RUN } }, spec: { podCIDR: POD_RANGE, podCIDRs: [POD_RANGE] } });
    await must('PATCH', `/api/v1/nodes/${NODE}/status`, { status: { addresses: [{ type: 'InternalIP', address: NODE_IP }] } }, 'application/merge-patch+json');
    op = await spawnOperator({
      kubeconfig: kc,
      identity: `idmap-${RUN}`,
      args: ['--watch-namespaces', NS, '--lease-namespace', NS, '--identity-map-nats', nats.url, '--identity-map-bucket', BUCKET],
    });
    await until('the operator to be ready', async () => ((await op.ready()) ? true : undefined), 60_000);

    for (const d of ['web', 'client']) await must('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, deployment(d));
    const svc = await must('POST', `/api/v1/namespaces/${NS}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    serviceIp = svc.spec.clusterIP;
    const since = Math.floor(Date.now() / 1000) * 1000 - 30_000;
    for (const [d, ip] of [['web', '10.222.1.10'], ['client', '10.222.1.11']] as const) {
      const p = await until(`the ${d} Deployment's pod`, async () => ((await must('GET', `/api/v1/namespaces/${NS}/pods?labelSelector=app%3D${d}`)).items as any[])[0], 60_000);
      const name = p.metadata.name as string;
      await must('POST', `/api/v1/namespaces/${NS}/pods/${name}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: NODE } });
      await running(name, ip, since);
      pods[d] = { ip, node: NODE, name };
    }
    // the address REUSED: pod first from t1, deleted; pod second from t2
    await barePod('first', REUSED, t1);
    kv = await new Kvm(nc).open(BUCKET);
    await until('the first pod in the identity map', async () => (await value(REUSED))?.entries.length === 1 || undefined, 30_000);
    await must('DELETE', `/api/v1/namespaces/${NS}/pods/first?gracePeriodSeconds=0`);
    await barePod('second', REUSED, t2);
    await until('the web pod as an endpoint of web', async () => (await value(pods.web!.ip))?.entries.at(-1)?.id.service === `${NS}/web` || undefined, 60_000);
  }, 240_000);

  afterAll(async () => {
    if (api) {
      await deletePolicies(api, NS).catch(() => undefined);
      await api.request('DELETE', `/api/v1/namespaces/${NS}`).catch(() => undefined);
      await api.request('DELETE', `/api/v1/nodes/${NODE}`).catch(() => undefined);
    }
    await op?.stop('SIGTERM');
    await nc?.close();
    await nats?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps both windows of a reused address: the first pod until the second began, the second since', async () => {
    const v = await until('two windows for the reused address', async () => {
      const x = await value(REUSED);
      return x?.entries.length === 2 ? x : undefined;
    }, 30_000);
    // the first window ends when the first pod was deleted (after the second's start, which this
    // test put in the past); readers take the latest window that began before a flow, so flows
    // from t2 on name the second pod either way
    const [first, second] = v.entries;
    expect({ since: first!.since, pod: first!.id.pod, second: second!.id.pod, secondSince: second!.since, secondUntil: second!.until }).toEqual({
      since: t1, pod: 'first', second: 'second', secondSince: t2, secondUntil: undefined,
    });
    expect(first!.until).toBeGreaterThanOrEqual(t2);
    expect(first!.until).toBeLessThanOrEqual(Date.now());
  });

  it("gives every record both ends' namespace, pod, workload, node and service, as they were when the flow started", async () => {
    const now = Date.now();
    const frames = [
      ...handshake(pods.client!.ip, 40001, pods.web!.ip, 8080, now - 500),
      ...handshake(pods.client!.ip, 40002, serviceIp, 80, now - 400),
      ...handshake(pods.client!.ip, 40003, EXTERNAL, 443, now - 300),
      ...handshake(REUSED, 40004, FREE, 9000, t1 + 30_000), // the first pod's time
      ...handshake(REUSED, 40005, FREE, 9000, t2 + 30_000), // the second pod's time
      ...handshake(NODE_IP, 40007, pods.web!.ip, 8080, now - 100),
      ...handshake(FREE, 40006, pods.web!.ip, 8080, now - 200), // nobody's, inside a pod range
    ].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
    const capture = path.join(dir, 'flows.pcap');
    writeCaptureFile(capture, frames);
    const config = { ...agentConfig(nats.url, capture, await freePort()), identity: { bucket: BUCKET } };
    const agent = new AgentProcess(['--config', writeConfig(path.join(dir, 'agent.json'), config)], { NODE_NAME: 'node-a' });
    expect(await agent.exited).toBe(0);

    const batches = (await readStream(nats.url, 'TAPLINE')).map((m) => FlowBatchSchema.parse(m.json()));
    expect(batches.every((b) => b.enrichment === 'on')).toBe(true);
    const records = batches.flatMap((b) => b.records);
    expect(records).toHaveLength(7);
    const byPort = new Map<number, ExportedFlowRecord>(records.map((r) => [r.srcPort, r]));
    const ends = (port: number): [Endpoint | undefined, Endpoint | undefined] => [byPort.get(port)?.src, byPort.get(port)?.dst];
    const client: Endpoint = { kind: 'pod', namespace: NS, pod: pods.client!.name, workload: { kind: 'Deployment', name: 'client' }, node: pods.client!.node };
    const web: Endpoint = { kind: 'pod', namespace: NS, pod: pods.web!.name, workload: { kind: 'Deployment', name: 'web' }, node: pods.web!.node, service: `${NS}/web` };
    const node: Endpoint = { kind: 'node', node: NODE };
    expect(ends(40001)).toEqual([client, web]);
    expect(ends(40002)).toEqual([client, { kind: 'service', namespace: NS, service: `${NS}/web` }]);
    expect(ends(40003)).toEqual([client, { kind: 'external' }]);
    expect(ends(40004)).toEqual([{ kind: 'pod', namespace: NS, pod: 'first', workload: { kind: 'Pod', name: 'first' }, node: NODE }, { kind: 'unknown' }]);
    expect(ends(40005)).toEqual([{ kind: 'pod', namespace: NS, pod: 'second', workload: { kind: 'Pod', name: 'second' }, node: NODE }, { kind: 'unknown' }]);
    expect(ends(40007)).toEqual([node, web]);
    expect(ends(40006)).toEqual([{ kind: 'unknown' }, web]);
  });

  it('sends records without identities, and says so, when the identity map is not there', async () => {
    const capture = path.join(dir, 'one.pcap');
    writeCaptureFile(capture, handshake(pods.client!.ip, 41000, pods.web!.ip, 8080, Date.now()));
    const config = {
      ...agentConfig(nats.url, capture, await freePort()),
      export: { ...agentConfig(nats.url, capture, 0).export, subjects: { flows: 'tapline.nomap.p.flows', alerts: 'tapline.nomap.p.alerts' } },
      identity: { bucket: `missing-${RUN}` },
    };
    const agent = new AgentProcess(['--config', writeConfig(path.join(dir, 'agent-nomap.json'), config)], { NODE_NAME: 'node-a' });
    expect(await agent.exited).toBe(0);
    const batches = (await readStream(nats.url, 'TAPLINE')).filter((m) => m.subject.startsWith('tapline.nomap.')).map((m) => FlowBatchSchema.parse(m.json()));
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.every((b) => b.enrichment === 'unavailable' && b.records.every((r) => r.src === undefined && r.dst === undefined))).toBe(true);
    expect(agent.lines.some((l) => /identity map unavailable/.test(String(l.msg)))).toBe(true);
  });

  it('reports Enriched on the policy: True with the map, False when the policy turns it off', async () => {
    await applyPolicy(api, NS, 'enriched', afpacketSpec({ nodeSelector: { matchLabels: { 'tapline.dev/test': 'nothing' } } }));
    await applyPolicy(api, NS, 'plain', { ...afpacketSpec({ nodeSelector: { matchLabels: { 'tapline.dev/test': 'nothing' } } }), enrichment: { enabled: false } });
    const on = await waitForPolicy(api, NS, 'enriched', 'Enriched=True', (p) => condition(p, 'Enriched')?.status === 'True');
    expect(condition(on, 'Enriched').reason).toBe('IdentityMapPublished');
    const off = await waitForPolicy(api, NS, 'plain', 'Enriched=False', (p) => condition(p, 'Enriched')?.status === 'False');
    expect(condition(off, 'Enriched').reason).toBe('Disabled');
    const cm = await must('GET', `/api/v1/namespaces/${NS}/configmaps/tapline-enriched`);
    expect(JSON.parse(cm.data['agent.json']).identity).toEqual({ bucket: BUCKET });
    const plain = await must('GET', `/api/v1/namespaces/${NS}/configmaps/tapline-plain`);
    expect(JSON.parse(plain.data['agent.json']).identity).toBeUndefined();
  });
});
