// `npm run demo`: Tapline's main job on one machine (test/demo/main.ts): a local control plane with
// real nodes (kubelet + containerd), NATS with JetStream, the operator installed by the Helm chart
// from the image built here, a DDoS-watch policy whose agents run as DaemonSet pods capturing in
// their nodes' network namespaces, generated traffic with a SYN flood, and a live view of the flows
// and alerts in the stream. Builds whatever is missing first (on a fresh machine the Go builds and
// the images take most of half an hour, once).
//
//   npm run demo [-- --seconds N] [--keep] [--kwok]
//
// --kwok: for machines that cannot run containers; kwok plays the kubelets and the operator and
// agents run as processes here (the demo says so when it starts).
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { repoRoot } from './lib/run.mjs';
import { setup } from './setup.mjs';

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--keep') o.keep = true;
    else if (a === '--kwok') o.kwok = true;
    else if (a === '--seconds' && /^\d+$/.test(argv[i + 1] ?? '')) o.seconds = Number(argv[++i]);
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: npm run demo [-- --seconds N (default 30)] [--keep (leave it running until Ctrl-C)] [--kwok (no containers: kwok nodes, agents as processes)]\n');
      process.exit(0);
    } else {
      process.stderr.write(`tapline demo: unknown argument ${a} (try --help)\n`);
      process.exit(2);
    }
  }
  return o;
}

const options = parseArgs(process.argv.slice(2));
if (process.getuid?.() !== 0) {
  process.stderr.write('tapline demo: needs root (it creates network namespaces and veth pairs, and captures on them)\n');
  process.exit(1);
}
try {
  setup('demo', ...(options.kwok ? [] : ['nodes', 'images']));
} catch (err) {
  process.stderr.write(`tapline demo: set-up failed: ${err.message}\n`);
  process.exit(1);
}

const { runDemo } = await import(pathToFileURL(path.join(repoRoot, 'dist', 'test', 'demo', 'main.js')).href);
const { startCluster, stopCluster, kubeClient } = await import('./cluster/cluster.mjs');
const { waitFor } = await import('./cluster/kube-client.mjs');
const { ensureNatsTools } = await import('./nats/tools.mjs');
const { ensureHelmTools } = await import('./helm/tools.mjs');
const { ensureImages } = await import('./images/build.mjs');
if (options.kwok) process.stderr.write('tapline demo: kwok mode: no container runs; the operator and the agents run as processes on this machine\n');
try {
  const harness = { startCluster, stopCluster, kubeClient, waitFor, ensureNatsTools, ensureHelmTools, ensureImages };
  const r = await runDemo({ repoRoot, harness, ...options });
  const raised = r.totals.alerts.filter((a) => a.state === 'raised').map((a) => `${a.type} ${a.key.dst ?? a.key.src ?? ''}`);
  process.stdout.write(`\ndemo done: ${r.totals.records} flow records from ${r.agentNodes.length} agents in the stream; alerts raised: ${raised.join(', ') || 'none'}\n`);
} catch (err) {
  process.stderr.write(`tapline demo: ${err.stack ?? err.message}\n`);
  process.exit(1);
}
