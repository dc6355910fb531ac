// Node pinning: the policy's label selector as a nodeSelector (matchLabels) plus required node
// affinity (matchExpressions), and its tolerations.
import type { SnifferPolicySpec } from '../api/spec.js';
import type { Affinity, NodeSelectorRequirement, Toleration } from './types.js';

export interface Placement {
  nodeSelector: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
}

export function placement(spec: SnifferPolicySpec): Placement {
  const sel = spec.nodeSelector ?? {};
  // The agent image is Linux-only.
  const nodeSelector: Record<string, string> = { 'kubernetes.io/os': 'linux', ...(sel.matchLabels ?? {}) };
  const expressions: NodeSelectorRequirement[] = (sel.matchExpressions ?? []).map((e) => ({
    key: e.key,
    operator: e.operator,
    ...(e.values ? { values: [...e.values] } : {}),
  }));
  return {
    nodeSelector,
    // One term: its expressions are ANDed, as a label selector's are.
    ...(expressions.length
      ? { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: expressions }] } } } }
      : {}),
    ...(spec.tolerations?.length ? { tolerations: spec.tolerations.map((t) => ({ ...t })) } : {}),
  };
}
