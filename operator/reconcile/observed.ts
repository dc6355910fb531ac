// What the operator reads from the API server, parsed at the boundary. Loose objects: only the
// fields the reconciler uses are checked; the rest passes through. A policy's spec is kept raw
// here, so that a spec the API server accepted but the operator cannot use still reaches the
// reconciler and is reported in status (rather than being dropped by the informer).
import { z } from 'zod';
import { API_VERSION, KIND } from '../api/policy.js';
import { ObjectMetaSchema } from '../controller/informer.js';

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
