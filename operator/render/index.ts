// render: a policy and the operator's settings in, the desired objects out. Pure: no I/O, no
// clock, no randomness; the same input gives byte-identical objects.
import type { AgentConfig } from '../../agent/index.js';
import type { SnifferPolicy } from '../api/policy.js';
import { agentConfig, agentConfigJson, configHash } from './agent-config.js';
import { renderConfigMap } from './configmap.js';
import { renderDaemonSet } from './daemonset.js';
import { renderServiceAccount } from './service-account.js';
import type { OperatorSettings } from './settings.js';
import type { ConfigMap, DaemonSet, ServiceAccount } from './types.js';

export interface DesiredObjects {
  agentConfig: AgentConfig;
  configHash: string;
  configMap: ConfigMap;
  serviceAccount: ServiceAccount;
  daemonSet: DaemonSet;
}

/** Throws PrivilegedNotAllowedError or AgentConfigRefusedError (both terminal for this spec). */
export function renderPolicy(policy: SnifferPolicy, settings: OperatorSettings): DesiredObjects {
  const config = agentConfig(policy, settings.identityBucket);
  const json = agentConfigJson(config);
  const hash = configHash(json);
  return {
    agentConfig: config,
    configHash: hash,
    configMap: renderConfigMap(policy.metadata, settings, json),
    serviceAccount: renderServiceAccount(policy.metadata, settings),
    daemonSet: renderDaemonSet(policy, settings, hash),
  };
}

/** The objects in the order to apply them (the DaemonSet's references first). */
export function objectsInApplyOrder(d: DesiredObjects): [ConfigMap, ServiceAccount, DaemonSet] {
  return [d.configMap, d.serviceAccount, d.daemonSet];
}

export { OperatorSettingsSchema, type OperatorSettings, type OperatorSettingsInput } from './settings.js';
export { agentResourceName, policyLabelValue } from './names.js';
export { CONFIG_HASH_ANNOTATION } from './daemonset.js';
export { isAgentConfigRefusedError, isPrivilegedNotAllowedError } from './errors.js';
