// examples/ on a real API server: each policy passes a server-side dry run with strict field
// validation and is stored with the defaults zod applies; applying them twice (server-side apply,
// as Argo CD and Flux do) changes nothing: the second apply leaves resourceVersion as it was.
//
// Needs a cluster: TAPLINE_CLUSTER_KUBECONFIG, or the 'cluster' vitest project's global setup.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpec } from '../../operator/api/policy.js';
import { clusterKubeconfig, SKIP_REASON } from '../operator/support/cluster.js';
import { installCrd } from '../operator/support/crd-install.js';
import { kubeApiFromKubeconfig, type KubeApi } from '../operator/support/kube-api.js';
import { EXAMPLES_NAMESPACE, POLICY_FILES, examplePolicy } from './support/examples.js';
import { ensureNamespace, objectPath, serverSideApply } from './support/kube.js';

const kubeconfig = clusterKubeconfig();
// Not the namespace the install test uses: these policies must not be reconciled here.
const NS = `${EXAMPLES_NAMESPACE}-examples-test`;
const GITOPS = 'gitops-test';

describe.skipIf(!kubeconfig)(`examples/ on the API server${kubeconfig ? '' : ` (${SKIP_REASON})`}`, () => {
  let api: KubeApi;

  beforeAll(async () => {
    api = kubeApiFromKubeconfig(kubeconfig!);
    await installCrd(api);
    await ensureNamespace(api, NS);
  });

  afterAll(async () => {
    if (api) for (const f of POLICY_FILES) await api.request('DELETE', await objectPath(api, examplePolicy(f), NS));
  });

  it.each(POLICY_FILES)('%s: accepted (dry run, strict fields), defaulted as zod defaults it', async (file) => {
    const obj = examplePolicy(file);
    const stored = await serverSideApply(api, obj, { namespace: NS, dryRun: true, fieldManager: GITOPS });
    expect(stored.spec).toEqual(JSON.parse(JSON.stringify(parseSpec(obj.spec))));
    // A dry run stores nothing.
    expect((await api.request('GET', await objectPath(api, obj, NS))).status).toBe(404);
  });

  it.each(POLICY_FILES)('%s: a second server-side apply changes nothing', async (file) => {
    const obj = examplePolicy(file);
    const first = await serverSideApply(api, obj, { namespace: NS, fieldManager: GITOPS });
    const second = await serverSideApply(api, obj, { namespace: NS, fieldManager: GITOPS });
    expect(second.metadata.generation).toBe(first.metadata.generation);
    expect((second.metadata as { resourceVersion?: string }).resourceVersion).toBe((first.metadata as { resourceVersion?: string }).resourceVersion);
    // The GitOps manager owns the spec it wrote.
    const managers = (second.metadata as { managedFields?: { manager: string; operation: string }[] }).managedFields ?? [];
    expect(managers.filter((m) => m.operation === 'Apply').map((m) => m.manager)).toEqual([GITOPS]);
  });
});
