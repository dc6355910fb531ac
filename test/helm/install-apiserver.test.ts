// A real `helm install` into the test control plane (kwok nodes fake-run the operator Deployment),
// then the operator process run here with a token minted (TokenRequest) for the chart's
// ServiceAccount, with the arguments of the installed Deployment: that proves the chart's RBAC is
// enough. The kustomization's example policies must reach Ready, the operator must own only their
// status (no fight with a GitOps tool), and `helm uninstall` must keep the CRD.
//
// Needs a cluster (TAPLINE_CLUSTER_KUBECONFIG, or the 'cluster' vitest project's global setup) and
// the built operator (npm run build: `node bin/tapline.js operator --help` must work).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { bufferFromFileOrString } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRD_NAME } from '../../operator/api/policy.js';
import { LEADER_LEASE_NAME } from '../../operator/rbac.js';
import { clusterKubeconfig, SKIP_REASON, until } from '../operator/support/cluster.js';
import { kubeApiFromKubeconfig, type KubeApi } from '../operator/support/kube-api.js';
import { writeTokenKubeconfig } from '../operator/support/operator-identity.js';
import { EXAMPLES_NAMESPACE, examplePolicy, kustomization } from './support/examples.js';
import { freePort } from '../support/free-port.js';
import { CHART, REPO, helmTools, run } from './support/helm.js';
import { objectPath, serverSideApply } from './support/kube.js';

const kubeconfig = clusterKubeconfig();
const operatorBuilt = spawnSync(process.execPath, ['bin/tapline.js', 'operator', '--help'], { cwd: REPO }).status === 0;
const RELEASE = 'tapline';
const RELEASE_NS = 'tapline-system';
const GITOPS = 'gitops-test';
const why = !kubeconfig ? SKIP_REASON : !operatorBuilt ? 'skipped: the operator is not built (npm run build)' : '';

