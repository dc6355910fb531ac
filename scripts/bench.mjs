// `npm run bench`: set-up (with the peer tools), then the flow-engine
// benchmark (test/bench/flow-engine-bench.ts, compiled to dist/).
// `npm run bench -- --soak MINUTES`: only the soak (test/bench/soak-bench.ts): the agent replaying a
// capture into JetStream for MINUTES, sampled every 10 s; exit 1 if a record was lost or memory grew.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { repoRoot } from './lib/run.mjs';
import { setup } from './setup.mjs';

try {
  setup('bench');
} catch (err) {
  process.stderr.write(`tapline bench: set-up failed: ${err.message}\n`);
  process.exit(1);
}
const soakAt = process.argv.indexOf('--soak');
if (soakAt >= 0) {
  const minutes = Number(process.argv[soakAt + 1]);
  if (!(minutes > 0)) {
    process.stderr.write('usage: npm run bench -- --soak MINUTES\n');
    process.exit(2);
  }
  const { soakBench } = await import(pathToFileURL(path.join(repoRoot, 'dist', 'test', 'bench', 'soak-bench.js')).href);
  const r = await soakBench({ minutes });
  process.stdout.write(`${r.markdown}\n`);
  process.exit(r.ok ? 0 : 1);
}
await import(pathToFileURL(path.join(repoRoot, 'dist', 'test', 'bench', 'flow-engine-bench.js')).href);
// Live capture: file vs DPDK (memory, veth) vs AF_PACKET (veth), 1 and 2 workers.
const { captureBench } = await import(pathToFileURL(path.join(repoRoot, 'dist', 'test', 'bench', 'capture-bench.js')).href);
process.stdout.write(`\n${await captureBench()}`);
// Anomaly detectors: replay Mpps with every detector off vs on, as a ratio.
const { detectorsBench } = await import(pathToFileURL(path.join(repoRoot, 'dist', 'test', 'bench', 'detectors-bench.js')).href);
process.stdout.write(`\n${await detectorsBench()}`);
// The agent: records/s to a JetStream file stream by batch size; packets/s end to end vs the engine alone.
const { agentBench } = await import(pathToFileURL(path.join(repoRoot, 'dist', 'test', 'bench', 'agent-export-bench.js')).href);
process.stdout.write(`\n${await agentBench()}`);
// The operator: apply → Ready for 1 policy and for 200 policies over 1,000 kwok nodes, API requests
// per reconcile, operator memory (its own control plane in $TAPLINE_CLUSTER_DIR or test/.cluster-bench).
const { operatorBench } = await import(pathToFileURL(path.join(repoRoot, 'dist', 'test', 'bench', 'operator-bench.js')).href);
process.stdout.write(`\n${await operatorBench()}`);
// Identity enrichment: the agent's CPU per record with and without identities, and the publish path
// (no cluster; the API-server part needs one: `node dist/test/bench/identity-bench.js --api`).
const { identityEnrichBench } = await import(pathToFileURL(path.join(repoRoot, 'dist', 'test', 'bench', 'identity-bench.js')).href);
process.stdout.write(`\n${await identityEnrichBench()}`);
