// Identity enrichment (`npm run bench`, or alone: `node dist/test/bench/identity-bench.js [--enrich] [--api] [--pods 200]`):
//  1. the agent's cost: FlowEnricher.enrich + FlowBatchEncoder.encode on engine batches of 4,096
//     records against encode alone (the baseline, same batches, same run), with an identity map of
//     10k and 100k addresses; and records/s of the whole publish path (exporter -> JetStream) with
//     and without enrichment;
//  2. the API server's load: `tapline operator --identity-map-nats` against a real kube-apiserver
//     (scripts/cluster, kwok nodes) while pods churn, counted from the operator's own
//     tapline_operator_api_requests_total. Agents make no API requests at all (they read NATS).
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';

import { packageRoot } from '../../agent/engine/binding.js';
import { Engine } from '../../agent/engine/engine.js';
import { Exporter } from '../../agent/export/exporter.js';
import { FlowBatchEncoder, hasRecordParts } from '../../agent/export/flow-batch.js';
import { EXPORT_DEFAULTS, commandLineExportSettings } from '../../agent/export/options.js';
import { FlowEnricher } from '../../agent/identity/enricher.js';
import { IdentityMap } from '../../agent/identity/identity-map.js';
import { isAddressKey } from '../../agent/identity/identity-value.js';
import { CRD_FILE } from '../../operator/api/generate-crd.js';
import { CRD_NAME } from '../../operator/api/policy.js';
import type * as ClusterModule from '../../scripts/cluster/cluster.mjs';
import { spawnBenchOperator, until, type BenchOperator } from './bench-operator.js';
import { writeBenchMix } from '../gen/bench.js';
import { NatsTestServer } from '../nats/server.js';
import { sumMetric } from '../support/prometheus.js';

