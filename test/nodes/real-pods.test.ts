// Tapline as it really runs: the images built here (scripts/images), the chart installed with them,
// the operator as a real pod and the agents as real DaemonSet pods on real kubelets (containerd,
// runc, bridge CNI; test/nodes/support/real-cluster.ts), capturing generated traffic on a veth in
// each node's network namespace and publishing to a real nats-server.
//
// Nothing is faked here: a pod is Ready because its container answered its probes, a policy is
// Degraded because a real container crashed or a real image pull failed, and deleting a policy
// sends a real SIGTERM through the kubelet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

import { AlertMessageSchema, FlowBatchSchema } from '../../agent/export/payload-schemas.js';
import { LEADER_LEASE_NAME } from '../../operator/rbac.js';
import { synFloodScenario } from '../gen/attacks.js';
import { writeCaptureFile } from '../gen/capture-writer.js';
import { expectFlows, type FlowRecordJson } from '../gen/flow-model.js';
import { LINKTYPE_ETHERNET } from '../gen/packets.js';
import { buildCapture } from '../gen/scenario.js';
import { buildLiveCapture, diffIgnoringTime, haveTcpreplay, outDir, type LiveCapture } from '../capture/live-support.js';
import { helmTools, REPO, run } from '../helm/support/helm.js';
import { installChart, RELEASE, RELEASE_NAMESPACE as RELEASE_NS } from '../demo/real-nodes.js';
import { examplePolicy } from '../helm/support/examples.js';
import { NATS_BUILD_TIMEOUT_MS, NatsTestServer } from '../nats/server.js';
import { readStream } from '../nats/stream-reader.js';
import { until } from '../operator/support/cluster.js';
import { holdHugepages, hugepagesFree } from '../support/hugepages-lock.js';
import { condition, policyPath, waitForPolicy } from '../operator/support/policies.js';
import {
  addNodeCapturePair, CAPTURE_IF, isRoot, replayOnNode, startRealCluster, type RealCluster,
} from './support/real-cluster.js';

const why = !isRoot ? 'needs root (network namespaces, cgroups, mounts)' : !haveTcpreplay ? 'needs tcpreplay' : '';
const NS = 'tapline-e2e';
const POLICY = 'edge-afpacket';
const STREAM = 'TAPLINE_E2E';
const VICTIM = '10.0.99.1';
const AGENT_RESOURCES = { cpu: '500m', memory: '512Mi' };
const CAPTURE_NODES = { matchLabels: { 'tapline.dev/capture': 'true' } };
// Cold: the images and the node binaries are built first (cached afterwards).
const SETUP_TIMEOUT_MS = 45 * 60_000;

interface Images { agent: { ref: string; archive: string }; operator: { ref: string }; pause: { ref: string; archive: string } }

