// The exact RBAC the operator needs, least privilege: no wildcards, no delete (children are
// removed by the garbage collector through owner references), no Secrets, Pods read only. The Helm chart
// (charts/tapline) renders its ClusterRole and leader-election Role from these lists, and the
// tests on the real API server run the operator with credentials bound to exactly these rules.
//
// Two objects:
//   - a ClusterRole (bound with a ClusterRoleBinding): policies and their children in every
//     namespace, because the operator watches policies cluster-wide (it reports a condition on a
//     policy outside its --watch-namespaces) and nodes are cluster-scoped;
//   - a Role in the lease namespace (bound with a RoleBinding): the leader-election Lease.
import { GROUP, PLURAL } from './api/policy.js';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** A rule with the reason it is needed (the chart writes it as a YAML comment above the rule). */
export interface DocumentedRule extends PolicyRule {
  comment: string;
}

/** Name of the leader-election Lease (in the lease namespace, --lease-namespace). */
export const LEADER_LEASE_NAME = 'tapline-operator-leader';

/** The ClusterRole: what the reconciler reads and writes. */
export const CLUSTER_ROLE_RULES: readonly DocumentedRule[] = [
  {
    comment: 'Read SnifferPolicies: the informer lists and watches them in every namespace.',
    apiGroups: [GROUP],
    resources: [PLURAL],
    verbs: ['get', 'list', 'watch'],
  },
  {
    comment: 'Write the status subresource only (server-side apply of status); the spec is never written.',
    apiGroups: [GROUP],
    resources: [`${PLURAL}/status`],
    verbs: ['patch'],
  },
  {
    comment:
      'Owner references with blockOwnerDeletion on the children need update on the owner\'s finalizers ' +
      'subresource where the OwnerReferencesPermissionEnforcement admission plugin is on (OpenShift, hardened clusters). ' +
      'The operator never adds a finalizer.',
    apiGroups: [GROUP],
    resources: [`${PLURAL}/finalizers`],
    verbs: ['update'],
  },
  {
    comment:
      'The agent ConfigMap and ServiceAccount of each policy: watched (label-selected) to repair drift and ' +
      'written by server-side apply (PATCH; the API server also checks create when the apply creates the object). ' +
      'No delete: owner references let the garbage collector remove them.',
    apiGroups: [''],
    resources: ['configmaps', 'serviceaccounts'],
    verbs: ['list', 'watch', 'create', 'patch'],
  },
  {
    comment:
      'The agent DaemonSet of each policy: watched for its rollout status (node counts) and written by ' +
      'server-side apply (PATCH, plus create for the first apply). No delete, as above.',
    apiGroups: ['apps'],
    resources: ['daemonsets'],
    verbs: ['list', 'watch', 'create', 'patch'],
  },
  {
    comment:
      'Nodes, read only: which nodes a policy selects (labels, taints), to find two policies claiming one interface on one node.',
    apiGroups: [''],
    resources: ['nodes'],
    verbs: ['list', 'watch'],
  },
  {
    comment:
      'Agent pods, read only (label-selected): their container states (waiting reason, last termination message) ' +
      'and scheduling make the policy Degraded (AgentFailing) with the node and the reason when an agent cannot start. ' +
      'Never written, never deleted, no exec or logs.',
    apiGroups: [''],
    resources: ['pods'],
    verbs: ['get', 'list', 'watch'],
  },
  {
    comment:
      'Kubernetes Events (events.k8s.io/v1) on the policies, in the policy\'s namespace: create one per transition ' +
      '(Deployed, Ready, InterfaceConflict, InvalidSpec, ReconcileError...) and patch its series when it repeats. ' +
      'Never read back, never deleted (the API server expires them).',
    apiGroups: ['events.k8s.io'],
    resources: ['events'],
    verbs: ['create', 'patch'],
  },
];

/**
 * A second ClusterRole, bound only when the operator writes the identity map (--identity-map-nats,
 * Helm identityMap.enabled): the objects an address can belong to, read only, in every namespace.
 * Pods and nodes are already readable with the first role.
 */
export const IDENTITY_MAP_RULES: readonly DocumentedRule[] = [
  {
    comment:
      'Identity map: Services (cluster IPs) and their EndpointSlices (which pods back them), watched once by the operator ' +
      'for the whole cluster so that no agent watches the API server. Read only.',
    apiGroups: ['', 'discovery.k8s.io'],
    resources: ['services', 'endpointslices'],
    verbs: ['list', 'watch'],
  },
  {
    comment: 'Identity map: ReplicaSets and Jobs, only for their owners (a pod of a ReplicaSet belongs to its Deployment, of a Job to its CronJob). Read only.',
    apiGroups: ['apps', 'batch'],
    resources: ['replicasets', 'jobs'],
    verbs: ['list', 'watch'],
  },
  {
    comment: 'Identity map: the cluster\'s service ranges (ServiceCIDRs), so that an unassigned service address is reported as in the cluster, not external. Read only.',
    apiGroups: ['networking.k8s.io'],
    resources: ['servicecidrs'],
    verbs: ['list', 'watch'],
  },
];

/** The Role in the lease namespace: leader election (coordination.k8s.io/v1 Lease). */
export const LEADER_ELECTION_RULES: readonly DocumentedRule[] = [
  {
    comment: 'Create the Lease the first time any replica runs (create cannot be limited by resourceNames).',
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    verbs: ['create'],
  },
  {
    comment: 'Read, acquire, renew and release the one leader Lease, and nothing else.',
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    verbs: ['get', 'update'],
    resourceNames: [LEADER_LEASE_NAME],
  },
];

/** The rules without their comments, as they go into a ClusterRole/Role object. */
export function plainRules(rules: readonly DocumentedRule[]): PolicyRule[] {
  return rules.map(({ comment: _comment, ...rule }) => ({
    ...rule,
    apiGroups: [...rule.apiGroups],
    resources: [...rule.resources],
    verbs: [...rule.verbs],
    ...(rule.resourceNames ? { resourceNames: [...rule.resourceNames] } : {}),
  }));
}

export function clusterRole(name: string) {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name },
    rules: plainRules(CLUSTER_ROLE_RULES),
  };
}

export function identityMapRole(name: string) {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name },
    rules: plainRules(IDENTITY_MAP_RULES),
  };
}

export function leaderElectionRole(name: string, namespace: string) {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name, namespace },
    rules: plainRules(LEADER_ELECTION_RULES),
  };
}
