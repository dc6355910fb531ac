// The SnifferPolicy resource: identity (group, version, names) and the schema of a whole object
// as the operator reads it from the API server.
import { z } from 'zod';
import { InvalidPolicyError, toPolicyIssues } from './errors.js';
import { SnifferPolicySpecSchema, type SnifferPolicySpec, type SnifferPolicySpecInput } from './spec.js';
import { SnifferPolicyStatusSchema, type SnifferPolicyStatus } from './status.js';

export const GROUP = 'tapline.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}` as const;
export const KIND = 'SnifferPolicy';
export const LIST_KIND = 'SnifferPolicyList';
export const PLURAL = 'snifferpolicies';
export const SINGULAR = 'snifferpolicy';
export const SHORT_NAMES = ['sp', 'sniff'];
export const CATEGORIES = ['tapline'];
export const CRD_NAME = `${PLURAL}.${GROUP}`;

/** The metadata the operator relies on; the rest of ObjectMeta passes through. */
export const PolicyMetadataSchema = z.looseObject({
  name: z.string().min(1).max(253),
  namespace: z.string().min(1).max(63),
  uid: z.string().min(1),
  generation: z.int().min(0).optional(),
  resourceVersion: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

export const SnifferPolicySchema = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(KIND),
  metadata: PolicyMetadataSchema,
  spec: SnifferPolicySpecSchema,
  status: SnifferPolicyStatusSchema.optional(),
});

export type SnifferPolicy = z.output<typeof SnifferPolicySchema>;
export type PolicyMetadata = z.output<typeof PolicyMetadataSchema>;
export type { SnifferPolicySpec, SnifferPolicySpecInput, SnifferPolicyStatus };

/** Parses a SnifferPolicy object (defaults applied); throws InvalidPolicyError naming each bad field. */
export function parsePolicy(obj: unknown): SnifferPolicy {
  const r = SnifferPolicySchema.safeParse(obj);
  if (r.success) return r.data;
  const meta = (obj as { metadata?: { namespace?: unknown; name?: unknown } } | null)?.metadata;
  const what = `${KIND} ${String(meta?.namespace ?? '?')}/${String(meta?.name ?? '?')}`;
  throw new InvalidPolicyError(what, toPolicyIssues(r.error), { cause: r.error });
}

/** Parses a spec alone (defaults applied); issue paths start at "spec". */
export function parseSpec(spec: unknown): SnifferPolicySpec {
  const r = SnifferPolicySpecSchema.safeParse(spec);
  if (r.success) return r.data;
  throw new InvalidPolicyError(`${KIND} spec`, toPolicyIssues(r.error, ['spec']), { cause: r.error });
}
