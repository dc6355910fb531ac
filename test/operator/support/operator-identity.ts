// Credentials for the operator under test bound to EXACTLY operator/rbac.ts: a ServiceAccount, a
// ClusterRole + ClusterRoleBinding with CLUSTER_ROLE_RULES, a Role + RoleBinding with
// LEADER_ELECTION_RULES in the lease namespace, and a token minted with the TokenRequest API,
// written into a kubeconfig. What the operator does in these tests, it does with these rules.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clusterRole, identityMapRole, leaderElectionRole } from '../../../operator/rbac.js';
import type { KubeApi } from './kube-api.js';

export const OPERATOR_NAMESPACE = 'tapline-system';
const ROLE = 'tapline-operator-test';

async function must(api: KubeApi, method: string, urlPath: string, body: unknown, ok = [200, 201]) {
  const r = await api.request(method, urlPath, body, method === 'PATCH' ? { contentType: 'application/apply-patch+yaml' } : {});
  if (!ok.includes(r.status)) throw new Error(`${method} ${urlPath}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

const apply = (api: KubeApi, urlPath: string, obj: unknown) => must(api, 'PATCH', `${urlPath}?fieldManager=tapline-tests&force=true`, obj);

export async function ensureNamespace(api: KubeApi, name: string): Promise<void> {
  await apply(api, `/api/v1/namespaces/${name}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

/** Creates the identity and returns a kubeconfig path for it (token valid for an hour). */
export async function operatorKubeconfig(
  api: KubeApi,
  cluster: { server: string; caFile: string },
  o: { serviceAccount: string; leaseNamespace: string; /** Also bind operator/rbac.ts IDENTITY_MAP_RULES (the operator writes the identity map). */ identityMap?: boolean },
): Promise<string> {
  await ensureNamespace(api, OPERATOR_NAMESPACE);
  await ensureNamespace(api, o.leaseNamespace);
  const sa = o.serviceAccount;
  await apply(api, `/api/v1/namespaces/${OPERATOR_NAMESPACE}/serviceaccounts/${sa}`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: sa, namespace: OPERATOR_NAMESPACE },
  });
  await apply(api, `/apis/rbac.authorization.k8s.io/v1/clusterroles/${ROLE}`, clusterRole(ROLE));
  const subject = [{ kind: 'ServiceAccount', name: sa, namespace: OPERATOR_NAMESPACE }];
  await apply(api, `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${ROLE}-${sa}`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `${ROLE}-${sa}` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: ROLE },
    subjects: subject,
  });
  if (o.identityMap) {
    const role = `${ROLE}-identity-map`;
    await apply(api, `/apis/rbac.authorization.k8s.io/v1/clusterroles/${role}`, identityMapRole(role));
    await apply(api, `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${role}-${sa}`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `${role}-${sa}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: subject,
    });
  }
  await apply(api, `/apis/rbac.authorization.k8s.io/v1/namespaces/${o.leaseNamespace}/roles/${ROLE}`, leaderElectionRole(ROLE, o.leaseNamespace));
  await apply(api, `/apis/rbac.authorization.k8s.io/v1/namespaces/${o.leaseNamespace}/rolebindings/${ROLE}-${sa}`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: `${ROLE}-${sa}`, namespace: o.leaseNamespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: ROLE },
    subjects: subject,
  });
  const tr = await must(api, 'POST', `/api/v1/namespaces/${OPERATOR_NAMESPACE}/serviceaccounts/${sa}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 3600 },
  });
  return writeTokenKubeconfig(
    { server: cluster.server, ca: readFileSync(cluster.caFile) },
    sa,
    (tr as { status: { token: string } }).status.token,
    OPERATOR_NAMESPACE,
  );
}

/** A kubeconfig (in a new temporary directory) for `server` and its CA, authenticating as `user` with a bearer token. */
export function writeTokenKubeconfig(cluster: { server: string; ca: Buffer }, user: string, token: string, namespace?: string): string {
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'operator',
    clusters: [{ name: 'test', cluster: { server: cluster.server, 'certificate-authority-data': cluster.ca.toString('base64') } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: 'operator', context: { cluster: 'test', user, ...(namespace ? { namespace } : {}) } }],
  };
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'tapline-op-')), 'kubeconfig');
  writeFileSync(file, JSON.stringify(kubeconfig, null, 2), { mode: 0o600 });
  return file;
}

/** Whether the operator's ServiceAccount may do `verb` on `resource` (SubjectAccessReview, asked as admin). */
export async function mayDo(
  api: KubeApi,
  serviceAccount: string,
  a: { verb: string; resource: string; group?: string; namespace?: string; subresource?: string; name?: string },
): Promise<boolean> {
  const r = await must(api, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: `system:serviceaccount:${OPERATOR_NAMESPACE}:${serviceAccount}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${OPERATOR_NAMESPACE}`, 'system:authenticated'],
      resourceAttributes: { verb: a.verb, resource: a.resource, group: a.group ?? '', namespace: a.namespace ?? '', subresource: a.subresource ?? '', name: a.name ?? '' },
    },
  });
  return Boolean((r as { status?: { allowed?: boolean } }).status?.allowed);
}
