#!/usr/bin/env node
// Starts the local control plane (building its binaries first if needed) and returns, leaving it
// running; `npm run cluster:down` stops it. Idempotent: a healthy running cluster is reused.
//
//   node scripts/cluster/up.mjs [--nodes N] [--capture-nodes K] [--real-nodes R] [--no-kubectl] [--fresh] [--json]
//
// --real-nodes R: also R real nodes real-node-0..R-1 (kubelet + containerd each, in a network
// namespace of their own, the images of scripts/images imported; needs root).
//
// Env: TAPLINE_CLUSTER_DIR (default test/.cluster), TAPLINE_CACHE_DIR (binary cache).
import { parseArgs } from 'node:util';
import { startCluster, stopCluster } from './cluster.mjs';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '3' },
    'capture-nodes': { type: 'string' },
    'real-nodes': { type: 'string', default: '0' },
    'no-kubectl': { type: 'boolean', default: false },
    fresh: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'timeout-s': { type: 'string', default: '120' },
  },
});

try {
  if (values.fresh) await stopCluster({ log: () => {} });
  const c = await startCluster({
    nodes: Number(values.nodes),
    captureNodes: values['capture-nodes'] === undefined ? undefined : Number(values['capture-nodes']),
    realNodes: Number(values['real-nodes']),
    withKubectl: !values['no-kubectl'],
    reuse: true,
    handleSignals: true,
    timeoutMs: Number(values['timeout-s']) * 1000,
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(c, null, 2)}\n`);
  } else {
    const lines = [
      `server:     ${c.server}`,
      `kubeconfig: ${c.kubeconfigPath}`,
      `nodes:      ${c.nodes.map((n) => `${n.name}${n.labels[c.captureLabel] ? ` (${c.captureLabel}=true)` : ''}`).join(', ')}`,
      ...c.realNodes.map((n) => `real node:  ${n.name} ${n.address} (netns ${n.netns}: ip netns exec ${n.netns} ...)`),
      `logs:       ${c.logDir}`,
      `versions:   ${Object.entries(c.versions).map(([m, v]) => `${m} ${v}`).join(', ')}`,
      '',
      `export KUBECONFIG=${c.kubeconfigPath}`,
      c.kubectl ? `${c.kubectl} get nodes` : '(kubectl: node scripts/cluster/build.mjs --only kubectl)',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
} catch (e) {
  process.stderr.write(`cluster up: ${e.message}\n`);
  process.exit(e.interrupted === 'SIGINT' ? 130 : e.interrupted === 'SIGTERM' ? 143 : 1);
}
