// REST paths of the objects the operator reads (informers) and writes (ApiWriter).
import { API_VERSION, PLURAL } from '../api/policy.js';

const PLURALS: Record<string, string> = {
  ConfigMap: 'configmaps',
  ServiceAccount: 'serviceaccounts',
  DaemonSet: 'daemonsets',
  SnifferPolicy: PLURAL,
};

export function objectPath(o: { apiVersion: string; kind: string; metadata: { name: string; namespace: string } }): string {
  const plural = PLURALS[o.kind];
  if (!plural) throw new RangeError(`no REST path known for kind ${o.kind}`);
  const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  return `${base}/namespaces/${o.metadata.namespace}/${plural}/${o.metadata.name}`;
}

/** Collection paths across all namespaces, for the informers. */
export const COLLECTIONS = {
  policies: `/apis/${API_VERSION}/${PLURAL}`,
  daemonSets: '/apis/apps/v1/daemonsets',
  configMaps: '/api/v1/configmaps',
  serviceAccounts: '/api/v1/serviceaccounts',
  nodes: '/api/v1/nodes',
  pods: '/api/v1/pods',
} as const;

export function policyStatusPath(namespace: string, name: string): string {
  return `/apis/${API_VERSION}/namespaces/${namespace}/${PLURAL}/${name}/status`;
}
