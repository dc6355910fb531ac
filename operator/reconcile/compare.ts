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

/** JSON with object keys sorted: equal values give equal text whatever order their keys came in. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

export function objectHash(obj: unknown): string {
  return createHash('sha256').update(canonicalJson(obj)).digest('hex').slice(0, 16);
}

/** The desired object with its own hash as an annotation. */
export function withAppliedHash<T extends { metadata: { annotations?: Record<string, string> } }>(obj: T): T {
  const hash = objectHash(obj);
  return { ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata.annotations, [APPLIED_HASH_ANNOTATION]: hash } } };
}

/** The desired object without apiVersion and kind: items of a list response carry neither. */
function body(desired: object): object {
  const { apiVersion: _v, kind: _k, ...rest } = desired as Record<string, unknown>;
  return rest;
}

export function isUpToDate(desired: { metadata: { annotations?: Record<string, string> } }, observed: unknown): boolean {
  if (observed === undefined) return false;
  const want = desired.metadata.annotations?.[APPLIED_HASH_ANNOTATION];
  const have = (observed as { metadata?: { annotations?: Record<string, string> } }).metadata?.annotations?.[APPLIED_HASH_ANNOTATION];
  return want === have && isSubset(body(desired), observed);
}

/** For the log: why an observed object is not as desired (the first differing path). */
export function whyApply(desired: unknown, observed: unknown, path = ''): string {
  if (path === '' && desired !== null && typeof desired === 'object') desired = body(desired);
  if (isSubset(desired, observed)) return 'up to date';
  if (Array.isArray(desired)) {
    if (!Array.isArray(observed) || observed.length !== desired.length) return `${path || '.'}: length`;
    const i = desired.findIndex((d, j) => !isSubset(d, observed[j]));
    return whyApply(desired[i], observed[i], `${path}[${i}]`);
  }
  if (desired !== null && typeof desired === 'object' && observed !== null && typeof observed === 'object') {
    const o = observed as Record<string, unknown>;
    const k = Object.keys(desired).find((key) => !isSubset((desired as Record<string, unknown>)[key], o[key]))!;
    return whyApply((desired as Record<string, unknown>)[k], o[k], `${path}.${k}`);
  }
  return `${path}: ${JSON.stringify(observed)?.slice(0, 80)} → ${JSON.stringify(desired)?.slice(0, 80)}`;
}
