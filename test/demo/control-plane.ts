// The demo's Kubernetes side: the local control plane (scripts/cluster: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, kwok nodes), the CRD, the operator as its own process
// (`tapline operator`, as the Deployment runs it), and the demo policy.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { ClusterHandle } from '../../scripts/cluster/cluster.mjs';
import type { KubeClient } from '../../scripts/cluster/kube-client.mjs';
import { CRD_FILE } from '../../operator/api/generate-crd.js';
import { API_VERSION, CRD_NAME, KIND, PLURAL } from '../../operator/api/policy.js';
import { agentResourceName } from '../../operator/render/names.js';
import { freePort } from '../support/free-port.js';
import { spawnLogged } from './child.js';
import type { DemoHarness } from './harness.js';
import { DEMO_NAMESPACE, DEMO_POLICY, demoPolicySpec } from './policy.js';

const MANAGER = 'tapline-demo';
const CAPTURE_LABEL = 'tapline.dev/capture';

export interface DemoCluster {
  harness: DemoHarness;
  handle: ClusterHandle;
  kube: KubeClient;
  /** Nodes labelled for capture: where the policy's agents must land. */
  captureNodes: string[];
  stop(): Promise<void>;
}

/**
 * kwok nodes only (all but the last labelled for capture), or `realNodes` real nodes (labelled
 * for capture) beside `kwokNodes` unlabelled kwok nodes (where no agent must land).
 */
export async function startDemoCluster(
  harness: DemoHarness,
  dir: string,
  o: { kwokNodes: number; realNodes?: number; /** Real nodes: the images built for this run (the same refs the chart installs). */ images?: { pause: { ref: string; archive: string }; archives: string[] } },
  log: (m: string) => void,
): Promise<DemoCluster> {
  const real = (o.realNodes ?? 0) > 0;
  const handle = await harness.startCluster({
    dir, nodes: o.kwokNodes, captureNodes: real ? 0 : o.kwokNodes - 1, log, withKubectl: true,
    ...(real ? { realNodes: o.realNodes, realNodeLabels: () => ({ [CAPTURE_LABEL]: 'true' }), timeoutMs: 180_000, ...(o.images ? { images: o.images } : {}) } : {}),
  });
  const kube = harness.kubeClient(handle);
  const captureNodes = handle.nodes.filter((n) => n.labels[handle.captureLabel] === 'true').map((n) => n.name);
  return { harness, handle, kube, captureNodes, stop: async () => void (await harness.stopCluster({ dir, log })) };
}

export async function installCrd(c: DemoCluster, repoRoot: string): Promise<void> {
  const { kube } = c;
  const yaml = readFileSync(path.join(repoRoot, CRD_FILE), 'utf8');
  await kube.request('PATCH', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}?fieldManager=${MANAGER}&force=true`, yaml, {
    contentType: 'application/apply-patch+yaml',
  });
  await c.harness.waitFor('the SnifferPolicy CRD to be served', async () => (await kube.raw('GET', `/apis/${API_VERSION}/${PLURAL}`)).status === 200);
  await kube.apply(`/api/v1/namespaces/${DEMO_NAMESPACE}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: DEMO_NAMESPACE } }, MANAGER);
}

export interface DemoOperator {
  metricsUrl: string;
  logPath: string;
  stop(): Promise<void>;
}

export async function startOperator(c: DemoCluster, repoRoot: string, logDir: string): Promise<DemoOperator> {
  const kubeconfig = c.handle.kubeconfigPath;
  const port = await freePort();
  const logPath = path.join(logDir, 'operator.log');
  const child = spawnLogged(
    process.execPath,
    [path.join(repoRoot, 'bin', 'tapline.js'), 'operator', '--kubeconfig', kubeconfig, '--watch-namespaces', DEMO_NAMESPACE,
      '--lease-namespace', DEMO_NAMESPACE, '--metrics-port', String(port), '--metrics-bind-address', '127.0.0.1'],
    logPath,
  );
  const metricsUrl = `http://127.0.0.1:${port}`;
  await c.harness.waitFor('the operator to be ready (/readyz)', async () => (await fetch(`${metricsUrl}/readyz`).catch(() => undefined))?.ok === true, {
    timeoutMs: 60_000,
    abortIf: () => {
      if (child.exitCode() !== undefined) throw new Error(`the operator exited (${child.exitCode()}) at start; see ${logPath}`);
    },
  });
  return {
    metricsUrl,
    logPath,
    async stop() {
      await child.stop(10_000);
    },
  };
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
export interface PolicyView {
  generation: number;
  status?: { observedGeneration?: number; desiredNodes?: number; readyNodes?: number; daemonSetName?: string; conditions?: Condition[] };
}

const policyPath = `/apis/${API_VERSION}/namespaces/${DEMO_NAMESPACE}/${PLURAL}/${DEMO_POLICY}`;

export async function applyDemoPolicy(c: DemoCluster, natsUrl: string, interfaces?: string[]): Promise<void> {
  const spec = demoPolicySpec(natsUrl, c.handle.captureLabel, interfaces);
  await c.kube.apply(policyPath, { apiVersion: API_VERSION, kind: KIND, metadata: { name: DEMO_POLICY, namespace: DEMO_NAMESPACE }, spec }, MANAGER);
}

/** Waits for Ready=True on the current generation; returns the policy as the operator reported it. */
export async function waitPolicyReady(c: DemoCluster, timeoutMs = 90_000): Promise<PolicyView> {
  const { kube } = c;
  let last: PolicyView | undefined;
  return c.harness.waitFor(
    'the policy to become Ready',
    async () => {
      const p = await kube.get<{ metadata: { generation: number }; status?: PolicyView['status'] }>(policyPath);
      last = { generation: p.metadata.generation, ...(p.status ? { status: p.status } : {}) };
      const ready = p.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'True' && p.status?.observedGeneration === p.metadata.generation ? last : undefined;
    },
    { timeoutMs, describe: () => JSON.stringify(last?.status ?? 'no status yet') },
  );
}

/** The agent config the operator rendered into the policy's ConfigMap (what every agent pod mounts). */
export async function readAgentConfig(kube: KubeClient): Promise<string> {
  const cm = await kube.get<{ data?: Record<string, string> }>(`/api/v1/namespaces/${DEMO_NAMESPACE}/configmaps/${agentResourceName(DEMO_POLICY)}`);
  const json = cm.data?.['agent.json'];
  if (!json) throw new Error(`ConfigMap ${agentResourceName(DEMO_POLICY)} has no agent.json`);
  return json;
}

/** Nodes where the DaemonSet's pods were scheduled (kwok plays their kubelets). */
export async function agentPodNodes(kube: KubeClient, daemonSetName: string): Promise<Array<{ pod: string; node: string }>> {
  const pods = await kube.get<{ items: Array<{ metadata: { name: string; ownerReferences?: Array<{ kind: string; name: string }> }; spec: { nodeName?: string } }> }>(
    `/api/v1/namespaces/${DEMO_NAMESPACE}/pods`,
  );
  return pods.items
    .filter((p) => p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet' && o.name === daemonSetName) && p.spec.nodeName)
    .map((p) => ({ pod: p.metadata.name, node: p.spec.nodeName as string }))
    .sort((a, b) => a.node.localeCompare(b.node));
}