const BATCH = 4096;
const log = pino({ level: 'warn' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** The capture's records as the engine encodes them, cut into batches of BATCH whole lines. */
async function engineBatches(file: string): Promise<{ batches: Buffer[]; records: number; addresses: string[] }> {
  const engine = await Engine.open({ workers: 1, maxFlows: 1 << 18, source: { kind: 'file', path: file } });
  engine.start();
  const parts: Buffer[] = [];
  for await (const b of engine.batches('jsonl')) parts.push(b.data);
  await engine.close();
  const all = Buffer.concat(parts);
  const batches: Buffer[] = [];
  const addresses = new Set<string>();
  let start = 0;
  let lineStart = 0;
  let n = 0;
  let records = 0;
  for (let nl = all.indexOf(0x0a); nl >= 0; nl = all.indexOf(0x0a, nl + 1)) {
    const m = /^\{"srcAddr":"([^"]+)","dstAddr":"([^"]+)"/.exec(all.toString('latin1', lineStart, Math.min(nl, lineStart + 120)));
    if (m) addresses.add(m[1]!).add(m[2]!);
    lineStart = nl + 1;
    records++;
    if (++n === BATCH) {
      batches.push(all.subarray(start, nl + 1));
      start = nl + 1;
      n = 0;
    }
  }
  if (n > 0) batches.push(all.subarray(start));
  return { batches, records, addresses: [...addresses] };
}

/** A map of `size` addresses: every address of the records (a pod each, 1 in 4 with an ended window before it) plus filler. */
function buildMap(size: number, recordAddresses: string[]): IdentityMap {
  const m = new IdentityMap();
  m.setRanges({ v: 1, pods: ['10.0.0.0/8', 'fd00::/8'], services: ['172.20.0.0/16'] });
  const id = (i: number) => ({ kind: 'pod' as const, namespace: `ns-${i % 50}`, pod: `web-${i}-7d9f8c6b5-x${i % 97}`, workload: { kind: 'Deployment', name: `web-${i % 500}` }, node: `node-${i % 1000}` });
  const entries = (i: number) =>
    i % 4 === 0
      ? [{ since: 0, until: 1000, uid: `old-${i}`, id: id(i + 1) }, { since: 1000, uid: `u-${i}`, id: id(i) }]
      : [{ since: 0, uid: `u-${i}`, id: id(i) }];
  let i = 0;
  for (const ip of recordAddresses.slice(0, size)) m.set({ v: 1, ip, entries: entries(i++) });
  for (; m.size < size; i++) m.set({ v: 1, ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, entries: entries(i) });
  return m;
}

function encoder(): FlowBatchEncoder {
  return new FlowBatchEncoder({ node: 'bench', policy: { namespace: 'bench', name: 'p' }, bootId: '0123456789abcdef', subject: 'bench', maxRecords: EXPORT_DEFAULTS.batchMaxRecords, maxBytes: 1024 * 1024 - 8192 });
}

/** ns per record of f over every batch, best of `rounds` (after one warm-up round). */
function nsPerRecord(batches: Buffer[], records: number, f: (b: Buffer) => void, rounds = 5): number {
  for (const b of batches) f(b);
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (const b of batches) f(b);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / records);
  }
  return best;
}

async function publishPath(url: string, batches: Buffer[], records: number, rewrite?: FlowEnricher): Promise<number> {
  const nc = await connect({ servers: url });
  await (await jetstreamManager(nc)).streams.delete('IDBENCH').catch(() => undefined);
  await nc.close();
  const x = await Exporter.open(
    { ...commandLineExportSettings({ servers: url, stream: 'IDBENCH', subjectPrefix: 'idbench', createStream: true, node: 'bench' }), batchMaxBytes: 1024 * 1024 - 8192 },
    log,
  );
  if (rewrite) x.rewriteFlowsWith((b) => rewrite.enrich(b));
  const t0 = process.hrtime.bigint();
  for (const b of batches) await x.publishFlowsPaced(b);
  const r = await x.flush(600_000);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const s = x.stats();
  await x.close();
  if (!r.delivered || s.publishedRecords.flows !== records) throw new Error(`identity bench: ${s.publishedRecords.flows} of ${records} delivered`);
  return records / secs;
}

export async function identityEnrichBench(o: { packets?: number } = {}): Promise<string> {
  const dir = path.join(packageRoot(), 'test', '.out', 'bench');
  mkdirSync(dir, { recursive: true });
  const packets = o.packets ?? 2_000_000;
  const file = path.join(dir, 'identity-enrich.pcap');
  writeBenchMix(file, { packets, concurrentFlows: 20_000, meanFlowPackets: 8, snaplen: 96, seed: 9 });
  const input = await engineBatches(file);
  const lines = [
    `## Identity enrichment — ${new Date().toISOString().slice(0, 10)}`,
    '',
    `Command: \`npm run bench\` (test/bench/identity-bench.ts; alone: \`node dist/test/bench/identity-bench.js --enrich\`).`,
    `Input: ${fmt(input.records)} flow records from the engine (\`writeBenchMix\`, ${fmt(packets)} packets, seed 9), JSON lines in batches of ${fmt(BATCH)}; ${fmt(input.addresses.length)} distinct addresses; the map holds the first of them up to its size (1 in 4 with an older, ended window), so with 10k most lookups miss (unknown/external by the ranges) and with 100k most hit. Best of 5 rounds after a warm-up, all in one process.`,
    '',
    '### Per record (agent CPU)',
    '',
    '| path | map size | ns/record | ratio to encode alone |',
    '| --- | ---: | ---: | ---: |',
  ];
  const enc = encoder();
  const base = nsPerRecord(input.batches, input.records, (b) => void enc.encode(b));
  lines.push(`| FlowBatchEncoder.encode (baseline, no enrichment) | – | ${fmt(base, 0)} | 1.00 |`);
  const maps = new Map<number, FlowEnricher>();
  for (const size of [10_000, 100_000]) {
    const map = buildMap(size, input.addresses);
    const e = new FlowEnricher(map, () => true);
    maps.set(size, e);
    const enrichOnly = nsPerRecord(input.batches, input.records, (b) => void e.enrich(b));
    // as the exporter does it (encodeFlows): the encoder copies the records' parts into the messages
    const both = nsPerRecord(input.batches, input.records, (b) => {
      const r = e.enrich(b);
      if (hasRecordParts(r)) enc.encodeParts(r);
      else enc.encode(r.data, r.state);
    });
    lines.push(`| FlowEnricher.enrich alone | ${fmt(size)} | ${fmt(enrichOnly, 0)} | ${fmt(enrichOnly / base, 2)} |`);
    lines.push(`| enrich + encode | ${fmt(size)} | ${fmt(both, 0)} | ${fmt(both / base, 2)} |`);
  }
  const bytesIn = input.batches.reduce((n, b) => n + b.length, 0);
  const bytesOut = input.batches.reduce((n, b) => n + maps.get(100_000)!.enrich(b).data.length, 0);
  lines.push('', `Record size: ${fmt(bytesIn / input.records, 0)} B without identities, ${fmt(bytesOut / input.records, 0)} B with (src and dst pods with namespace, workload and node).`, '');

  const nats = await NatsTestServer.start({ maxPayload: 1024 * 1024 });
  try {
    lines.push('### Whole publish path (exporter → local nats-server, JetStream file stream, every message acknowledged)', '');
    lines.push('| path | records/s | ratio |', '| --- | ---: | ---: |');
    // interleaved, best of two each
    const e = maps.get(100_000)!;
    let off = await publishPath(nats.url, input.batches, input.records);
    let on = await publishPath(nats.url, input.batches, input.records, e);
    off = Math.max(off, await publishPath(nats.url, input.batches, input.records));
    on = Math.max(on, await publishPath(nats.url, input.batches, input.records, e));
    // the enriched bytes without the enricher's CPU: what the bigger payloads alone cost
    const pre = input.batches.map((b) => Buffer.from(e.enrich(b).data));
    const big = Math.max(await publishPath(nats.url, pre, input.records), await publishPath(nats.url, pre, input.records));
    lines.push(`| without enrichment | ${fmt(off)} | 1.00 |`);
    lines.push(`| with enrichment (map of 100k addresses) | ${fmt(on)} | ${fmt(on / off, 2)} |`);
    lines.push(`| enriched records enriched beforehand (the bigger payloads alone, no enricher CPU) | ${fmt(big)} | ${fmt(big / off, 2)} |`);
  } finally {
    await nats.cleanup();
  }
  return `${lines.join('\n')}\n`;
}

// --- API server load ------------------------------------------------------------------------

type Kube = ReturnType<typeof ClusterModule.kubeClient>;
const NS = 'idbench';
const IDENTITY_RESOURCES = ['pods', 'services', 'endpointslices', 'nodes', 'replicasets', 'jobs', 'servicecidrs'];

async function clusterModule(): Promise<typeof ClusterModule> {
  return (await import(pathToFileURL(path.join(process.cwd(), 'scripts', 'cluster', 'cluster.mjs')).href)) as typeof ClusterModule;
}


function podObject(name: string, node: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app: 'churn' } },
    spec: { nodeName: node, tolerations: [{ operator: 'Exists' }], containers: [{ name: 'c', image: 'registry.invalid/none:1' }] },
  };
}

