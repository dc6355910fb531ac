// The fields of Pods, Services, EndpointSlices, Nodes, ReplicaSets, Jobs and ServiceCIDRs the
// identity map is made from. Plain (stripping) objects: the informers keep only these fields, so
// a cluster's worth of pods costs little memory.
import { z } from 'zod';

const OwnerSchema = z.object({ kind: z.string(), name: z.string(), uid: z.string(), controller: z.boolean().optional() });

const MetaSchema = z.object({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string(),
  resourceVersion: z.string(),
  creationTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  ownerReferences: z.array(OwnerSchema).optional(),
});

const ip = z.object({ ip: z.string() });
const terminated = z.object({ terminated: z.object({ finishedAt: z.string().nullish() }).nullish() }).nullish();

export const IdentityPodSchema = z.object({
  metadata: MetaSchema,
  spec: z.object({ nodeName: z.string().optional(), hostNetwork: z.boolean().optional() }),
  status: z
    .object({
      phase: z.string().optional(),
      podIP: z.string().optional(),
      podIPs: z.array(ip).optional(),
      startTime: z.string().optional(),
      conditions: z.array(z.object({ type: z.string(), status: z.string(), lastTransitionTime: z.string().nullish() })).optional(),
      containerStatuses: z.array(z.object({ state: terminated })).optional(),
    })
    .optional(),
});

export const IdentityServiceSchema = z.object({
  metadata: MetaSchema,
  spec: z.object({ clusterIP: z.string().optional(), clusterIPs: z.array(z.string()).optional() }).optional(),
});

export const IdentityEndpointSliceSchema = z.object({
  metadata: MetaSchema,
  addressType: z.string(),
  endpoints: z
    .array(z.object({ addresses: z.array(z.string()), targetRef: z.object({ kind: z.string().optional(), name: z.string().optional() }).optional() }))
    .nullish(),
});

export const IdentityNodeSchema = z.object({
  metadata: MetaSchema,
  spec: z.object({ podCIDR: z.string().optional(), podCIDRs: z.array(z.string()).optional() }).optional(),
  status: z.object({ addresses: z.array(z.object({ type: z.string(), address: z.string() })).optional() }).optional(),
});

/** ReplicaSets and Jobs: only who owns them. */
export const IdentityOwnedSchema = z.object({ metadata: MetaSchema });

export const IdentityServiceCidrSchema = z.object({ metadata: MetaSchema, spec: z.object({ cidrs: z.array(z.string()).optional() }).optional() });

export type IdentityPod = z.output<typeof IdentityPodSchema>;
export type IdentityService = z.output<typeof IdentityServiceSchema>;
export type IdentityEndpointSlice = z.output<typeof IdentityEndpointSliceSchema>;
export type IdentityNode = z.output<typeof IdentityNodeSchema>;
export type IdentityOwned = z.output<typeof IdentityOwnedSchema>;
export type IdentityServiceCidr = z.output<typeof IdentityServiceCidrSchema>;
