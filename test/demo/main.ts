// `npm run demo`: Tapline's main job on one machine. A local control plane with kwok nodes, a
// NATS server with JetStream, the operator, a DDoS-watch policy, one agent per selected node
// capturing on a veth pair in the node's own network namespace, generated traffic (normal, then
// a SYN flood), and a live view of what reaches the stream. Everything is stopped at the end
// (or left running with --keep until Ctrl-C).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';

import { synFloodScenario } from '../gen/attacks.js';
import { startAgent, type DemoAgent } from './agents.js';
import {
  agentPodNodes, applyDemoPolicy, installCrd, readAgentConfig, startDemoCluster, startOperator, waitPolicyReady,
  type DemoCluster, type DemoOperator,
} from './control-plane.js';
import { renderView, startLiveView, type LiveView, type ViewTotals } from './live-view.js';
import type { DemoHarness } from './harness.js';
import { startNats, type DemoNats } from './nats.js';
import { DEMO_METRICS_PORT, DEMO_NAMESPACE, DEMO_POLICY, DEMO_STREAM, DEMO_SUBJECT_PREFIX } from './policy.js';
import { createTopology, destroyTopology, type Topology } from './topology.js';
import { normalTraffic, replay, writeTraffic } from './traffic.js';

export interface DemoOptions {
  repoRoot: string;
  harness: DemoHarness;
  /** Seconds of traffic (default 30). */
  seconds?: number;
  /** kwok nodes (default 3; all but the last are labelled for capture). */
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
  totals: ViewTotals;
  agentNodes: string[];
  captureNodes: string[];
  agentExitCodes: Array<number | null>;
  /** Each agent's /metrics, read just before it was stopped. */
  agentMetrics: string[];
  policyReady: boolean;
}

