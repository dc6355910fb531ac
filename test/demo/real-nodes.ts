// The demo on real nodes (the default): the operator installed with the Helm chart from the image
// built here and running as a pod, the agents as the DaemonSet's pods on real kubelets, each
// capturing on the capture pair in its node's network namespace. Stopping them is what a user
// does: delete the policy, and the kubelets send SIGTERM.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

import type { RealNode } from '../../scripts/cluster/cluster.mjs';
import { API_VERSION, PLURAL } from '../../operator/api/policy.js';
import type { DemoCluster } from './control-plane.js';
import type { DemoHost } from './topology.js';

export const RELEASE = 'tapline';
export const RELEASE_NAMESPACE = 'tapline-system';

export interface DemoImages {
  agent: { ref: string };
  operator: { ref: string };
}

function splitRef(ref: string): { repository: string; tag: string } {
  const i = ref.lastIndexOf(':');
  return { repository: ref.slice(0, i), tag: ref.slice(i + 1) };
}

/**
 * `helm install` of charts/tapline with the images built here (the operator's never pulled, the
 * agents' from the nodes' containerd), watching one namespace that may run capture agents; returns
 * once the operator pod is Ready (--wait). Used by the demo and test/nodes.
 */
export function installChart(
  kubeconfigPath: string,
  o: { repoRoot: string; helm: string; images: DemoImages; watchNamespace: string; /** The operator writes the identity map to this NATS. */ identityMap?: { natsUrl: string; podCidrs: string[] } },
): void {
  const op = splitRef(o.images.operator.ref);
  const agent = splitRef(o.images.agent.ref);
  const r = spawnSync(o.helm, [
    'install', RELEASE, path.join(o.repoRoot, 'charts', 'tapline'), '-n', RELEASE_NAMESPACE, '--create-namespace',
    '--kubeconfig', kubeconfigPath, '--wait', '--timeout', '240s',
    '--set', `image.repository=${op.repository}`, '--set', `image.tag=${op.tag}`, '--set', 'image.pullPolicy=Never',
    '--set', `agent.image.repository=${agent.repository}`, '--set', `agent.image.tag=${agent.tag}`,
    '--set', `watchNamespaces={${o.watchNamespace}}`, '--set', 'namespaces.create=true',
    '--set', 'namespaces.labels.pod-security\\.kubernetes\\.io/enforce=privileged',
    ...(o.identityMap
      ? ['--set', 'identityMap.enabled=true', '--set', `identityMap.nats.url=${o.identityMap.natsUrl}`, '--set', `identityMap.podCIDRs={${o.identityMap.podCidrs.join(',')}}`]
      : []),
  ], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`helm install failed (${r.status}): ${(r.stderr || r.stdout).trim()}`);
}

export function uninstallChart(c: DemoCluster, helm: string): void {
  spawnSync(helm, ['uninstall', RELEASE, '-n', RELEASE_NAMESPACE, '--kubeconfig', c.handle.kubeconfigPath, '--wait'], { stdio: 'ignore' });
}

/** `kubectl get pods -o wide` over the demo's namespaces, as a user would look. */
export function podsWide(c: DemoCluster, namespaces: string[]): string {
  if (!c.handle.kubectl) return '(no kubectl)';
  return namespaces.map((ns) => spawnSync(c.handle.kubectl!, ['--kubeconfig', c.handle.kubeconfigPath, 'get', 'pods', '-n', ns, '-o', 'wide'], { encoding: 'utf8' }).stdout.trimEnd()).join('\n');
}

/** The host view of a real node: its namespace (where the agent's host network is) and address. */
export function nodeHost(n: RealNode): DemoHost {
  return { node: n.name, netns: n.netns, address: n.address };
}

/**
 * Deletes the policy and waits for its pods to be gone: the kubelets send SIGTERM and each agent
 * flushes its live flows (end reason "shutdown") before it exits. Returns how long that took.
 */
export async function deletePolicyAndWait(c: DemoCluster, namespace: string, policy: string, dsName: string, timeoutMs = 90_000): Promise<number> {
  const t0 = Date.now();
  await c.kube.raw('DELETE', `/apis/${API_VERSION}/namespaces/${namespace}/${PLURAL}/${policy}`);
  await c.harness.waitFor(`the agent pods of ${policy} to be gone`, async () => {
    const pods = await c.kube.get<{ items: Array<{ metadata: { ownerReferences?: Array<{ kind: string; name: string }> } }> }>(`/api/v1/namespaces/${namespace}/pods`);
    return !pods.items.some((p) => p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet' && o.name === dsName));
  }, { timeoutMs });
  return Date.now() - t0;
}
