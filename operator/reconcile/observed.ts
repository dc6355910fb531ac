// What the operator reads from the API server, parsed at the boundary. Loose objects: only the
// fields the reconciler uses are checked; the rest passes through. A policy's spec is kept raw
// here, so that a spec the API server accepted but the operator cannot use still reaches the
// reconciler and is reported in status (rather than being dropped by the informer).
import { z } from 'zod';
import { API_VERSION, KIND } from '../api/policy.js';

export const ObjectMetaSchema = z.looseObject({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string(),
  resourceVersion: z.string(),
  generation: z.int().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  ownerReferences: z
    .array(z.looseObject({ apiVersion: z.string(), kind: z.string(), name: z.string(), uid: z.string(), controller: z.boolean().optional() }))
    .optional(),
});
export type ObjectMeta = z.output<typeof ObjectMetaSchema>;

/** namespace/name, or name for cluster-scoped objects: the key of the caches and the work queue. */
export function keyOf(o: { metadata: { name: string; namespace?: string | undefined } }): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
}

const NamespacedMetaSchema = ObjectMetaSchema.extend({ namespace: z.string() });

export const ObservedPolicySchema = z.looseObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(KIND),
  metadata: NamespacedMetaSchema,
  spec: z.unknown(),
  status: z.looseObject({}).optional(),
});
export type ObservedPolicy = z.output<typeof ObservedPolicySchema>;

const count = z.int().min(0).optional();

export const ObservedDaemonSetSchema = z.looseObject({
  metadata: NamespacedMetaSchema,
  spec: z.looseObject({}),
  status: z
    .looseObject({
      observedGeneration: z.int().optional(),
      desiredNumberScheduled: count,
      currentNumberScheduled: count,
      numberReady: count,
      updatedNumberScheduled: count,
      numberAvailable: count,
      numberUnavailable: count,
    })
    .optional(),
});
export type ObservedDaemonSet = z.output<typeof ObservedDaemonSetSchema>;

/** ConfigMaps and ServiceAccounts: compared field by field with what is desired. */
export const ObservedObjectSchema = z.looseObject({ metadata: NamespacedMetaSchema });
export type ObservedObject = z.output<typeof ObservedObjectSchema>;

export const TaintSchema = z.looseObject({
  key: z.string(),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
});

export const ObservedNodeSchema = z.looseObject({
  metadata: ObjectMetaSchema,
  spec: z.looseObject({ taints: z.array(TaintSchema).optional() }).optional(),
});
export type ObservedNode = z.output<typeof ObservedNodeSchema>;
export type Taint = z.output<typeof TaintSchema>;

// Agent pods: only what the status needs is kept (a pod's managed fields and spec are large, and
// there is one pod per node per policy).
const ContainerStateSchema = z.object({
  waiting: z.object({ reason: z.string().optional(), message: z.string().optional() }).optional(),
  running: z.object({ startedAt: z.string().nullish() }).optional(),
  terminated: z
    .object({ exitCode: z.int(), signal: z.int().optional(), reason: z.string().optional(), message: z.string().optional() })
    .optional(),
});

const ContainerStatusSchema = z.object({
  name: z.string(),
  image: z.string().optional(),
  ready: z.boolean().optional(),
  restartCount: z.int().optional(),
  state: ContainerStateSchema.optional(),
  lastState: ContainerStateSchema.optional(),
});
export type ObservedContainerStatus = z.output<typeof ContainerStatusSchema>;

const NodeSelectorTermSchema = z.object({
  matchFields: z.array(z.object({ key: z.string(), operator: z.string(), values: z.array(z.string()).optional() })).optional(),
});

export const ObservedPodSchema = z.object({
  metadata: z.object({
    name: z.string(),
    namespace: z.string(),
    uid: z.string(),
    resourceVersion: z.string(),
    creationTimestamp: z.string().optional(),
    deletionTimestamp: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    ownerReferences: z
      .array(z.object({ apiVersion: z.string(), kind: z.string(), name: z.string(), uid: z.string(), controller: z.boolean().optional() }))
      .optional(),
  }),
  spec: z
    .object({
      nodeName: z.string().optional(),
      // DaemonSet pods name their node in a required node affinity term (metadata.name In [node])
      // until the scheduler binds them.
      affinity: z
        .object({
          nodeAffinity: z
            .object({ requiredDuringSchedulingIgnoredDuringExecution: z.object({ nodeSelectorTerms: z.array(NodeSelectorTermSchema) }).optional() })
            .optional(),
        })
        .optional(),
    })
    .optional(),
  status: z
    .object({
      phase: z.string().optional(),
      conditions: z
        .array(z.object({ type: z.string(), status: z.string(), reason: z.string().optional(), message: z.string().optional(), lastTransitionTime: z.string().nullish() }))
        .optional(),
      containerStatuses: z.array(ContainerStatusSchema).optional(),
    })
    .optional(),
});
export type ObservedPod = z.output<typeof ObservedPodSchema>;
