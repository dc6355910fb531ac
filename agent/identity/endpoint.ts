// What an address was when a flow started, in Kubernetes terms: the `src` / `dst` of a
// flow-record.v2 (agent/schemas/flow-record.v2.json, `$defs.endpoint`).
import { z } from 'zod';

export const ENDPOINT_KINDS = ['pod', 'node', 'service', 'external', 'unknown'] as const;
export type EndpointKind = (typeof ENDPOINT_KINDS)[number];

export const WorkloadSchema = z.strictObject({ kind: z.string().min(1), name: z.string().min(1) });

export const EndpointSchema = z.strictObject({
  kind: z.enum(ENDPOINT_KINDS),
  namespace: z.string().min(1).optional(),
  pod: z.string().min(1).optional(),
  workload: WorkloadSchema.optional(),
  node: z.string().min(1).optional(),
  /** `namespace/name`. */
  service: z.string().regex(/^[^/]+\/[^/]+$/).optional(),
});

export type Endpoint = z.output<typeof EndpointSchema>;
export type Workload = z.output<typeof WorkloadSchema>;
