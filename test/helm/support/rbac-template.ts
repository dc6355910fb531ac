// The chart's RBAC template (charts/tapline/templates/rbac.yaml), written from operator/rbac.ts:
// the same rules in the same order, each with its reason as a comment. rbac.test.ts holds the file
// equal to this text and the rendered objects' rules equal to operator/rbac.ts; after a change to
// operator/rbac.ts regenerate with
//   TAPLINE_UPDATE_GOLDEN=1 npx vitest run test/helm/rbac.test.ts
import { CLUSTER_ROLE_RULES, IDENTITY_MAP_RULES, LEADER_ELECTION_RULES, type DocumentedRule } from '../../../operator/rbac.js';

const list = (xs: readonly string[]): string => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;

/** Wraps a comment at about 100 columns, each line "<indent># ...". */
function comment(text: string, indent: string): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && indent.length + 2 + line.length + 1 + word.length > 100) {
      out.push(`${indent}# ${line}`);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(`${indent}# ${line}`);
  return out;
}

function rules(rs: readonly DocumentedRule[]): string[] {
  return rs.flatMap((r) => [
    ...comment(r.comment, '  '),
    `  - apiGroups: ${list(r.apiGroups)}`,
    `    resources: ${list(r.resources)}`,
    ...(r.resourceNames ? [`    resourceNames: ${list(r.resourceNames)}`] : []),
    `    verbs: ${list(r.verbs)}`,
  ]);
}

const META = (kind: string, namespaced: boolean, suffix = kind.startsWith('Cluster') ? 'operator' : 'leader-election'): string[] => [
  'apiVersion: rbac.authorization.k8s.io/v1',
  `kind: ${kind}`,
  'metadata:',
  `  name: {{ include "tapline.fullname" . }}-${suffix}`,
  ...(namespaced ? ['  namespace: {{ .Release.Namespace }}'] : []),
  '  labels:',
  '    {{- include "tapline.labels" . | nindent 4 }}',
];

const SUBJECT = [
  'subjects:',
  '  - kind: ServiceAccount',
  '    name: {{ include "tapline.serviceAccountName" . }}',
  '    namespace: {{ .Release.Namespace }}',
];

export function rbacTemplate(): string {
  return [
    '{{- if .Values.rbac.create }}',
    '# Generated from operator/rbac.ts (test/helm/support/rbac-template.ts); do not edit by hand.',
    '# Least privilege: no wildcards, no delete (the garbage collector removes what a policy owned),',
    '# no Secrets, Pods read only; subresources (/status, /finalizers) in rules of their own.',
    '#',
    '# What the operator reads and writes in every namespace (it watches policies cluster-wide, to',
    '# report on a policy outside watchNamespaces), and nodes, which are cluster-scoped.',
    ...META('ClusterRole', false),
    'rules:',
    ...rules(CLUSTER_ROLE_RULES),
    '---',
    ...META('ClusterRoleBinding', false),
    'roleRef:',
    '  apiGroup: rbac.authorization.k8s.io',
    '  kind: ClusterRole',
    '  name: {{ include "tapline.fullname" . }}-operator',
    ...SUBJECT,
    '{{- if .Values.identityMap.enabled }}',
    '---',
    '# The identity map (identityMap.enabled): what a cluster address can belong to, read only, in',
    '# every namespace, watched once by the operator so that no agent watches the API server.',
    ...META('ClusterRole', false, 'identity-map'),
    'rules:',
    ...rules(IDENTITY_MAP_RULES),
    '---',
    ...META('ClusterRoleBinding', false, 'identity-map'),
    'roleRef:',
    '  apiGroup: rbac.authorization.k8s.io',
    '  kind: ClusterRole',
    '  name: {{ include "tapline.fullname" . }}-identity-map',
    ...SUBJECT,
    '{{- end }}',
    '---',
    '# Leader election, in the release namespace: the one Lease the replicas compete for.',
    ...META('Role', true),
    'rules:',
    ...rules(LEADER_ELECTION_RULES),
    '---',
    ...META('RoleBinding', true),
    'roleRef:',
    '  apiGroup: rbac.authorization.k8s.io',
    '  kind: Role',
    '  name: {{ include "tapline.fullname" . }}-leader-election',
    ...SUBJECT,
    '{{- end }}',
    '',
  ].join('\n');
}
