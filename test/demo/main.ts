// `npm run demo`: Tapline's main job on one machine. A local control plane with real nodes
// (kubelet + containerd each, in a network namespace of their own), a NATS server with JetStream,
// the operator installed with the Helm chart from the image built here, a DDoS-watch policy whose
// DaemonSet runs one agent pod per selected node capturing on a veth pair in that node's namespace,
// generated traffic (normal, then a SYN flood), and a live view of what reaches the stream: the
// `tapline top` view (cli/top), read back from JetStream and printed as its --batch frames.
// Everything is stopped at the end (or left running with --keep until Ctrl-C).
//
// `kwok: true` (npm run demo -- --kwok) is for machines that cannot run containers: kwok plays the
// kubelets, so the operator and the agents run as processes here, with the config and environment
// their pods would have.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';

import { connect, type NatsConnection } from '@nats-io/transport-node';

import { flowFilter, subjectFilters } from '../../cli/flows/filter.js';
import { watchStream, type StreamWatch } from '../../cli/top/live.js';
import type { TopTotals } from '../../cli/top/model.js';
import { renderFrame } from '../../cli/top/render.js';
import { synFloodScenario } from '../gen/attacks.js';
import { startAgent, type DemoAgent } from './agents.js';
import {
  agentPodNodes, applyDemoPolicy, installCrd, readAgentConfig, startDemoCluster, startOperator, waitPolicyReady,
  type DemoCluster, type DemoOperator,
} from './control-plane.js';
import type { DemoHarness } from './harness.js';
import { startNats, type DemoNats } from './nats.js';
import { DEMO_METRICS_PORT, DEMO_NAMESPACE, DEMO_POLICY, DEMO_STREAM, DEMO_SUBJECT_PREFIX } from './policy.js';
import { deletePolicyAndWait, installChart, nodeHost, podsWide, RELEASE_NAMESPACE, uninstallChart, type DemoImages } from './real-nodes.js';
import { addCapturePair, CAPTURE_IF, createTopology, destroyTopology, type DemoHost, type Topology } from './topology.js';
import { EXTERNAL_ADDRESS, startWorkloads, type DemoWorkloads } from './workloads.js';
import { workloadFlows, type WorkloadFlows } from './workload-flows.js';
import { normalTraffic, replay, writeTraffic } from './traffic.js';

export interface DemoOptions {
  repoRoot: string;
  harness: DemoHarness;
  /** Seconds of traffic (default 30). */
  seconds?: number;
  /** kwok nodes only: no container runs, the operator and agents are processes here (default: real nodes). */
  kwok?: boolean;
  /** Nodes (default 3; all but the last are labelled for capture). Real nodes: 2 real, labelled, and 1 kwok, not. */
  nodes?: number;
  /** Normal traffic per node, packets per second (default 400). */
  pps?: number;
  /** SYN flood rate (SYNs per second, default 1500) and length (seconds, default 5). */
  floodRate?: number;
  floodSeconds?: number;
  /** Seconds between screens of the live view (default 5). */
  refreshSeconds?: number;
  /** Leave everything running until SIGINT/SIGTERM. */
  keep?: boolean;
  log?: (m: string) => void;
  print?: (m: string) => void;
}

export interface DemoResult {
  /** What the live view (`tapline top`'s model) read from the stream. */
  totals: TopTotals;
  agentNodes: string[];
  captureNodes: string[];
  /** kwok mode: each agent process's exit code. Real nodes: none (the kubelet reaps them). */
  agentExitCodes: Array<number | null>;
  /** Each agent's /metrics, read just before it was stopped. */
  agentMetrics: string[];
  policyReady: boolean;
  /** Real nodes: `kubectl get pods -o wide` as printed while the agents ran. */
  podsWide?: string;
  /** Real nodes: milliseconds from deleting the policy until its pods were gone. */
  stopMs?: number;
  /** Real nodes: the client/web workloads' flows as the stream holds them, with both ends' identities. */
  workloadFlows?: WorkloadFlows;
  workloads?: DemoWorkloads;
}

