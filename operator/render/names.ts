// Deterministic names and label values for the objects of a policy: `tapline-<policy>`, a valid
// DNS-1123 label of at most 63 characters. A policy name that does not fit as it is (too long,
// or with dots) is cut and given a hash of the full name, so distinct policies never share names.
import { createHash } from 'node:crypto';

const MAX = 63;
const HASH_LEN = 8;

export function shortHash(s: string, len = HASH_LEN): string {
  return createHash('sha256').update(s).digest('hex').slice(0, len);
}

function fit(base: string, original: string, exact: boolean): string {
  if (exact && base.length <= MAX) return base;
  const head = base.slice(0, MAX - HASH_LEN - 1).replace(/[-.]+$/, '');
  return `${head}-${shortHash(original)}`;
}

/** Name of the ConfigMap, ServiceAccount and DaemonSet of a policy (one per kind, in its namespace). */
export function agentResourceName(policyName: string): string {
  const base = `tapline-${policyName.replace(/\./g, '-')}`;
  return fit(base, policyName, !policyName.includes('.'));
}

/** A label value naming the policy (label values are at most 63 characters). */
export function policyLabelValue(policyName: string): string {
  return fit(policyName, policyName, true);
}
