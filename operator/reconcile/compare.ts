// "Is the observed object already as desired?" for server-side apply without a write: every field
// the operator sets must be present with the same value in the observed object (which also has
// defaults and fields of other managers). Lists must have the same length and match element-wise.
// A hash annotation of the desired object catches fields the operator stopped setting (which the
// subset test cannot see, and which an apply removes).
import { createHash } from 'node:crypto';

export const APPLIED_HASH_ANNOTATION = 'tapline.dev/applied-hash';

export function isSubset(desired: unknown, observed: unknown): boolean {
  if (desired === observed) return true;
  if (Array.isArray(desired)) {
    return Array.isArray(observed) && desired.length === observed.length && desired.every((d, i) => isSubset(d, observed[i]));
  }
  if (desired !== null && typeof desired === 'object') {
    if (observed === null || typeof observed !== 'object' || Array.isArray(observed)) return false;
    const o = observed as Record<string, unknown>;
    return Object.entries(desired as Record<string, unknown>).every(([k, v]) => v === undefined || isSubset(v, o[k]));
  }
  return false;
}

export function objectHash(obj: unknown): string {
  return createHash('sha256').update(JSON.stringify(obj)).digest('hex').slice(0, 16);
}

/** The desired object with its own hash as an annotation. */
export function withAppliedHash<T extends { metadata: { annotations?: Record<string, string> } }>(obj: T): T {
  const hash = objectHash(obj);
  return { ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata.annotations, [APPLIED_HASH_ANNOTATION]: hash } } };
}

export function isUpToDate(desired: { metadata: { annotations?: Record<string, string> } }, observed: unknown): boolean {
  if (observed === undefined) return false;
  const want = desired.metadata.annotations?.[APPLIED_HASH_ANNOTATION];
  const have = (observed as { metadata?: { annotations?: Record<string, string> } }).metadata?.annotations?.[APPLIED_HASH_ANNOTATION];
  return want === have && isSubset(desired, observed);
}
