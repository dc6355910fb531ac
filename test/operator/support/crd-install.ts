// Installs crds/tapline.dev_snifferpolicies.yaml (the file on disk, as users apply it) by
// server-side apply and waits until SnifferPolicies are served.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CRD_FILE } from '../../../operator/api/generate-crd.js';
import { API_VERSION, CRD_NAME, PLURAL } from '../../../operator/api/policy.js';
import { until } from './cluster.js';
import type { KubeApi } from './kube-api.js';

export async function installCrd(api: KubeApi): Promise<void> {
  const yaml = readFileSync(path.join(process.cwd(), CRD_FILE), 'utf8');
  const applied = await api.request(
    'PATCH',
    `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}?fieldManager=tapline-tests&force=true`,
    yaml,
    { contentType: 'application/apply-patch+yaml' },
  );
  if (applied.status !== 200 && applied.status !== 201) throw new Error(`applying the CRD failed (${applied.status}): ${JSON.stringify(applied.body).slice(0, 500)}`);
  await until('the CRD to be established', async () => {
    const r = await api.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`);
    return r.body?.status?.conditions?.some((c: any) => c.type === 'Established' && c.status === 'True') ? true : undefined;
  });
  // Serving a new resource lags establishment a little.
  await until('SnifferPolicies to be served', async () =>
    (await api.request('GET', `/apis/${API_VERSION}/${PLURAL}`)).status === 200 ? true : undefined,
  );
}