const NATS_PORT = 14222;
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
  let view: LiveView | undefined;
  const agents: DemoAgent[] = [];
  const senders: Array<{ child: { kill(sig?: NodeJS.Signals): boolean }; done: Promise<void> }> = [];
  try {
    heading(print, 'control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok nodes');
    cluster = await startDemoCluster(o.harness, path.join(dir, 'cluster'), o.nodes ?? 3, log);
    print(`  ${cluster.handle.nodes.length} kwok nodes; labelled for capture: ${cluster.captureNodes.join(', ')}`);

    heading(print, 'network: one namespace per capture node (tap0 <-> tx0), bridged to NATS');
    topology = createTopology(cluster.captureNodes);
    for (const h of topology.hosts) print(`  ${h.node}: netns ${h.netns}, address ${h.address}`);

    heading(print, 'NATS with JetStream');
    nats = await startNats(o.harness, path.join(dir, 'nats'), topology.bridgeAddress, NATS_PORT, log);
    print(`  ${nats.url}`);

    heading(print, `operator (tapline operator --watch-namespaces ${DEMO_NAMESPACE})`);
    await installCrd(cluster, o.repoRoot);
    operator = await startOperator(cluster, o.repoRoot, logDir);
    print(`  ready; metrics ${operator.metricsUrl}/metrics`);

    heading(print, `policy ${DEMO_NAMESPACE}/${DEMO_POLICY} (AF_PACKET on tap0, every detector on)`);
    await applyDemoPolicy(cluster, nats.url);
    const ready = await waitPolicyReady(cluster);
    if (cluster.handle.kubectl) {
      const r = spawnSync(cluster.handle.kubectl, ['--kubeconfig', cluster.handle.kubeconfigPath, 'get', 'snifferpolicies', '-n', DEMO_NAMESPACE, '-o', 'wide'], { encoding: 'utf8' });
      print(r.stdout.trimEnd().replace(/^/gm, '  '));
    }
    const dsName = ready.status?.daemonSetName;
    if (!dsName) throw new Error('the Ready policy reports no daemonSetName');

    heading(print, 'agents: one per node the DaemonSet selected, same config and environment as its pod');
    const configJson = await readAgentConfig(cluster.kube);
    const pods = await agentPodNodes(cluster.kube, dsName);
    for (const { pod, node } of pods) {
      const host = topology.hosts.find((h) => h.node === node);
      if (!host) throw new Error(`DaemonSet pod ${pod} landed on ${node}, which is not labelled for capture`);
      agents.push(await startAgent(o.repoRoot, logDir, host, pod, DEMO_NAMESPACE, configJson, DEMO_METRICS_PORT));
      print(`  ${node}: pod ${pod}, metrics ${host.address}:${DEMO_METRICS_PORT}`);
    }

    printWhereThingsRun(print, cluster, nats, operator, agents, logDir);

    heading(print, `traffic for ${seconds}s: normal on every node, a SYN flood towards 10.0.99.1 on ${agents[0]?.host.node}`);
    view = await startLiveView(nats.url, DEMO_STREAM, DEMO_SUBJECT_PREFIX);
    const trafficDir = path.join(dir, 'traffic');
    for (const [i, a] of agents.entries()) senders.push(replay(a.host, normalTraffic(trafficDir, 100 + i), { pps: o.pps ?? 400, loops: 0 }));
    const floodSeconds = o.floodSeconds ?? 5;
    const flood = writeTraffic(trafficDir, 'syn-flood', [synFloodScenario({ victim: '10.0.99.1', rate: o.floodRate ?? 1500, from: 0, to: floodSeconds })]);
    const started = Date.now();
    let prev = { records: 0, packets: 0, at: started };
    let floodStarted = false;
    while (Date.now() - started < seconds * 1000) {
      await sleep((o.refreshSeconds ?? 5) * 1000);
      if (!floodStarted && agents[0] && Date.now() - started >= Math.min(seconds * 1000 / 4, 8000)) {
        senders.push(replay(agents[0].host, flood));
        floodStarted = true;
      }
      const now = Date.now();
      print(`\n-- t+${Math.round((now - started) / 1000)}s\n${renderView(view.totals, prev, now)}`);
      prev = { records: view.totals.records, packets: view.totals.packets, at: now };
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

    const agentMetrics = await Promise.all(agents.map(async (a) => (await fetch(`${a.metricsUrl}/metrics`)).text()));
    heading(print, 'stopping the agents (SIGTERM: every live flow is flushed with end reason "shutdown")');
    const agentExitCodes = await Promise.all(agents.map((a) => a.stop()));
    await view.settle(2000, 20_000);
    const now = Date.now();
    print(renderView(view.totals, prev, now));
    print(`  agents exited with ${agentExitCodes.join(', ')}`);
    return {
      totals: view.totals,
      agentNodes: agents.map((a) => a.host.node),
      captureNodes: cluster.captureNodes,
      agentExitCodes,
      agentMetrics,
      policyReady: true,
    };
  } finally {
    for (const s of senders) s.child.kill('SIGTERM');
    await Promise.all(agents.map((a) => a.stop().catch(() => null)));
    await view?.close().catch(() => undefined);
    await operator?.stop().catch(() => undefined);
    await nats?.stop().catch(() => undefined);
    await cluster?.stop().catch((e: unknown) => log(`stopping the control plane: ${(e as Error).message}`));
    if (topology) destroyTopology();
  }
}

function printWhereThingsRun(
  print: (m: string) => void, cluster: DemoCluster, nats: DemoNats, operator: DemoOperator, agents: DemoAgent[], logDir: string,
): void {
  const k = `${cluster.handle.kubectl ?? 'kubectl'} --kubeconfig ${cluster.handle.kubeconfigPath}`;
  heading(print, 'where everything runs (while the demo runs; --keep leaves it up)');
  print(`  kubectl:   ${k} get snifferpolicies,daemonsets,configmaps,pods -n ${DEMO_NAMESPACE}`);
  print(`             ${k} describe snifferpolicy ${DEMO_POLICY} -n ${DEMO_NAMESPACE}`);
  print(`  NATS CLI:  ${nats.natsCli} --server ${nats.url} stream info ${DEMO_STREAM}`);
  print(`             ${nats.natsCli} --server ${nats.url} sub '${DEMO_SUBJECT_PREFIX}.${DEMO_NAMESPACE}.${DEMO_POLICY}.alerts.>'`);
  print(`  operator:  curl ${operator.metricsUrl}/metrics`);
  for (const a of agents) print(`  agent ${a.host.node}: curl ${a.metricsUrl}/metrics   (process in netns ${a.host.netns})`);
  print(`  logs:      ${logDir}`);
}
