// A pod's workload: its controller's top owner. Deployments are found through their ReplicaSet and
// CronJobs through their Job (the operator watches ReplicaSets and Jobs for their owners); any
// other controller is named by its own kind, and a pod without one is its own workload. An owner
// the operator has not seen yet is named as the pod names it, never guessed from name patterns.
import type { Workload } from '../../agent/index.js';
import type { IdentityOwned, IdentityPod } from './objects.js';

type Owner = NonNullable<IdentityPod['metadata']['ownerReferences']>[number];

export function controllerOf(o: { metadata: { ownerReferences?: Owner[] | undefined } }): Owner | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller) ?? o.metadata.ownerReferences?.[0];
}

/** `namespace/Kind/name`: the key ReplicaSets and Jobs are kept under. */
export const ownerKey = (namespace: string, kind: string, name: string): string => `${namespace}/${kind}/${name}`;

/** Kinds whose own controller is the workload users know (ReplicaSet -> Deployment, Job -> CronJob). */
export const INTERMEDIATE_KINDS = new Set(['ReplicaSet', 'Job']);

export function workloadOf(pod: IdentityPod, owned: (key: string) => IdentityOwned | undefined): Workload {
  const ns = pod.metadata.namespace ?? '';
  const c = controllerOf(pod);
  if (!c) return { kind: 'Pod', name: pod.metadata.name };
  if (!INTERMEDIATE_KINDS.has(c.kind)) return { kind: c.kind, name: c.name };
  const parent = owned(ownerKey(ns, c.kind, c.name));
  const top = parent ? controllerOf(parent) : undefined;
  return top ? { kind: top.kind, name: top.name } : { kind: c.kind, name: c.name };
}
