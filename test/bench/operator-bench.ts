// Operator benchmark on the local control plane with kwok nodes (`npm run bench`, or alone:
// `node dist/test/bench/operator-bench.js [--nodes 1000] [--policies 200]`):
//   - apply → Ready for one policy (5 nodes), then for 200 policies over 1,000 nodes at once
//     (each policy selects its own group of 5 nodes: 1,000 agent pods in all);
//   - API requests per reconcile (from the operator's own /metrics), writes in a quiet minute;
//   - the operator's memory (VmRSS, VmHWM of the `tapline operator` process).
// The cluster lives in $TAPLINE_CLUSTER_DIR (default test/.cluster-bench) and is stopped after.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type * as ClusterModule from '../../scripts/cluster/cluster.mjs';
import { spawnBenchOperator, until, type BenchOperator } from './bench-operator.js';
import { CRD_FILE } from '../../operator/api/generate-crd.js';
import { API_VERSION, CRD_NAME, KIND, PLURAL } from '../../operator/api/policy.js';
import { sumMetric, writeCount } from '../support/prometheus.js';

const GROUP_LABEL = 'tapline.dev/bench-group';
const NS = 'bench';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Kube = ReturnType<typeof ClusterModule.kubeClient>;

/** The harness is plain ESM outside the TypeScript build: load it from the repository (the cwd). */
async function clusterModule(): Promise<typeof ClusterModule> {
  return (await import(pathToFileURL(path.join(process.cwd(), 'scripts', 'cluster', 'cluster.mjs')).href)) as typeof ClusterModule;
}

function spec(group: string) {
  return {
    nodeSelector: { matchLabels: { [GROUP_LABEL]: group } },
    capture: { backend: 'afpacket', interfaces: ['eth0'] },
    export: { natsUrl: 'nats://nats.nats.svc:4222' },
  };
}

async function applyPolicy(kube: Kube, name: string, group: string): Promise<void> {
  await kube.apply(`/apis/${API_VERSION}/namespaces/${NS}/${PLURAL}/${name}`, { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace: NS }, spec: spec(group) }, 'kubectl');
}

/** Ready=True for its generation with an agent ready on every one of the `nodes` nodes it selects. */
function isReady(p: any, nodes: number): boolean {
  const c = (p.status?.conditions ?? []).find((x: any) => x.type === 'Ready');
  return p.status?.observedGeneration === p.metadata.generation && c?.status === 'True' && p.status.readyNodes === nodes && p.status.desiredNodes === nodes;
}


function memoryKiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

