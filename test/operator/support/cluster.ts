// Which cluster the API-server tests use: TAPLINE_CLUSTER_KUBECONFIG, or the one the vitest
// global setup test/cluster/global-setup.ts provides (inject('cluster')). None: the tests skip.
import { inject } from 'vitest';

export function clusterKubeconfig(): string | undefined {
  if (process.env.TAPLINE_CLUSTER_KUBECONFIG) return process.env.TAPLINE_CLUSTER_KUBECONFIG;
  try {
    return (inject('cluster') as { kubeconfigPath?: string } | undefined)?.kubeconfigPath;
  } catch {
    return undefined;
  }
}

/** The etcd client URL of the cluster the global setup started (none for TAPLINE_CLUSTER_KUBECONFIG). */
export function clusterEtcdUrl(): string | undefined {
  if (process.env.TAPLINE_CLUSTER_KUBECONFIG) return undefined;
  try {
    const port = (inject('cluster') as { ports?: { etcd?: number } } | undefined)?.ports?.etcd;
    return port ? `http://127.0.0.1:${port}` : undefined;
  } catch {
    return undefined;
  }
}

export const SKIP_REASON = 'skipped: needs a cluster (set TAPLINE_CLUSTER_KUBECONFIG, or run in the cluster vitest project)';

export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
