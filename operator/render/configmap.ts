// The ConfigMap holding the agent config JSON.
import { AGENT_CONFIG_KEY } from '../../agent/index.js';
import type { PolicyMetadata } from '../api/policy.js';
import { agentResourceName } from './names.js';
import { ownedMetadata } from './owner.js';
import type { OperatorSettings } from './settings.js';
import type { ConfigMap } from './types.js';

export function renderConfigMap(meta: PolicyMetadata, settings: OperatorSettings, configJson: string): ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: ownedMetadata(agentResourceName(meta.name), meta, settings),
    data: { [AGENT_CONFIG_KEY]: configJson },
  };
}
