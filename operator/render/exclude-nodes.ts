// Keeps a DaemonSet's pods off named nodes (where the policy lost a device to an older policy):
// one `metadata.name NotIn [node]` matchFields requirement per node (the API server allows a
// single value per field requirement), ANDed into the one node selector term. The DaemonSet
// controller and the scheduler honour matchFields on metadata.name. Pure; an empty list returns
// the DaemonSet unchanged.
import type { DaemonSet, NodeSelectorRequirement } from './types.js';

export function excludeNodes(ds: DaemonSet, nodeNames: readonly string[]): DaemonSet {
  if (!nodeNames.length) return ds;
  const notIn: NodeSelectorRequirement[] = [...nodeNames].sort().map((n) => ({ key: 'metadata.name', operator: 'NotIn', values: [n] }));
  const pod = ds.spec.template.spec;
  const term = pod.affinity?.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0] ?? {};
  const affinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ ...term, matchFields: [...(term.matchFields ?? []), ...notIn] }],
      },
    },
  };
  return { ...ds, spec: { ...ds.spec, template: { ...ds.spec.template, spec: { ...pod, affinity } } } };
}
