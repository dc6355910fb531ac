// SnifferPolicies in the test cluster: create/update/delete through the API server (as kubectl
// would) and wait for what the operator reports in status.
import { expect } from 'vitest';
import { API_VERSION, KIND, PLURAL } from '../../../operator/api/policy.js';
import { until } from './cluster.js';
import type { KubeApi } from './kube-api.js';

export const CAPTURE_NODES = { matchLabels: { 'tapline.dev/capture': 'true' } };

export function afpacketSpec(o: { interfaces?: string[]; nodeSelector?: unknown; metricsPort?: number; snaplen?: number } = {}) {
  return {
    nodeSelector: o.nodeSelector ?? CAPTURE_NODES,
    capture: { backend: 'afpacket', interfaces: o.interfaces ?? ['eth0'], ...(o.snaplen ? { snaplen: o.snaplen } : {}) },
    export: { natsUrl: 'nats://nats.nats.svc:4222' },
    ...(o.metricsPort ? { metricsPort: o.metricsPort } : {}),
  };
}

export const policyPath = (ns: string, name = '') => `/apis/${API_VERSION}/namespaces/${ns}/${PLURAL}${name ? `/${name}` : ''}`;

/** Server-side apply of a policy as a user would (`kubectl apply --server-side`). */
export async function applyPolicy(api: KubeApi, ns: string, name: string, spec: unknown): Promise<any> {
  const r = await api.request(
    'PATCH',
    `${policyPath(ns, name)}?fieldManager=kubectl&force=true`,
    { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace: ns }, spec },
    { contentType: 'application/apply-patch+yaml' },
  );
  expect([200, 201], JSON.stringify(r.body)).toContain(r.status);
  return r.body;
}

export async function getPolicy(api: KubeApi, ns: string, name: string): Promise<any> {
  const r = await api.request('GET', policyPath(ns, name));
  return r.status === 200 ? r.body : undefined;
}

export function condition(policy: any, type: string): any {
  return (policy?.status?.conditions ?? []).find((c: any) => c.type === type);
}

/** Waits until the policy's status satisfies `pred` (and returns the policy). */
export function waitForPolicy(api: KubeApi, ns: string, name: string, what: string, pred: (p: any) => boolean, timeoutMs = 90_000): Promise<any> {
  let last: any;
  return until(
    `${ns}/${name}: ${what}`,
    async () => {
      const p = await getPolicy(api, ns, name);
      last = p;
      return p && pred(p) ? p : undefined;
    },
    timeoutMs,
  ).catch((e: Error) => {
    throw new Error(`${e.message}; last seen: generation ${last?.metadata?.generation}, status ${JSON.stringify(last?.status)}`, { cause: e });
  });
}

/** Ready=True for the current generation with `nodes` desired, ready and updated. */
export function readyOn(nodes: number) {
  return (p: any) =>
    p.status?.observedGeneration === p.metadata.generation &&
    condition(p, 'Ready')?.status === 'True' &&
    condition(p, 'Ready')?.observedGeneration === p.metadata.generation &&
    p.status.desiredNodes === nodes &&
    p.status.readyNodes === nodes &&
    p.status.updatedNodes === nodes;
}

export async function deletePolicies(api: KubeApi, ns: string): Promise<void> {
  await api.request('DELETE', policyPath(ns));
  await until(`policies in ${ns} to be gone`, async () => {
    const r = await api.request('GET', policyPath(ns));
    return r.status === 200 && r.body.items.length === 0 ? true : undefined;
  }, 60_000);
}

export async function setNodeLabel(api: KubeApi, node: string, key: string, value: string | null): Promise<void> {
  const r = await api.request('PATCH', `/api/v1/nodes/${node}`, { metadata: { labels: { [key]: value } } }, { contentType: 'application/merge-patch+json' });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}