export async function operatorBench(o: { nodes?: number; policies?: number } = {}): Promise<string> {
  const nodes = o.nodes ?? 1000;
  const policies = o.policies ?? 200;
  const perGroup = Math.floor(nodes / policies);
  if (perGroup * policies !== nodes) throw new RangeError('nodes must be a multiple of policies (each policy selects its own group)');
  const dir = process.env.TAPLINE_CLUSTER_DIR ?? path.join(process.cwd(), 'test', '.cluster-bench');
  const log = (m: string) => process.stderr.write(`[operator-bench] ${m}\n`);
  const { startCluster, stopCluster, kubeClient } = await clusterModule();
  const t0 = Date.now();
  const cluster = await startCluster({
    dir,
    nodes,
    captureNodes: 0,
    nodeLabels: (i) => ({ [GROUP_LABEL]: `g${i % policies}` }),
    withKubectl: false,
    timeoutMs: 900_000,
    log,
  });
  const clusterSeconds = (Date.now() - t0) / 1000;
  const kube = kubeClient(cluster);
  let op: BenchOperator | undefined;
  try {
    // Ready nodes keep the node.kubernetes.io/not-ready:NoSchedule taint until the node lifecycle
    // controller removes it (a while, for 1,000 nodes), and DaemonSets do not tolerate it.
    const t3 = Date.now();
    await until('every node to lose the not-ready taint', async () => {
      const list = await kube.get('/api/v1/nodes');
      return list.items.every((n: any) => !(n.spec?.taints ?? []).some((t: any) => t.key === 'node.kubernetes.io/not-ready')) ? true : undefined;
    }, 900_000, 2_000);
    log(`nodes untainted after ${((Date.now() - t3) / 1000).toFixed(1)} s more`);
    await kube.apply(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`, readFileSync(CRD_FILE, 'utf8'), 'bench');
    await until('the CRD to be served', async () => ((await kube.raw('GET', `/apis/${API_VERSION}/${PLURAL}`)).status === 200 ? true : undefined), 60_000);
    await kube.apply(`/api/v1/namespaces/${NS}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });

    op = await spawnBenchOperator(cluster.kubeconfigPath, NS, 'bench');
    const pid = op.child.pid!;
    const port = op.port;
    const metrics = op.metrics;
    await until('the operator to be ready and leading', async () => {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      return r?.status === 200 && sumMetric(await metrics(), 'tapline_operator_leader') === 1 ? true : undefined;
    }, 60_000);
    const memIdle = memoryKiB(pid);

    // One policy.
    const t1 = Date.now();
    await applyPolicy(kube, 'single', 'g0');
    await until('the single policy to be Ready', async () => (isReady(await kube.get(`/apis/${API_VERSION}/namespaces/${NS}/${PLURAL}/single`), perGroup) ? true : undefined), 120_000, 50);
    const oneSeconds = (Date.now() - t1) / 1000;
    const afterOne = await metrics();
    await kube.delete(`/apis/${API_VERSION}/namespaces/${NS}/${PLURAL}/single`);
    await sleep(3_000);

    // Many policies at once.
    const before = await metrics();
    const t2 = Date.now();
    for (let i = 0; i < policies; i++) await applyPolicy(kube, `p${i}`, `g${i}`);
    const appliedSeconds = (Date.now() - t2) / 1000;
    let readyCount = 0;
    await until(`${policies} policies to be Ready`, async () => {
      const list = await kube.get(`/apis/${API_VERSION}/namespaces/${NS}/${PLURAL}`);
      readyCount = list.items.filter((p: any) => isReady(p, perGroup)).length;
      return readyCount === policies ? true : undefined;
    }, 900_000, 500);
    const manySeconds = (Date.now() - t2) / 1000;
    const memPeak = memoryKiB(pid);
    await sleep(10_000);
    const settled = await metrics();
    await sleep(60_000);
    const quiet = await metrics();
    const memSteady = memoryKiB(pid);

    const delta = (a: Map<string, number>, b: Map<string, number>, name: string, match: Record<string, string> = {}) => sumMetric(b, name, match) - sumMetric(a, name, match);
    const reconciles = delta(before, settled, 'tapline_operator_reconcile_total');
    const req = (verb: string) => delta(before, settled, 'tapline_operator_api_requests_total', { verb }) - (verb === 'get' || verb === 'update' || verb === 'create' ? delta(before, settled, 'tapline_operator_api_requests_total', { verb, resource: 'leases' }) : 0);
    const applies = (kind: string) => delta(before, settled, 'tapline_operator_apply_total', { kind });
    const oneReconciles = sumMetric(afterOne, 'tapline_operator_reconcile_total');
    const oneApply = sumMetric(afterOne, 'tapline_operator_api_requests_total', { verb: 'apply' });
    const fmt = (n: number, d = 1) => n.toFixed(d);
    const mib = (kib: number) => fmt(kib / 1024, 0);
    return [
      `## Operator — ${new Date().toISOString().slice(0, 10)}`,
      '',
      `Command: \`npm run bench\` (test/bench/operator-bench.ts; alone: \`node dist/test/bench/operator-bench.js --nodes ${nodes} --policies ${policies}\`).`,
      `Control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on loopback (scripts/cluster), ${nodes} kwok nodes (cluster up in ${fmt(clusterSeconds)} s).`,
      'The operator runs as `tapline operator` (child process, leader election on, admin credentials). Each policy selects its own group of',
      `${perGroup} nodes (AF_PACKET, eth0). "Ready" = the policy's status says Ready=True for its generation with every agent pod ready (kwok makes pods Ready).`,
      '',
      '| measurement | value |',
      '| --- | --- |',
      `| apply → Ready, 1 policy (${perGroup} nodes) | ${fmt(oneSeconds, 2)} s (${oneReconciles} reconciles, ${oneApply} server-side applies incl. status) |`,
      `| apply → all Ready, ${policies} policies over ${nodes} nodes | ${fmt(manySeconds)} s (applying them took ${fmt(appliedSeconds)} s) |`,
      `| reconciles for the ${policies} policies | ${reconciles} (${fmt(reconciles / policies)} per policy) |`,
      `| API requests per reconcile (excl. lease, list/watch) | ${fmt((req('get') + req('apply') + req('create') + req('update') + req('patch')) / Math.max(1, reconciles), 2)} (applies: ${req('apply')}; children applied: ConfigMap ${applies('ConfigMap')}, ServiceAccount ${applies('ServiceAccount')}, DaemonSet ${applies('DaemonSet')}; GETs ${req('get')}) |`,
      `| writes in 60 s of quiet after convergence (excl. lease renewals) | ${writeCount(quiet) - writeCount(settled)} |`,
      `| lease renewals in those 60 s | ${sumMetric(quiet, 'tapline_operator_api_requests_total', { resource: 'leases', verb: 'update' }) - sumMetric(settled, 'tapline_operator_api_requests_total', { resource: 'leases', verb: 'update' })} |`,
      `| operator memory (VmRSS): idle / after ${policies} policies / steady | ${mib(memIdle.rss)} / ${mib(memPeak.rss)} / ${mib(memSteady.rss)} MiB (peak VmHWM ${mib(memSteady.hwm)} MiB) |`,
      '',
    ].join('\n');
  } finally {
    await op?.stop();
    if (process.env.TAPLINE_KEEP_CLUSTER !== '1') await stopCluster({ dir, log });
  }
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  const { values } = parseArgs({ options: { nodes: { type: 'string' }, policies: { type: 'string' } } });
  process.stdout.write(await operatorBench({ ...(values.nodes ? { nodes: Number(values.nodes) } : {}), ...(values.policies ? { policies: Number(values.policies) } : {}) }));
}
