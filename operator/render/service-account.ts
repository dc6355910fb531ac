// The agents' own ServiceAccount. The agent never calls the API server (config comes from a
// mounted ConfigMap, the node name from the downward API), so it gets no token and no RBAC; the
// account exists so that cluster policy (OpenShift SCCs, admission rules) can target the agents alone.
import type { PolicyMetadata } from '../api/policy.js';
import { agentResourceName } from './names.js';
import { ownedMetadata } from './owner.js';
import type { OperatorSettings } from './settings.js';
import type { ServiceAccount } from './types.js';

export function renderServiceAccount(meta: PolicyMetadata, settings: OperatorSettings): ServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: ownedMetadata(agentResourceName(meta.name), meta, settings),
    automountServiceAccountToken: false,
  };
}
