// REST paths and server-side apply for the objects the chart and examples/ contain.
import type { KubeApi } from '../../operator/support/kube-api.js';
import type { K8sObject } from './helm.js';

const RESOURCES: Record<string, { plural: string; namespaced: boolean }> = {
  'v1/Namespace': { plural: 'namespaces', namespaced: false },
  'v1/ServiceAccount': { plural: 'serviceaccounts', namespaced: true },
  'v1/Service': { plural: 'services', namespaced: true },
  'v1/ConfigMap': { plural: 'configmaps', namespaced: true },
  'apps/v1/Deployment': { plural: 'deployments', namespaced: true },
  'apps/v1/DaemonSet': { plural: 'daemonsets', namespaced: true },
  'policy/v1/PodDisruptionBudget': { plural: 'poddisruptionbudgets', namespaced: true },
  'rbac.authorization.k8s.io/v1/ClusterRole': { plural: 'clusterroles', namespaced: false },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { plural: 'clusterrolebindings', namespaced: false },
  'rbac.authorization.k8s.io/v1/Role': { plural: 'roles', namespaced: true },
  'rbac.authorization.k8s.io/v1/RoleBinding': { plural: 'rolebindings', namespaced: true },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': { plural: 'customresourcedefinitions', namespaced: false },
  'tapline.dev/v1alpha1/SnifferPolicy': { plural: 'snifferpolicies', namespaced: true },
};

/** The object's REST path (…/<plural>/<name>); its namespace, or `namespace` when it has none. */
export function objectPath(obj: K8sObject, namespace?: string): string {
  const r = RESOURCES[`${obj.apiVersion}/${obj.kind}`];
  if (!r) throw new Error(`no REST mapping for ${obj.apiVersion} ${obj.kind}`);
  const base = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  const ns = obj.metadata.namespace ?? namespace;
  if (r.namespaced && !ns) throw new Error(`${obj.kind} ${obj.metadata.name} needs a namespace`);
  return `${base}${r.namespaced ? `/namespaces/${ns}` : ''}/${r.plural}/${obj.metadata.name}`;
}

/** Server-side apply (PATCH application/apply-patch+yaml, strict field validation); throws unless 200/201. */
export async function serverSideApply(
  api: KubeApi, obj: K8sObject, { namespace, dryRun = false, fieldManager = 'tapline-helm-tests' }: { namespace?: string; dryRun?: boolean; fieldManager?: string } = {},
): Promise<K8sObject> {
  const q = `fieldManager=${fieldManager}&force=true&fieldValidation=Strict${dryRun ? '&dryRun=All' : ''}`;
  const body = namespace && !obj.metadata.namespace && RESOURCES[`${obj.apiVersion}/${obj.kind}`]?.namespaced
    ? { ...obj, metadata: { ...obj.metadata, namespace } } : obj;
  const r = await api.request('PATCH', `${objectPath(obj, namespace)}?${q}`, body, { contentType: 'application/apply-patch+yaml' });
  if (r.status !== 200 && r.status !== 201) {
    throw new Error(`server-side apply${dryRun ? ' (dry run)' : ''} of ${obj.kind} ${obj.metadata.name} refused (${r.status}): ${r.body?.message ?? JSON.stringify(r.body)}`);
  }
  return r.body as K8sObject;
}

export async function ensureNamespace(api: KubeApi, name: string): Promise<void> {
  await serverSideApply(api, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}
