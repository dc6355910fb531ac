// Where a policy's agent pods are: the nodes of its DaemonSet's live pods, sorted.
import type { KubeApi } from './kube-api.js';

export async function agentPodNodes(api: KubeApi, namespace: string, policy: string): Promise<string[]> {
  const selector = encodeURIComponent(`app.kubernetes.io/instance=${policy}`);
  const pods = (await api.request('GET', `/api/v1/namespaces/${namespace}/pods?labelSelector=${selector}`)).body.items as Array<{
    metadata: { deletionTimestamp?: string };
    spec: { nodeName?: string };
  }>;
  return pods
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => p.spec.nodeName ?? '')
    .sort();
}