describe.skipIf(why !== '')(`agents as real pods on real kubelets${why ? ` (${why})` : ''}`, () => {
  let images: Images;
  let cluster: RealCluster;
  let nats: NatsTestServer;
  const traffic = new Map<string, LiveCapture>();
  let flood: { file: string; expected: FlowRecordJson[] };
  let releasePool: (() => void) | undefined;

  beforeAll(async () => {
    const { ensureImages } = await import('../../scripts/images/build.mjs');
    images = await ensureImages({ log: (m: string) => process.stderr.write(`[images] ${m}\n`) });
    // The nodes reserve hugepages at start and return them at stop: the pool is the machine's.
    releasePool = await holdHugepages('test/nodes/real-pods.test.ts');
    // Two real nodes labelled for capture, and one kwok node that is not: agents must land on the
    // real ones only.
    cluster = await startRealCluster({ realNodes: 2, kwokNodes: 1, labels: () => ({ 'tapline.dev/capture': 'true' }) });
    nats = await NatsTestServer.start({ host: cluster.handle.hostAddress });
    for (const [i, node] of cluster.nodes.entries()) {
      addNodeCapturePair(node);
      traffic.set(node.name, buildLiveCapture(`real-pods-${node.name}`, 71 + i, { extraFlows: 20 }));
    }
    const floodCapture = buildCapture([synFloodScenario({ victim: VICTIM, rate: 4000, from: 0, to: 0.5, seed: 9 })]);
    const file = path.join(outDir, 'real-pods-flood.pcap');
    writeCaptureFile(file, floodCapture.frames, { precision: floodCapture.precision, linktype: LINKTYPE_ETHERNET });
    flood = { file, expected: expectFlows(floodCapture).map((r) => (r.endReason === 'eof' ? { ...r, endReason: 'shutdown' as const } : r)) };
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await nats?.cleanup();
    await cluster?.stop();
    releasePool?.();
  }, 180_000);

  const applyPolicy = async (name: string, spec: unknown) => {
    const r = await cluster.admin.request('PATCH', `${policyPath(NS, name)}?fieldManager=e2e&force=true`, { apiVersion: 'tapline.dev/v1alpha1', kind: 'SnifferPolicy', metadata: { name, namespace: NS }, spec }, { contentType: 'application/apply-patch+yaml' });
    expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
  };
  const helm = async (args: string[]) => run((await helmTools()).helm, [...args, '--kubeconfig', cluster.handle.kubeconfigPath]);
  const podsOf = async (ns: string, selector: string) =>
    (await cluster.admin.request('GET', `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`)).body.items as any[];

  it('helm install with the images built here: the operator runs as a real pod, non-root on a read-only root filesystem, Ready, and leads', async () => {
    installChart(cluster.handle.kubeconfigPath, { repoRoot: REPO, helm: (await helmTools()).helm, images, watchNamespace: NS });
    const [pod] = await podsOf(RELEASE_NS, 'app.kubernetes.io/component=operator');
    expect(pod, 'the operator pod').toBeDefined();
    expect(cluster.nodes.map((n) => n.name)).toContain(pod.spec.nodeName);
    expect(pod.status.phase).toBe('Running');
    expect(pod.status.conditions.find((c: any) => c.type === 'Ready')?.status).toBe('True');
    // What the container really is, asked inside it: uid 65532, and / refuses writes.
    const exec = (code: string) => cluster.kubectl(['-n', RELEASE_NS, 'exec', pod.metadata.name, '--', 'node', '-e', code]);
    const uid = exec('process.stdout.write(String(process.getuid()))');
    expect(uid.status, uid.stderr).toBe(0);
    expect(uid.stdout).toBe('65532');
    const write = exec("try { require('fs').writeFileSync('/probe', 'x'); console.log('written') } catch (e) { console.log(e.code) }");
    expect(write.stdout.trim()).toBe('EROFS');
    await until('the operator to hold the Lease', async () => {
      const lease = await cluster.admin.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${RELEASE_NS}/leases/${LEADER_LEASE_NAME}`);
      return lease.body?.spec?.holderIdentity === pod.metadata.name ? true : undefined;
    }, 60_000);
  });

  it('the AF_PACKET example runs as Ready agent pods on the selected real nodes only, with the rendered capabilities and config', async () => {
    const example = examplePolicy('afpacket.yaml') as any;
    const spec = {
      ...example.spec,
      // Both real nodes are this 2-core machine: the default request (a CPU per worker plus one,
      // requests = limits) would not fit beside the operator pod.
      capture: { ...example.spec.capture, interfaces: [CAPTURE_IF], workers: 1, filter: undefined, resources: AGENT_RESOURCES },
      flows: { ...example.spec.flows, idleTimeoutSeconds: 300, activeTimeoutSeconds: 600 },
      detectors: { synFlood: { enabled: true, synsPerSecond: 500, halfOpenPercent: 80, windowSeconds: 2 }, cooldownSeconds: 30 },
      export: { ...example.spec.export, natsUrl: nats.url, stream: STREAM },
    };
    const policy = { apiVersion: example.apiVersion, kind: example.kind, metadata: { name: POLICY, namespace: NS }, spec };
    const applied = await cluster.admin.request('PATCH', `${policyPath(NS, POLICY)}?fieldManager=e2e&force=true`, policy, { contentType: 'application/apply-patch+yaml' });
    expect(applied.status, JSON.stringify(applied.body)).toBeLessThan(300);
    const ready = await waitForPolicy(cluster.admin, NS, POLICY, 'Ready', (p) => condition(p, 'Ready')?.status === 'True', 180_000);
    expect(ready.status.readyNodes ?? ready.status.numberReady ?? 2).toBe(2);

    const pods = await podsOf(NS, `app.kubernetes.io/instance=${POLICY}`);
    expect(pods.map((p) => p.spec.nodeName).sort()).toEqual(cluster.nodes.map((n) => n.name).sort());
    const ds = (await cluster.admin.request('GET', `/apis/apps/v1/namespaces/${NS}/daemonsets`)).body.items[0];
    for (const pod of pods) {
      expect(pod.status.conditions.find((c: any) => c.type === 'Ready')?.status, pod.metadata.name).toBe('True');
      const c = pod.spec.containers[0];
      expect(c.securityContext.capabilities).toEqual(ds.spec.template.spec.containers[0].securityContext.capabilities);
      expect(c.securityContext.capabilities.add.sort()).toEqual(['NET_ADMIN', 'NET_RAW']);
      expect(pod.spec.hostNetwork).toBe(true);
      // The agent's own start line names its node (NODE_NAME from the downward API) and policy.
      const logs = cluster.kubectl(['-n', NS, 'logs', pod.metadata.name]);
      expect(logs.status, logs.stderr).toBe(0);
      const start = logs.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((l) => l.msg === 'capture started');
      expect(start, logs.stdout.slice(0, 2000)).toBeDefined();
      // NODE_NAME from the downward API, the policy from the ConfigMap's agent config.
      expect(start.node).toBe(pod.spec.nodeName);
      expect(start.policy).toBe(`${NS}/${POLICY}`);
      expect(pod.spec.volumes.find((v: any) => v.name === 'config')?.configMap?.name).toBe(ds.spec.template.spec.volumes.find((v: any) => v.name === 'config').configMap.name);
    }
  });

  it('traffic on each node becomes exactly the expected flow records, a SYN flood one alert; deleting the policy flushes live flows as "shutdown"', async () => {
    for (const node of cluster.nodes) replayOnNode(node, traffic.get(node.name)!.file);
    replayOnNode(cluster.nodes[0]!, flood.file);
    const alertSubject = `tapline.${NS}.${POLICY}.alerts.${cluster.nodes[0]!.name}`;
    await until('the SYN flood alert', async () => {
      const msgs = await readStream(nats.url, STREAM).catch(() => []);
      return msgs.some((m) => m.subject === alertSubject) ? true : undefined;
    }, 60_000);

    // Every flow is still live (300 s idle timeout): deleting the policy deletes the pods, the
    // kubelet sends SIGTERM, and each agent ends its live flows with reason "shutdown".
    const deletedAt = Date.now();
    expect((await cluster.admin.request('DELETE', policyPath(NS, POLICY))).status).toBeLessThan(300);
    await until('the agent pods to be gone', async () => ((await podsOf(NS, `app.kubernetes.io/instance=${POLICY}`)).length === 0 ? true : undefined), 120_000);
    expect(Date.now() - deletedAt).toBeLessThan(60_000); // terminationGracePeriodSeconds

    const msgs = await readStream(nats.url, STREAM);
    const ids = msgs.map((m) => m.msgId);
    expect(new Set(ids).size, 'no message stored twice').toBe(ids.length);
    for (const [i, node] of cluster.nodes.entries()) {
      const records = msgs
        .filter((m) => m.subject === `tapline.${NS}.${POLICY}.flows.${node.name}`)
        .flatMap((m) => FlowBatchSchema.parse(m.json()).records) as FlowRecordJson[];
      const expected = [...traffic.get(node.name)!.expected, ...(i === 0 ? flood.expected : [])];
      expect(diffIgnoringTime(records, expected), node.name).toEqual([]);
      expect(records.filter((r) => r.endReason === 'shutdown').length).toBeGreaterThan(0);
    }
    const alerts = msgs.filter((m) => m.subject.includes('.alerts.')).map((m) => ({ subject: m.subject, a: AlertMessageSchema.parse(m.json()) }));
    const raised = alerts.filter((x) => x.a.state === 'raised');
    expect(raised.map((x) => [x.subject, x.a.type, x.a.key.dst])).toEqual([[alertSubject, 'syn_flood', VICTIM]]);
  });

  it('an agent that cannot start shows as Degraded with the node and the reason: a missing interface (CrashLoopBackOff with the agent\'s message)', async () => {
    const name = 'bad-iface';
    await applyPolicy(name, { capture: { backend: 'afpacket', interfaces: ['nope0'], resources: AGENT_RESOURCES }, nodeSelector: CAPTURE_NODES, metricsPort: 9470, export: { natsUrl: nats.url, stream: STREAM } });
    const p = await waitForPolicy(cluster.admin, NS, name, 'Degraded on both nodes', (x) => {
      const d = condition(x, 'Degraded');
      return d?.status === 'True' && cluster.nodes.every((n) => d.message.includes(n.name)) && /nope0/.test(d.message);
    }, 180_000);
    expect(condition(p, 'Ready')?.status).toBe('False');
    writeFileSync(path.join(outDir, 'real-pods-degraded.json'), JSON.stringify(p.status, null, 2));
    await cluster.admin.request('DELETE', policyPath(NS, name));
  });

  it('an agent image missing on one node shows as Degraded on that node only (ImagePullBackOff)', async () => {
    const name = 'no-image';
    const node = cluster.nodes[1]!;
    const { ensureNodeTools } = await import('../../scripts/cluster/node-tools.mjs');
    const { nodePaths, importImages } = await import('../../scripts/cluster/real-node.mjs');
    const bins = (await ensureNodeTools()).bins;
    const paths = nodePaths(cluster.handle.dir, node.name);
    // No registry answers here: the kubelet's pull of the missing image fails for real.
    const rm = spawnSync(bins.ctr, ['--address', paths.socket, '--namespace', 'k8s.io', 'images', 'rm', images.agent.ref], { encoding: 'utf8' });
    expect(rm.status, rm.stderr).toBe(0);
    try {
      await applyPolicy(name, { capture: { backend: 'afpacket', interfaces: [CAPTURE_IF], resources: AGENT_RESOURCES }, metricsPort: 9471, nodeSelector: CAPTURE_NODES, export: { natsUrl: nats.url, stream: STREAM } });
      const p = await waitForPolicy(cluster.admin, NS, name, 'Degraded on one node', (x) => {
        const d = condition(x, 'Degraded');
        return d?.status === 'True' && d.message.includes(node.name) && /ImagePullBackOff/.test(d.message) ? true : false;
      }, 180_000);
      expect(condition(p, 'Degraded').message).not.toContain(cluster.nodes[0]!.name);
      expect(p.status.agentFailures.map((f: any) => [f.nodeName, f.reason])).toEqual([[node.name, 'ImagePullBackOff']]);
      expect(condition(p, 'Ready')?.status).toBe('False');
    } finally {
      await cluster.admin.request('DELETE', policyPath(NS, name));
      importImages(bins, paths, [images.agent.archive]);
    }
  });

  it('an agent that exits (its stream does not exist and may not be created) shows as CrashLoopBackOff with its own message on every node', async () => {
    const name = 'no-stream';
    await applyPolicy(name, { capture: { backend: 'afpacket', interfaces: [CAPTURE_IF], resources: AGENT_RESOURCES }, metricsPort: 9472, nodeSelector: CAPTURE_NODES, export: { natsUrl: nats.url, stream: 'ABSENT', createStream: false } });
    const p = await waitForPolicy(cluster.admin, NS, name, 'CrashLoopBackOff on both nodes', (x) => {
      const f = (x.status?.agentFailures ?? []) as any[];
      return f.length === 2 && f.every((a) => a.reason === 'CrashLoopBackOff') ? true : false;
    }, 240_000);
    for (const f of p.status.agentFailures) {
      expect(f.message).toMatch(/ABSENT/);
      expect(f.exitCode).toBe(1);
    }
    expect(condition(p, 'Degraded')?.reason).toBe('AgentFailing');
    await cluster.admin.request('DELETE', policyPath(NS, name));
  });

  it('the DPDK example on real hugepages: hugepages-2Mi and a HugePages-2Mi emptyDir, the EAL in hugepage mode on net_af_packet over the pod\'s eth0, flows into JetStream', async () => {
    const node = cluster.nodes[0]!;
    const example = examplePolicy('dpdk-vdev.yaml') as any;
    const name = 'lab-dpdk';
    const spec = {
      ...example.spec,
      nodeSelector: { matchLabels: { 'kubernetes.io/hostname': node.name } },
      capture: {
        ...example.spec.capture,
        hugepages: { pageSize: '2Mi', amount: '64Mi' },
        resources: AGENT_RESOURCES,
        // Only the generated traffic: not the pod's own NATS publishes, the kubelet's probes, ARP or
        // the pod's IPv6 link-local chatter.
        filter: 'not net 10.200.0.0/16 and not host 10.201.0.1 and not arp and not net fe80::/10',
      },
      flows: { ...example.spec.flows, idleTimeoutSeconds: 300, activeTimeoutSeconds: 600 },
      export: { ...example.spec.export, natsUrl: nats.url, stream: STREAM },
    };
    const freeBefore = hugepagesFree();
    const applied = await cluster.admin.request('PATCH', `${policyPath(NS, name)}?fieldManager=e2e&force=true`, { apiVersion: example.apiVersion, kind: example.kind, metadata: { name, namespace: NS }, spec }, { contentType: 'application/apply-patch+yaml' });
    expect(applied.status, JSON.stringify(applied.body)).toBeLessThan(300);
    await waitForPolicy(cluster.admin, NS, name, 'Ready', (p) => condition(p, 'Ready')?.status === 'True', 240_000).catch(async (e) => {
      const pods = await podsOf(NS, `app.kubernetes.io/instance=${name}`);
      const logs = pods.map((p) => cluster.kubectl(['-n', NS, 'logs', p.metadata.name]).stdout).join('\n');
      throw new Error(`${(e as Error).message}\npods: ${JSON.stringify(pods.map((p) => p.status))}\nlogs: ${logs.slice(-3000)}`);
    });
    const [pod] = await podsOf(NS, `app.kubernetes.io/instance=${name}`);
    const c = pod.spec.containers[0];
    expect(pod.spec.nodeName).toBe(node.name);
    expect(pod.spec.hostNetwork ?? false).toBe(false);
    expect(c.resources.limits['hugepages-2Mi']).toBe('64Mi');
    expect(pod.spec.volumes.find((v: any) => v.name === 'hugepages')?.emptyDir).toEqual({ medium: 'HugePages-2Mi' });
    expect(c.securityContext.capabilities.add.sort()).toEqual(['IPC_LOCK', 'NET_ADMIN', 'NET_RAW', 'SYS_NICE']);
    expect(c.securityContext.privileged).toBe(false);
    // The EAL took its memory from the node's 2 MiB pages (64Mi = 32 pages): hugepage mode.
    expect(hugepagesFree()).toBeLessThanOrEqual(freeBefore - 32);

    const dpdkTraffic = buildLiveCapture('real-pods-dpdk', 97, { extraFlows: 10 });
    // Out of the node's pod bridge: the frames reach every pod port on it, the agent's eth0 among them.
    execFileSync('ip', ['netns', 'exec', node.netns, 'tcpreplay', '-q', '-t', '-i', 'cni0', dpdkTraffic.file], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 2000));
    expect((await cluster.admin.request('DELETE', policyPath(NS, name))).status).toBeLessThan(300);
    await until('the DPDK agent pod to be gone', async () => ((await podsOf(NS, `app.kubernetes.io/instance=${name}`)).length === 0 ? true : undefined), 120_000);
    expect(hugepagesFree()).toBe(freeBefore);

    const records = (await readStream(nats.url, STREAM))
      .filter((m) => m.subject === `tapline.${NS}.${name}.flows.${node.name}`)
      .flatMap((m) => FlowBatchSchema.parse(m.json()).records) as FlowRecordJson[];
    expect(diffIgnoringTime(records, dpdkTraffic.expected)).toEqual([]);
  });

  it('stops cleanly: no process, mount, cgroup, network namespace, bridge or rule of the nodes is left', async () => {
    await helm(['uninstall', RELEASE, '-n', RELEASE_NS, '--wait']);
    await nats.cleanup();
    const left = await cluster.stop();
    expect(left).toEqual([]);
    cluster = undefined as unknown as RealCluster;
  });
});

