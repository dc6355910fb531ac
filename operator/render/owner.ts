// Owner references: every rendered object is owned by (and garbage-collected with) its policy.
import { API_VERSION, KIND, type PolicyMetadata } from '../api/policy.js';
import type { ObjectMeta, OwnerReference } from './types.js';
import type { OperatorSettings } from './settings.js';
import { agentLabels } from './labels.js';

export function ownerReference(meta: Pick<PolicyMetadata, 'name' | 'uid'>): OwnerReference {
  return { apiVersion: API_VERSION, kind: KIND, name: meta.name, uid: meta.uid, controller: true, blockOwnerDeletion: true };
}

/** metadata of an object rendered for a policy: name, the policy's namespace, labels, owner. */
export function ownedMetadata(name: string, meta: PolicyMetadata, settings: OperatorSettings): ObjectMeta {
  return { name, namespace: meta.namespace, labels: agentLabels(meta, settings), ownerReferences: [ownerReference(meta)] };
}
