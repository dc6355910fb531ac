// Labels of everything rendered for a policy (app.kubernetes.io/* recommended labels).
import type { PolicyMetadata } from '../api/policy.js';
import type { OperatorSettings } from './settings.js';
import { policyLabelValue } from './names.js';

export const AGENT_APP_NAME = 'tapline-agent';

/** The DaemonSet's selector: immutable, so only what identifies the policy. */
export function selectorLabels(meta: Pick<PolicyMetadata, 'name'>): Record<string, string> {
  return {
    'app.kubernetes.io/name': AGENT_APP_NAME,
    'app.kubernetes.io/instance': policyLabelValue(meta.name),
  };
}

export function agentLabels(meta: Pick<PolicyMetadata, 'name'>, settings: Pick<OperatorSettings, 'managedBy'>): Record<string, string> {
  return {
    ...selectorLabels(meta),
    'app.kubernetes.io/component': 'capture-agent',
    'app.kubernetes.io/part-of': 'tapline',
    'app.kubernetes.io/managed-by': settings.managedBy,
  };
}