export async function identityApiBench(o: { pods?: number; nodes?: number } = {}): Promise<string> {
  const pods = o.pods ?? 200;
  const nodes = o.nodes ?? 20;
  const dir = process.env.TAPLINE_CLUSTER_DIR ?? path.join(process.cwd(), 'test', '.cluster-bench');
  const say = (m: string) => process.stderr.write(`[identity-bench] ${m}\n`);
  const { startCluster, stopCluster, kubeClient } = await clusterModule();
  const cluster = await startCluster({ dir, nodes, captureNodes: 0, withKubectl: false, timeoutMs: 600_000, log: say });
  const kube: Kube = kubeClient(cluster);
  const nats = await NatsTestServer.start();
  let op: BenchOperator | undefined;
  try {
    await kube.apply(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`, readFileSync(CRD_FILE, 'utf8'), 'bench');
    await kube.apply(`/api/v1/namespaces/${NS}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await until('the default ServiceAccount', async () => ((await kube.raw('GET', `/api/v1/namespaces/${NS}/serviceaccounts/default`)).status === 200 ? true : undefined), 60_000);
    op = await spawnBenchOperator(cluster.kubeconfigPath, NS, 'idbench', ['--identity-map-nats', nats.url]);
    const port = op.port;
    const metrics = op.metrics;
    await until('the identity map to be published', async () => (sumMetric(await metrics(), 'tapline_operator_identity_map_ready') === 1 ? true : undefined), 120_000);
    const nc = await connect({ servers: nats.url });
    const kv = await new Kvm(nc).open('tapline-identity');
    const addressKeys = async () => {
      let n = 0;
      for await (const k of await kv.keys()) if (isAddressKey(k)) n++;
      return n;
    };
    const req = (m: Map<string, number>, verb: string) => IDENTITY_RESOURCES.reduce((n, resource) => n + sumMetric(m, 'tapline_operator_api_requests_total', { verb, resource }), 0);
    const atStart = await metrics();
    const keysBefore = await addressKeys();
    const putsBefore = sumMetric(atStart, 'tapline_operator_identity_writes_total', { op: 'put' });

    // churn: create the pods (kwok runs them and gives each an address), wait until each is in the bucket, delete them
    const t0 = Date.now();
    for (let i = 0; i < pods; i++) await kube.apply(`/api/v1/namespaces/${NS}/pods/churn-${i}`, podObject(`churn-${i}`, `kwok-node-${i % nodes}`));
    const running = await until(`${pods} pods running with an address`, async () => {
      const list = await kube.get(`/api/v1/namespaces/${NS}/pods?labelSelector=app%3Dchurn`);
      const ips = list.items.filter((p: any) => p.status?.phase === 'Running' && p.status?.podIP).map((p: any) => p.status.podIP as string);
      return ips.length === pods ? ips : undefined;
    }, 300_000, 1000);
    const distinct = new Set(running).size;
    await until('the pods in the identity map', async () => ((await addressKeys()) >= keysBefore + distinct ? true : undefined), 120_000, 500);
    const created = (Date.now() - t0) / 1000;
    for (let i = 0; i < pods; i++) await kube.raw('DELETE', `/api/v1/namespaces/${NS}/pods/churn-${i}?gracePeriodSeconds=0`);
    await until('the pods to be gone', async () => ((await kube.get(`/api/v1/namespaces/${NS}/pods?labelSelector=app%3Dchurn`)).items.length === 0 ? true : undefined), 300_000, 1000);
    await sleep(2_000); // a flush or two
    const afterChurn = await metrics();
    const churnSeconds = (Date.now() - t0) / 1000;
    const puts = sumMetric(afterChurn, 'tapline_operator_identity_writes_total', { op: 'put' }) - putsBefore;
    await nc.close();

    const d = (verb: string) => req(afterChurn, verb) - req(atStart, verb);
    const other = ['get', 'create', 'update', 'patch', 'apply', 'delete'].reduce((n, v) => n + d(v), 0);
    const fmt1 = (n: number, dd = 2) => n.toFixed(dd);
    return [
      `## Identity map: API-server load — ${new Date().toISOString().slice(0, 10)}`,
      '',
      `Command: \`node dist/test/bench/identity-bench.js --api --pods ${pods}\` (test/bench/identity-bench.ts), control plane from scripts/cluster with ${nodes} kwok nodes in $TAPLINE_CLUSTER_DIR.`,
      `\`tapline operator --identity-map-nats\` (leader, one replica) against the real kube-apiserver; requests counted by the operator's own tapline_operator_api_requests_total (its KubeClient's request observer), on the identity resources (${IDENTITY_RESOURCES.join(', ')}).`,
      `Churn: ${pods} pods created on kwok nodes (kwok runs them: ${distinct} distinct addresses), each seen in the bucket, then all deleted (${fmt1(churnSeconds, 1)} s; up to the bucket in ${fmt1(created, 1)} s). Pod changes the operator saw: at least ${pods * 3} (create, Running with an address, delete), ${fmt(puts)} identity keys written.`,
      '',
      '| measurement | value |',
      '| --- | --- |',
      `| watch requests ended at start (the counter records a watch when it ends) | ${req(atStart, 'watch')} |`,
      `| list requests at start | ${req(atStart, 'list')} |`,
      `| requests during the churn: list / watch / other | ${d('list')} / ${d('watch')} / ${other} |`,
      `| requests per pod change (churn requests / ${pods * 3}) | ${fmt1((d('list') + d('watch') + other) / (pods * 3), 3)} |`,
      '| agents: requests to the API server for identities | 0 by construction (see below) |',
      '',
    ].join('\n');
  } finally {
    await op?.stop();
    await nats.cleanup();
    if (process.env.TAPLINE_KEEP_CLUSTER !== '1') await stopCluster({ dir, log: say });
  }
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  const { values } = parseArgs({ options: { enrich: { type: 'boolean' }, api: { type: 'boolean' }, pods: { type: 'string' }, packets: { type: 'string' } } });
  const both = !values.enrich && !values.api;
  if (values.enrich || both) process.stdout.write(await identityEnrichBench(values.packets ? { packets: Number(values.packets) } : {}));
  if (values.api || both) process.stdout.write(`\n${await identityApiBench(values.pods ? { pods: Number(values.pods) } : {})}`);
}