const NATS_PORT = 14222;
/** The bridge CNI's pod bridge in each real node's namespace (scripts/cluster/node-network.mjs). */
const POD_BRIDGE = 'cni0';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function heading(print: (m: string) => void, text: string): void {
  print(`\n== ${text}`);
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const log = o.log ?? ((m: string) => process.stderr.write(`  ${m}\n`));
  const print = o.print ?? ((m: string) => process.stdout.write(`${m}\n`));
  const seconds = o.seconds ?? 30;
  const dir = path.join(o.repoRoot, 'test', '.demo');
  rmSync(path.join(dir, 'logs'), { recursive: true, force: true });
  const logDir = path.join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });

  let cluster: DemoCluster | undefined;
  let topology: Topology | undefined;
  let nats: DemoNats | undefined;
  let operator: DemoOperator | undefined;
  let view: StreamWatch | undefined;
  let viewConnection: NatsConnection | undefined;
  const agents: DemoAgent[] = [];
  const podAgents: RunningAgent[] = [];
  let hosts: DemoHost[] = [];
  let images: DemoImages | undefined;
  let helm: string | undefined;
  let daemonSet: string | undefined;
  let podList: string | undefined;
  let workloads: DemoWorkloads | undefined;
  const senders: Array<{ child: { kill(sig?: NodeJS.Signals): boolean }; done: Promise<void> }> = [];
  try {
    const real = !o.kwok;
    if (real) {
      heading(print, 'control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) and real nodes (kubelet + containerd)');
      const built = await o.harness.ensureImages({ log });
      images = built;
      // the nodes import exactly these builds (a second build during the run would tag newer ones)
      const nodeImages = { pause: built.pause, archives: [built.agent.archive, built.operator.archive] };
      cluster = await startDemoCluster(o.harness, path.join(dir, 'cluster'), { realNodes: 2, kwokNodes: 1, images: nodeImages }, log);
      print(`  real nodes ${cluster.handle.realNodes.map((n) => `${n.name} (${n.address})`).join(', ')}; kwok node ${cluster.handle.nodes.filter((n) => n.labels.type === 'kwok').map((n) => n.name).join(', ')}`);
      print(`  labelled for capture: ${cluster.captureNodes.join(', ')}`);
      heading(print, 'network: each node has its own namespace; a capture pair tap0 <-> tx0 in each');
      hosts = cluster.handle.realNodes.filter((n) => cluster!.captureNodes.includes(n.name)).map(nodeHost);
      for (const h of hosts) addCapturePair(h.netns);
      for (const h of hosts) print(`  ${h.node}: netns ${h.netns}, address ${h.address}`);
    } else {
      heading(print, 'control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok nodes (kwok mode: no container runs)');
      cluster = await startDemoCluster(o.harness, path.join(dir, 'cluster'), { kwokNodes: o.nodes ?? 3 }, log);
      print(`  ${cluster.handle.nodes.length} kwok nodes; labelled for capture: ${cluster.captureNodes.join(', ')}`);
      heading(print, 'network: one namespace per capture node (tap0 <-> tx0), bridged to NATS');
      topology = createTopology(cluster.captureNodes);
      hosts = topology.hosts;
      for (const h of hosts) print(`  ${h.node}: netns ${h.netns}, address ${h.address}`);
    }

    heading(print, 'NATS with JetStream');
    nats = await startNats(o.harness, path.join(dir, 'nats'), real ? cluster.handle.hostAddress : topology!.bridgeAddress, NATS_PORT, log);
    print(`  ${nats.url}`);

    if (real) {
      heading(print, `operator: helm install charts/tapline (image ${images!.operator.ref}, watching ${DEMO_NAMESPACE})`);
      helm = (await o.harness.ensureHelmTools({ log })).paths.helm;
      installChart(cluster.handle.kubeconfigPath, {
        repoRoot: o.repoRoot, helm, images: images!, watchNamespace: DEMO_NAMESPACE,
        identityMap: { natsUrl: nats.url, podCidrs: cluster.handle.realNodes.map((n) => n.podCidr) },
      });
      print(podsWide(cluster, [RELEASE_NAMESPACE]).replace(/^/gm, '  '));
      print(`  identity map: the operator writes pod/workload/node/service of every cluster address to NATS (bucket tapline-identity)`);
      heading(print, `workloads: Deployment web (HTTP, Service web) and Deployment client (calls every web pod, the Service and ${EXTERNAL_ADDRESS})`);
      workloads = await startWorkloads(cluster, images!.agent.ref, hosts.length);
      print(podsWide(cluster, [DEMO_NAMESPACE]).replace(/^/gm, '  '));
    } else {
      heading(print, `operator (tapline operator --watch-namespaces ${DEMO_NAMESPACE})`);
      await installCrd(cluster, o.repoRoot);
      operator = await startOperator(cluster, o.repoRoot, logDir);
      print(`  ready; metrics ${operator.metricsUrl}/metrics`);
    }

    // real nodes: also the pod bridge, where the workloads' traffic is
    const interfaces = real ? [CAPTURE_IF, POD_BRIDGE] : [CAPTURE_IF];
    heading(print, `policy ${DEMO_NAMESPACE}/${DEMO_POLICY} (AF_PACKET on ${interfaces.join(' and ')}, every detector on)`);
    await applyDemoPolicy(cluster, nats.url, interfaces);
    const ready = await waitPolicyReady(cluster, real ? 240_000 : 90_000);
    if (cluster.handle.kubectl) {
      const r = spawnSync(cluster.handle.kubectl, ['--kubeconfig', cluster.handle.kubeconfigPath, 'get', 'snifferpolicies', '-n', DEMO_NAMESPACE, '-o', 'wide'], { encoding: 'utf8' });
      print(r.stdout.trimEnd().replace(/^/gm, '  '));
    }
    const dsName = ready.status?.daemonSetName;
    if (!dsName) throw new Error('the Ready policy reports no daemonSetName');
    daemonSet = dsName;

    const pods = await agentPodNodes(cluster.kube, dsName);
    if (real) {
      heading(print, 'agents: the DaemonSet\'s pods, running on the real nodes (kubectl get pods -o wide)');
      podList = podsWide(cluster, [DEMO_NAMESPACE]);
      print(podList.replace(/^/gm, '  '));
      for (const { pod, node } of pods) {
        const host = hosts.find((h) => h.node === node);
        if (!host) throw new Error(`DaemonSet pod ${pod} landed on ${node}, which is not labelled for capture`);
        podAgents.push({ host, pod, metricsUrl: `http://${host.address}:${DEMO_METRICS_PORT}` });
      }
    } else {
      heading(print, 'agents: one per node the DaemonSet selected, same config and environment as its pod');
      const configJson = await readAgentConfig(cluster.kube);
      for (const { pod, node } of pods) {
        const host = hosts.find((h) => h.node === node);
        if (!host) throw new Error(`DaemonSet pod ${pod} landed on ${node}, which is not labelled for capture`);
        agents.push(await startAgent(o.repoRoot, logDir, host, pod, DEMO_NAMESPACE, configJson, DEMO_METRICS_PORT));
        print(`  ${node}: pod ${pod}, metrics ${host.address}:${DEMO_METRICS_PORT}`);
      }
    }
    const running = real ? podAgents : agents;

    printWhereThingsRun(print, cluster, nats, operator, running, logDir, o.repoRoot);

    heading(print, `traffic for ${seconds}s: normal on every node, a SYN flood towards 10.0.99.1 on ${running[0]?.host.node}`);
    // tapline top's view of the whole stream (no filter), its rates over one refresh period.
    const refreshSeconds = o.refreshSeconds ?? 5;
    const everything = flowFilter({});
    viewConnection = await connect({ servers: nats.url, name: 'tapline-demo-view' });
    view = await watchStream(viewConnection, {
      stream: DEMO_STREAM,
      subjects: subjectFilters(DEMO_SUBJECT_PREFIX, ['flows', 'alerts'], everything),
      filter: everything,
      start: { at: 'all' },
      windowSeconds: refreshSeconds,
    });
    const frame = (now: number): string => renderFrame(view!.model, { width: 120, now, title: `${DEMO_STREAM} @ ${nats!.url}` }).join('\n');
    const trafficDir = path.join(dir, 'traffic');
    for (const [i, a] of running.entries()) senders.push(replay(a.host, normalTraffic(trafficDir, 100 + i), { pps: o.pps ?? 400, loops: 0 }));
    const floodSeconds = o.floodSeconds ?? 5;
    const flood = writeTraffic(trafficDir, 'syn-flood', [synFloodScenario({ victim: '10.0.99.1', rate: o.floodRate ?? 1500, from: 0, to: floodSeconds })]);
    const started = Date.now();
    let floodStarted = false;
    while (Date.now() - started < seconds * 1000) {
      await sleep(refreshSeconds * 1000);
      if (!floodStarted && running[0] && Date.now() - started >= Math.min(seconds * 1000 / 4, 8000)) {
        senders.push(replay(running[0].host, flood));
        floodStarted = true;
      }
      const now = Date.now();
      print(`\n-- t+${Math.round((now - started) / 1000)}s\n${frame(now)}`);
      for (const a of agents) if (a.exited()) throw new Error(`the agent for ${a.host.node} stopped; see ${a.logPath}`);
    }
    for (const s of senders) s.child.kill('SIGTERM');
    await Promise.all(senders.map((s) => s.done));

    if (o.keep) {
      print('\n--keep: everything stays up; press Ctrl-C to stop.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    }

    const agentMetrics = await Promise.all(running.map(async (a) => (await fetch(`${a.metricsUrl}/metrics`)).text()));
    let agentExitCodes: Array<number | null> = [];
    let stopMs: number | undefined;
    if (real) {
      heading(print, 'deleting the policy: the kubelets send SIGTERM, every live flow is flushed with end reason "shutdown"');
      stopMs = await deletePolicyAndWait(cluster, DEMO_NAMESPACE, DEMO_POLICY, dsName);
      daemonSet = undefined;
      print(`  the agent pods were gone ${(stopMs / 1000).toFixed(1)} s later`);
    } else {
      heading(print, 'stopping the agents (SIGTERM: every live flow is flushed with end reason "shutdown")');
      agentExitCodes = await Promise.all(agents.map((a) => a.stop()));
    }
    await view.settle(2000, 20_000);
    print(frame(Date.now()));
    if (!real) print(`  agents exited with ${agentExitCodes.join(', ')}`);
    let flows: WorkloadFlows | undefined;
    if (real) {
      heading(print, 'the workloads\' flows, in Kubernetes terms (tapline observe --workload Deployment/client)');
      flows = await workloadFlows(nats.url, DEMO_STREAM, DEMO_SUBJECT_PREFIX);
      for (const line of flows.examples) print(`  ${line}`);
      print(`  client -> web pod: ${flows.clientToWebPod}, client -> Service web: ${flows.clientToService}, client -> external: ${flows.clientToExternal}; with TCP handshake times: ${flows.withHandshake}`);
    }
    return {
      totals: view.model.totals,
      agentNodes: running.map((a) => a.host.node),
      captureNodes: cluster.captureNodes,
      agentExitCodes,
      agentMetrics,
      policyReady: true,
      ...(real ? { podsWide: podList, stopMs, ...(flows ? { workloadFlows: flows } : {}), ...(workloads ? { workloads } : {}) } : {}),
    };
  } finally {
    for (const s of senders) s.child.kill('SIGTERM');
    await Promise.all(agents.map((a) => a.stop().catch(() => null)));
    if (cluster && daemonSet) await deletePolicyAndWait(cluster, DEMO_NAMESPACE, DEMO_POLICY, daemonSet).catch(() => undefined);
    await view?.close().catch(() => undefined);
    await viewConnection?.close().catch(() => undefined);
    await operator?.stop().catch(() => undefined);
    if (cluster && helm) uninstallChart(cluster, helm);
    await nats?.stop().catch(() => undefined);
    await cluster?.stop().catch((e: unknown) => log(`stopping the control plane: ${(e as Error).message}`));
    if (topology) destroyTopology();
  }
}

/** An agent as the live view and the summary see it: where it runs and its metrics. */
interface RunningAgent {
  host: DemoHost;
  pod: string;
  metricsUrl: string;
}

function printWhereThingsRun(
  print: (m: string) => void, cluster: DemoCluster, nats: DemoNats, operator: DemoOperator | undefined, agents: RunningAgent[], logDir: string, repoRoot: string,
): void {
  const k = `${cluster.handle.kubectl ?? 'kubectl'} --kubeconfig ${cluster.handle.kubeconfigPath}`;
  heading(print, 'where everything runs (while the demo runs; --keep leaves it up)');
  print(`  kubectl:   ${k} get snifferpolicies,daemonsets,configmaps,pods -n ${DEMO_NAMESPACE}`);
  print(`             ${k} describe snifferpolicy ${DEMO_POLICY} -n ${DEMO_NAMESPACE}`);
  print(`  NATS CLI:  ${nats.natsCli} --server ${nats.url} stream info ${DEMO_STREAM}`);
  print(`             ${nats.natsCli} --server ${nats.url} sub '${DEMO_SUBJECT_PREFIX}.${DEMO_NAMESPACE}.${DEMO_POLICY}.alerts.>'`);
  if (operator) print(`  operator:  curl ${operator.metricsUrl}/metrics`);
  else print(`  operator:  ${k} -n ${RELEASE_NAMESPACE} logs deployment/tapline`);
  for (const a of agents) {
    const where = operator ? `process in netns ${a.host.netns}` : `${k} -n ${DEMO_NAMESPACE} logs ${a.pod}`;
    print(`  agent ${a.host.node}: curl ${a.metricsUrl}/metrics   (${where})`);
  }
  const tapline = `node ${path.join(repoRoot, 'bin', 'tapline.js')}`;
  const prefix = DEMO_SUBJECT_PREFIX === 'tapline' ? '' : ` --subject-prefix ${DEMO_SUBJECT_PREFIX}`;
  print(`  flows:     ${tapline} observe --nats ${nats.url} --stream ${DEMO_STREAM}${prefix} --policy ${DEMO_NAMESPACE}/${DEMO_POLICY} --last 20 --follow`);
  print(`  alerts:    ${tapline} observe --nats ${nats.url} --stream ${DEMO_STREAM}${prefix} --alerts`);
  print(`  live view: ${tapline} top --nats ${nats.url} --stream ${DEMO_STREAM}${prefix}`);
  print(`  logs:      ${logDir}`);
}
