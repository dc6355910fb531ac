// Server-side apply and REST paths of the objects the chart and examples/ contain. Which resource
// serves a kind (its plural, namespaced or not) comes from the API server's discovery, through
// @kubernetes/client-node's KubernetesObjectApi, so no REST mapping is kept here. The apply itself
// is a PATCH with the apply content type sent verbatim (through client-node too, see kube-api.ts):
// KubernetesObjectApi.patch would pass the object through client-node's typed models, which drop
// a field they do not know, and a misspelt field must reach the API server, which refuses it under
// strict field validation.
import { KubernetesObjectApi, type KubeConfig, type V1APIResource } from '@kubernetes/client-node';
import type { KubeApi } from '../../operator/support/kube-api.js';
import type { K8sObject } from './helm.js';

/** KubernetesObjectApi, with its discovery (protected there) usable for paths and scope. */
class ObjectApi extends KubernetesObjectApi {
  /** The resource of a kind (name, namespaced), from the API server's discovery (cached per apiVersion). */
  async resourceOf(obj: Pick<K8sObject, 'apiVersion' | 'kind'>): Promise<V1APIResource> {
    const r = await this.resource(obj.apiVersion, obj.kind);
    if (!r) throw new Error(`the API server serves no ${obj.kind} in ${obj.apiVersion}`);
    return r;
  }
}

/** One client per kubeconfig (its discovery cache with it). */
const clients = new WeakMap<KubeConfig, ObjectApi>();

function objects(api: KubeApi): ObjectApi {
  let c = clients.get(api.kubeConfig);
  if (!c) clients.set(api.kubeConfig, (c = api.kubeConfig.makeApiClient(ObjectApi)));
  return c;
}

/** The object with `namespace` when its kind is namespaced and it names none (an error when neither does). */
async function inNamespace(api: KubeApi, obj: K8sObject, namespace?: string): Promise<K8sObject> {
  const r = await objects(api).resourceOf(obj);
  if (!r.namespaced) return obj;
  const ns = obj.metadata.namespace ?? namespace;
  if (!ns) throw new Error(`${obj.kind} ${obj.metadata.name} needs a namespace`);
  return { ...obj, metadata: { ...obj.metadata, namespace: ns } };
}

/** The object's REST path (…/<plural>/<name>); its namespace, or `namespace` when it has none. */
export async function objectPath(api: KubeApi, obj: K8sObject, namespace?: string): Promise<string> {
  const o = await inNamespace(api, obj, namespace);
  const r = await objects(api).resourceOf(o);
  const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  return `${base}${r.namespaced ? `/namespaces/${o.metadata.namespace}` : ''}/${r.name}/${o.metadata.name}`;
}

/** Server-side apply (PATCH application/apply-patch+yaml, strict field validation); throws unless 200/201. */
export async function serverSideApply(
  api: KubeApi, obj: K8sObject, { namespace, dryRun = false, fieldManager = 'tapline-helm-tests' }: { namespace?: string; dryRun?: boolean; fieldManager?: string } = {},
): Promise<K8sObject> {
  const q = `fieldManager=${fieldManager}&force=true&fieldValidation=Strict${dryRun ? '&dryRun=All' : ''}`;
  const body = await inNamespace(api, obj, namespace);
  const r = await api.request('PATCH', `${await objectPath(api, body)}?${q}`, body, { contentType: 'application/apply-patch+yaml' });
  if (r.status !== 200 && r.status !== 201) {
    throw new Error(`server-side apply${dryRun ? ' (dry run)' : ''} of ${obj.kind} ${obj.metadata.name} refused (${r.status}): ${r.body?.message ?? JSON.stringify(r.body)}`);
  }
  return r.body as K8sObject;
}

export async function ensureNamespace(api: KubeApi, name: string): Promise<void> {
  await serverSideApply(api, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}
