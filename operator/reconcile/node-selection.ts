// Which nodes a policy's agents run on, computed as the DaemonSet controller decides it: the
// node selector (kubernetes.io/os=linux plus matchLabels), the matchExpressions (required node
// affinity), and taints with effect NoSchedule/NoExecute that the tolerations do not tolerate.
import type { SnifferPolicySpec } from '../api/spec.js';
import type { ObservedNode, Taint } from './observed.js';

type Requirement = NonNullable<NonNullable<SnifferPolicySpec['nodeSelector']>['matchExpressions']>[number];
type Toleration = NonNullable<SnifferPolicySpec['tolerations']>[number];

function requirementHolds(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  switch (r.operator) {
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'In':
      return has && (r.values ?? []).includes(labels[r.key]!);
    case 'NotIn':
      return !has || !(r.values ?? []).includes(labels[r.key]!);
  }
}

function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key === undefined) return t.operator === 'Exists';
  if (t.key !== taint.key) return false;
  return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
}

// Tolerations the DaemonSet controller adds to every agent pod by itself (node lifecycle taints).
const DAEMONSET_TOLERATED: ReadonlyMap<string, Taint['effect']> = new Map([
  ['node.kubernetes.io/not-ready', 'NoExecute'],
  ['node.kubernetes.io/unreachable', 'NoExecute'],
  ['node.kubernetes.io/disk-pressure', 'NoSchedule'],
  ['node.kubernetes.io/memory-pressure', 'NoSchedule'],
  ['node.kubernetes.io/pid-pressure', 'NoSchedule'],
  ['node.kubernetes.io/unschedulable', 'NoSchedule'],
  ['node.kubernetes.io/network-unavailable', 'NoSchedule'],
]);

export function selectsNode(spec: Pick<SnifferPolicySpec, 'nodeSelector' | 'tolerations'>, node: ObservedNode): boolean {
  const labels = node.metadata.labels ?? {};
  if (labels['kubernetes.io/os'] !== 'linux') return false;
  for (const [k, v] of Object.entries(spec.nodeSelector?.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const r of spec.nodeSelector?.matchExpressions ?? []) if (!requirementHolds(r, labels)) return false;
  for (const taint of node.spec?.taints ?? []) {
    if (taint.effect === 'PreferNoSchedule' || DAEMONSET_TOLERATED.get(taint.key) === taint.effect) continue;
    if (!(spec.tolerations ?? []).some((t) => tolerates(t, taint))) return false;
  }
  return true;
}
