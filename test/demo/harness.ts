// What the demo takes from the plain-JS harness in scripts/ (the local control plane and the
// NATS build). Passed in by the caller — scripts/demo.mjs, or a test — because the compiled demo
// under dist/ cannot import scripts/ by a relative path; only types are imported here.
import type { startCluster, stopCluster, kubeClient } from '../../scripts/cluster/cluster.mjs';
import type { waitFor } from '../../scripts/cluster/kube-client.mjs';
import type { ensureNatsTools } from '../../scripts/nats/tools.mjs';
import type { ensureHelmTools } from '../../scripts/helm/tools.mjs';
import type { ensureImages } from '../../scripts/images/build.mjs';

export interface DemoHarness {
  startCluster: typeof startCluster;
  stopCluster: typeof stopCluster;
  kubeClient: typeof kubeClient;
  waitFor: typeof waitFor;
  ensureNatsTools: typeof ensureNatsTools;
  /** Real nodes only: the images (scripts/images) and helm (the chart installs the operator). */
  ensureImages: typeof ensureImages;
  ensureHelmTools: typeof ensureHelmTools;
}