describe.skipIf(why !== '')(`helm install + the operator with the chart's RBAC${why ? ` (${why})` : ''}`, () => {
  let admin: KubeApi;
  let helm: string;
  let operator: ChildProcess | undefined;
  let operatorLog = '';
  let metricsPort = 0;
  const policies = () => kustomization().resources.map((f) => examplePolicy(f));
  const helmArgs = (args: string[]) => run(helm, [...args, '--kubeconfig', kubeconfig!]);

  beforeAll(async () => {
    admin = kubeApiFromKubeconfig(kubeconfig!);
    ({ helm } = await helmTools());
    // Leftovers of an interrupted run.
    helmArgs(['uninstall', RELEASE, '-n', RELEASE_NS, '--ignore-not-found', '--wait']);
    // A CRD applied earlier from crds/ (as other tests and some users do) is adopted by the release:
    // Helm takes over an object that carries its ownership metadata.
    const crd = await admin.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`);
    if (crd.status === 200) {
      const r = await admin.request('PATCH', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`, {
        metadata: {
          labels: { 'app.kubernetes.io/managed-by': 'Helm' },
          annotations: { 'meta.helm.sh/release-name': RELEASE, 'meta.helm.sh/release-namespace': RELEASE_NS },
        },
      }, { contentType: 'application/merge-patch+json' });
      expect(r.status).toBe(200);
    }
    await until(`namespace ${EXAMPLES_NAMESPACE} to be gone`, async () =>
      (await admin.request('GET', `/api/v1/namespaces/${EXAMPLES_NAMESPACE}`)).status === 404 ? true : undefined, 120_000);
  });

  afterAll(async () => {
    if (operator && operator.exitCode === null) {
      operator.kill('SIGTERM');
      await new Promise((r) => operator!.once('exit', r));
    }
    if (admin) for (const p of policies()) await admin.request('DELETE', await objectPath(admin, p, EXAMPLES_NAMESPACE));
    if (helm) helmArgs(['uninstall', RELEASE, '-n', RELEASE_NS, '--ignore-not-found', '--wait']);
  });

  it('helm install succeeds and the operator Deployment becomes available', async () => {
    const r = helmArgs([
      'install', RELEASE, CHART, '-n', RELEASE_NS, '--create-namespace', '--wait', '--timeout', '180s',
      '--set', `watchNamespaces={${EXAMPLES_NAMESPACE}}`, '--set', 'namespaces.create=true',
      '--set', 'namespaces.labels.pod-security\\.kubernetes\\.io/enforce=privileged',
    ]);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('STATUS: deployed');
    // NOTES.txt
    expect(r.stdout).toContain(`The operator acts on SnifferPolicies in: ${EXAMPLES_NAMESPACE}`);
    expect(r.stdout).toContain(`kubectl -n ${RELEASE_NS} rollout status deployment/${RELEASE}`);
    const d = await admin.request('GET', `/apis/apps/v1/namespaces/${RELEASE_NS}/deployments/${RELEASE}`);
    expect(d.body.status.availableReplicas).toBe(1);
    const ns = await admin.request('GET', `/api/v1/namespaces/${EXAMPLES_NAMESPACE}`);
    expect(ns.body.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    const crd = await admin.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`);
    expect(crd.body.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
  });

  it('the operator, with a token of the chart\'s ServiceAccount and the Deployment\'s arguments, reconciles the examples to Ready', async () => {
    const deploy = (await admin.request('GET', `/apis/apps/v1/namespaces/${RELEASE_NS}/deployments/${RELEASE}`)).body;
    const pod = deploy.spec.template.spec;
    const tr = await admin.request('POST', `/api/v1/namespaces/${RELEASE_NS}/serviceaccounts/${pod.serviceAccountName}/token`, {
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 },
    });
    expect(tr.status, JSON.stringify(tr.body)).toBe(201);
    const sa = tokenKubeconfig(kubeconfig!, tr.body.status.token as string);
    const asSa = kubeApiFromKubeconfig(sa);

    // The token carries the chart's rules and nothing more.
    const can = async (verb: string, resource: string, group = '', namespace = EXAMPLES_NAMESPACE) => (await asSa.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb, resource, group, namespace } },
    })).body.status.allowed as boolean;
    expect(await can('patch', 'daemonsets', 'apps')).toBe(true);
    expect(await can('delete', 'daemonsets', 'apps')).toBe(false);
    expect(await can('get', 'secrets')).toBe(false);
    expect(await can('update', 'leases', 'coordination.k8s.io', 'default')).toBe(false);

    metricsPort = await freePort();
    const args = (pod.containers[0].args as string[]).map((a) => (a.startsWith('--metrics-port=') ? `--metrics-port=${metricsPort}` : a));
    operator = spawn(process.execPath, ['bin/tapline.js', ...args, '--kubeconfig', sa, '--metrics-bind-address', '127.0.0.1'], {
      cwd: REPO, env: { ...process.env, POD_NAME: 'helm-install-test', KUBECONFIG: sa }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => { operatorLog = (operatorLog + d.toString()).slice(-200_000); };
    operator.stdout!.on('data', keep);
    operator.stderr!.on('data', keep);

    for (const p of policies()) await serverSideApply(admin, p, { namespace: EXAMPLES_NAMESPACE, fieldManager: GITOPS });
    for (const p of policies()) {
      await until(`${p.metadata.name} to be Ready`, async () => {
        if (operator!.exitCode !== null) throw new Error(`the operator exited (${operator!.exitCode}):\n${operatorLog.slice(-4000)}`);
        const got = await admin.request('GET', await objectPath(admin, p, EXAMPLES_NAMESPACE));
        const ready = got.body?.status?.conditions?.find((c: { type: string }) => c.type === 'Ready');
        return ready?.status === 'True' ? true : undefined;
      }, 150_000).catch(async (e) => {
        const got = await admin.request('GET', await objectPath(admin, p, EXAMPLES_NAMESPACE));
        throw new Error(`${(e as Error).message}\nstatus: ${JSON.stringify(got.body?.status)}\noperator log:\n${operatorLog.slice(-4000)}`);
      });
    }
    // Each policy has its agent DaemonSet, owned by the policy.
    const ds = (await admin.request('GET', `/apis/apps/v1/namespaces/${EXAMPLES_NAMESPACE}/daemonsets`)).body.items as { metadata: { ownerReferences?: { kind: string; name: string }[] } }[];
    const owners = ds.flatMap((d) => d.metadata.ownerReferences ?? []).filter((o) => o.kind === 'SnifferPolicy').map((o) => o.name).sort();
    expect(owners).toEqual(policies().map((p) => p.metadata.name).sort());
    // It leads through the Lease the Role allows, and serves its probes.
    const lease = await admin.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${RELEASE_NS}/leases/${LEADER_LEASE_NAME}`);
    expect(lease.body.spec.holderIdentity).toBe('helm-install-test');
    for (const p of ['/healthz', '/readyz']) expect((await fetch(`http://127.0.0.1:${metricsPort}${p}`)).status, p).toBe(200);
    // Nothing was refused for lack of permissions.
    expect(operatorLog).not.toMatch(/forbidden|"code":403|statusCode":403/i);
  });

  it('applying the examples again changes nothing, and the operator owns only their status', async () => {
    for (const p of policies()) {
      const before = (await admin.request('GET', await objectPath(admin, p, EXAMPLES_NAMESPACE))).body;
      const after = await serverSideApply(admin, p, { namespace: EXAMPLES_NAMESPACE, fieldManager: GITOPS });
      expect(after.metadata.generation).toBe(before.metadata.generation);
      expect((after.metadata as { resourceVersion?: string }).resourceVersion).toBe(before.metadata.resourceVersion);
      const managed = (after.metadata as { managedFields?: { manager: string; subresource?: string }[] }).managedFields ?? [];
      for (const m of managed.filter((x) => x.manager !== GITOPS)) expect(m.subresource, `${m.manager} writes outside status`).toBe('status');
    }
  });

  it('helm uninstall removes the operator and keeps the CRD (crds.keep)', async () => {
    if (operator && operator.exitCode === null) {
      operator.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => operator!.once('exit', r));
      expect(code).toBe(0);
    }
    const r = helmArgs(['uninstall', RELEASE, '-n', RELEASE_NS, '--wait']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain(`These resources were kept due to the resource policy:\n[CustomResourceDefinition] ${CRD_NAME}`);
    expect((await admin.request('GET', `/apis/apps/v1/namespaces/${RELEASE_NS}/deployments/${RELEASE}`)).status).toBe(404);
    expect((await admin.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`)).status).toBe(200);
  });
});

/** A kubeconfig for the same server and CA as the admin's, authenticating with a bearer token. */
function tokenKubeconfig(adminKubeconfig: string, token: string): string {
  const cluster = kubeApiFromKubeconfig(adminKubeconfig).kubeConfig.getCurrentCluster();
  const ca = cluster && bufferFromFileOrString(cluster.caFile, cluster.caData);
  if (!cluster || !ca) throw new Error(`${adminKubeconfig} names no certificate authority`);
  return writeTokenKubeconfig({ server: new URL(cluster.server).origin, ca }, 'operator', token);
}
