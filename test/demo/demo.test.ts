// `npm run demo` end to end, shortened: the README's first command must keep working. Runs the
// same runDemo() as scripts/demo.mjs (its own control plane, NATS, operator, agents, tcpreplay
// traffic with a SYN flood) and checks what reached the stream: on real nodes (the default: the
// operator and the agents are pods from the images built here), and in kwok mode (--kwok: the
// operator and agents are processes, for machines that cannot run containers).
import { describe, expect, it } from 'vitest';

import { kubeClient, startCluster, stopCluster } from '../../scripts/cluster/cluster.mjs';
import { waitFor } from '../../scripts/cluster/kube-client.mjs';
import { ensureNatsTools } from '../../scripts/nats/tools.mjs';
import { ensureHelmTools } from '../../scripts/helm/tools.mjs';
import { ensureImages } from '../../scripts/images/build.mjs';
import { holdHugepages } from '../support/hugepages-lock.js';
import { runDemo } from './main.js';

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('npm run demo (needs root: network namespaces)', () => {
  it.each(['real nodes', 'kwok'] as const)('%s: brings everything up, stores flows from every selected node and one SYN flood alert, and stops cleanly', async (mode) => {
    const lines: string[] = [];
    const kwok = mode === 'kwok';
    // Real nodes reserve hugepages at start and give them back at stop: the pool is the machine's.
    const releasePool = kwok ? undefined : await holdHugepages('test/demo/demo.test.ts');
    const r = await runDemo({
      repoRoot: process.cwd(),
      harness: { startCluster, stopCluster, kubeClient, waitFor, ensureNatsTools, ensureHelmTools, ensureImages },
      kwok,
      seconds: 16,
      refreshSeconds: 4,
      print: (m) => lines.push(m),
      log: () => undefined,
    }).finally(() => releasePool?.());
    const out = lines.join('\n');
    expect(out).toMatch(/ddos-watch\s+afpacket\s+2\s+2\s+2\s+True\s+AgentsReady/);
    expect(r.agentNodes).toEqual(r.captureNodes);
    if (kwok) {
      expect(r.agentExitCodes).toEqual(r.captureNodes.map(() => 0));
    } else {
      // Pods of the DaemonSet, Running on the real nodes, and gone within their grace period.
      expect(r.captureNodes).toEqual(['real-node-0', 'real-node-1']);
      for (const node of r.captureNodes) expect(r.podsWide).toMatch(new RegExp(`ddos-watch-\\S+\\s+1/1\\s+Running\\s+\\d+\\s+\\S+\\s+\\S+\\s+${node}\\s`));
      expect(r.stopMs).toBeLessThan(60_000);
      // Flows in Kubernetes terms: the client Deployment's pods calling the web Deployment's pods (named with
      // their Service), the Service's cluster IP and an outside address, named from the operator's identity map.
      const w = r.workloadFlows!;
      expect(w.clientToWebPod).toBeGreaterThan(0);
      expect(w.clientToService).toBeGreaterThan(0);
      expect(w.clientToExternal).toBeGreaterThan(0);
      expect(w.withHandshake).toBeGreaterThan(0);
      expect(out).toMatch(/\(Deployment\/client\)/);
    }
    expect(r.totals.invalid).toBe(0);
    // Each agent counted its packets and reports the capture layer's drops (none on a quiet veth).
    for (const m of r.agentMetrics) {
      expect(Number(/^tapline_packets_total(?:\{[^}]*\})? (\d+)$/m.exec(m)?.[1] ?? 0)).toBeGreaterThan(0);
      expect(m).toMatch(/^tapline_drops_total\{[^}]*layer="capture"[^}]*\} 0$/m);
    }
    for (const node of r.captureNodes) expect(r.totals.byNode.get(node)?.records ?? 0).toBeGreaterThan(50);
    // SIGTERM flushed the flows still open when the traffic stopped.
    expect(r.totals.endReasons.get('shutdown') ?? 0).toBeGreaterThan(0);
    const attacks = r.totals.alerts.filter((a) => a.type !== 'heavy_hitters');
    const raised = attacks.filter((a) => a.state === 'raised');
    expect(raised.map((a) => [a.node, a.type, a.key.dst])).toEqual([[r.captureNodes[0], 'syn_flood', '10.0.99.1']]);
    expect(attacks.filter((a) => a.state === 'resolved').map((a) => a.id)).toEqual([raised[0]!.id]);
    expect(r.totals.alerts.some((a) => a.type === 'heavy_hitters' && (a.top?.length ?? 0) > 0)).toBe(true);
  }, 600_000);
});
